package loadkit

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Outcome is how one delivery of a call ended.
type Outcome struct {
	Call    *Call
	At      time.Time // when it was sent
	Status  int       // 0: no answer (connection refused or reset, timeout)
	Latency time.Duration
	Err     error
}

// OK reports whether the platform would count the call delivered.
func (o Outcome) OK() bool { return o.Status == http.StatusOK }

// Sender delivers calls to the bot's webhook over a pool of keep-alive
// connections, as Feishu's push servers do.
type Sender struct {
	URL    string // the bot's /callback/feishu
	Client *http.Client
}

// NewSender returns a Sender to base + /callback/feishu with conns
// connections and Feishu's patience (it gives up on an answer after a few
// seconds and redelivers later).
func NewSender(base string, conns int) *Sender {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     90 * time.Second,
	}
	return &Sender{URL: base + "/callback/feishu", Client: &http.Client{Transport: tr, Timeout: 5 * time.Second}}
}

// Send seals c now and posts it once.
func (s *Sender) Send(ctx context.Context, c *Call) Outcome {
	body, h := App.Seal(c.plain, time.Now())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return Outcome{Call: c, Err: err}
	}
	req.Header = h
	t0 := time.Now()
	resp, err := s.Client.Do(req)
	if err != nil {
		return Outcome{Call: c, At: t0, Latency: time.Since(t0), Err: err}
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return Outcome{Call: c, At: t0, Status: resp.StatusCode, Latency: time.Since(t0)}
}

// Step is the result of sending at one rate for a while.
type Step struct {
	Rate     int // asked, callbacks per second
	Sent     int
	OK       int
	Failed   int // answered non-200 or not answered
	Late     int // could not be sent on schedule: every connection was busy
	Elapsed  time.Duration
	Outcomes []Outcome
}

// Throughput is answered-200 callbacks per second.
func (s *Step) Throughput() float64 { return float64(s.OK) / s.Elapsed.Seconds() }

// Percentile is the latency below which p of the answered calls fell.
func (s *Step) Percentile(p float64) time.Duration {
	var lat []time.Duration
	for _, o := range s.Outcomes {
		if o.Status != 0 {
			lat = append(lat, o.Latency)
		}
	}
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	i := int(p * float64(len(lat)-1))
	return lat[i]
}

// Only is the step's outcomes of one kind of call.
func (s *Step) Only(kind string) *Step {
	out := &Step{Rate: s.Rate, Elapsed: s.Elapsed}
	for _, o := range s.Outcomes {
		if o.Call.Kind == kind {
			out.Outcomes = append(out.Outcomes, o)
			if o.OK() {
				out.OK++
			} else {
				out.Failed++
			}
		}
	}
	return out
}

// Max is the longest answered latency.
func (s *Step) Max() time.Duration { return s.Percentile(1) }

// Run sends calls made by next at rate per second for d (open loop: the
// schedule does not wait for answers; a call whose turn comes while all
// conns are busy is counted late and not sent) and returns every outcome.
// onOutcome, if set, sees each outcome as it arrives.
func (s *Sender) Run(ctx context.Context, rate int, d time.Duration, conns int, next func(time.Time) *Call, onOutcome func(Outcome)) *Step {
	st := &Step{Rate: rate}
	jobs := make(chan *Call, conns)
	results := make(chan Outcome, conns)
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range jobs {
				results <- s.Send(ctx, c)
			}
		}()
	}
	collected := make(chan struct{})
	go func() {
		for o := range results {
			if onOutcome != nil {
				onOutcome(o)
			}
			st.Outcomes = append(st.Outcomes, o)
			if o.OK() {
				st.OK++
			} else {
				st.Failed++
			}
		}
		close(collected)
	}()
	start := time.Now()
	interval := time.Second / time.Duration(rate)
	n := int(d / interval)
	for i := range n {
		due := start.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			select {
			case <-ctx.Done():
				n = i
			case <-time.After(wait):
			}
		}
		if ctx.Err() != nil {
			break
		}
		select {
		case jobs <- next(due):
			st.Sent++
		default:
			st.Late++
		}
	}
	close(jobs)
	wg.Wait()
	st.Elapsed = time.Since(start)
	close(results)
	<-collected
	return st
}

// Redeliver sends each call until it is answered 200, as Feishu redelivers
// an event it got no 200 for, pausing between rounds; it gives up at ctx's
// end and returns the calls still undelivered.
func (s *Sender) Redeliver(ctx context.Context, calls []*Call, pause time.Duration) ([]*Call, error) {
	for len(calls) > 0 {
		var left []*Call
		for _, c := range calls {
			if o := s.Send(ctx, c); !o.OK() {
				left = append(left, c)
			}
		}
		calls = left
		if len(calls) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return calls, errors.Join(errors.New("loadkit: redelivery gave up"), ctx.Err())
		case <-time.After(pause):
		}
	}
	return nil, nil
}
