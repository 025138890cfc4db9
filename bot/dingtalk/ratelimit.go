package dingtalk

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"zhenggai/bot"
)

// limiter is a token bucket for the app's API calls: DingTalk allows about
// 20 calls a second per app on the standard edition. Callers wait for a
// token. It runs on real time (it paces requests, it does not schedule
// business), through now so tests can drive it.
type limiter struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error
}

func newLimiter(perSecond float64, burst int) *limiter {
	if perSecond <= 0 {
		perSecond = 20
	}
	if burst <= 0 {
		burst = int(perSecond)
	}
	return &limiter{rate: perSecond, burst: float64(burst), tokens: float64(burst), now: time.Now, sleep: sleepCtx}
}

// wait takes one token, waiting for it when the bucket is empty.
func (l *limiter) wait(ctx context.Context) error {
	l.mu.Lock()
	now := l.now()
	if !l.last.IsZero() {
		l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
	}
	l.last = now
	l.tokens--
	var d time.Duration
	if l.tokens < 0 {
		d = time.Duration(-l.tokens / l.rate * float64(time.Second))
	}
	l.mu.Unlock()
	if d > 0 {
		return l.sleep(ctx, d)
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// recipientLimiter, when configured, keeps each chat and user under a number of messages a
// minute. A send over the limit is not made: the delivery worker is told to
// come back when a slot frees, so one busy group never blocks the others.
type recipientLimiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	sent   map[string][]time.Time
	now    func() time.Time
}

// newRecipientLimiter returns a limiter of perMinute messages; zero or less
// turns it off.
func newRecipientLimiter(perMinute int) *recipientLimiter {
	return &recipientLimiter{max: perMinute, window: time.Minute, sent: map[string][]time.Time{}, now: time.Now}
}

var errRecipientBusy = errors.New("dingtalk: too many messages to this recipient in the last minute")

// take records one send to key, or returns a *bot.RateLimitedError saying
// when to try again.
func (r *recipientLimiter) take(key string) error {
	if r.max <= 0 {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	ts := r.sent[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= r.window {
		i++
	}
	ts = ts[i:]
	if len(ts) >= r.max {
		r.sent[key] = ts
		wait := r.window - now.Sub(ts[0])
		return &bot.RateLimitedError{RetryAfter: wait, Err: fmt.Errorf("%w (%s)", errRecipientBusy, key)}
	}
	r.sent[key] = append(ts, now)
	if len(r.sent) > 10000 {
		for k, v := range r.sent {
			if len(v) == 0 || now.Sub(v[len(v)-1]) >= r.window {
				delete(r.sent, k)
			}
		}
	}
	return nil
}
