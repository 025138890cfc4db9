package dingtalk

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	stream "github.com/open-dingtalk/dingtalk-stream-sdk-go/client"
	"github.com/open-dingtalk/dingtalk-stream-sdk-go/payload"
	"github.com/open-dingtalk/dingtalk-stream-sdk-go/utils"

	"zhenggai/bot"
)

// Stream mode, on dingtalk-stream-sdk-go v0.9.2-beta.1 (v0.9.1 can panic
// the process after a network drop and races on concurrent acks).
//
// The SDK's own reconnect is off: Run owns it. SDK Start returns nil at once
// when a connection is up and dials a new one when it is not, so Run calls
// it on a timer as both probe and reconnect, with backoff on failure; a
// first connect that fails is retried the same way. Each frame handler gets
// a context that ends with its connection, which tells Run of a drop as
// soon as one frame has arrived on it.

// sdkLoggerOnce installs the SDK's logger once, before any client runs: the
// SDK's GetLogger fills its global lazily, which races when two clients
// start at once. The logger discards everything: the SDK's debug lines carry
// the client secret, and Run logs the connection's changes itself.
var sdkLoggerOnce sync.Once

type quietSDKLogger struct{}

func (quietSDKLogger) Debugf(string, ...any)   {}
func (quietSDKLogger) Infof(string, ...any)    {}
func (quietSDKLogger) Warningf(string, ...any) {}
func (quietSDKLogger) Errorf(string, ...any)   {}
func (quietSDKLogger) Fatalf(string, ...any)   {}

// streamState is the health of the long connection.
type streamState struct {
	// health is connected, the last frame and the detail /readyz shows.
	health *bot.ConnHealth

	mu      sync.Mutex
	curDone <-chan struct{}
	runCtx  context.Context
	poke    chan struct{}

	// inflight counts frame handlers running, so Run's stop can wait for
	// them.
	inflight sync.WaitGroup
	closed   bool
}

// Health reports the Stream connection: connected, and the time of the
// last frame (robot message, card callback or the server's ping). In HTTP
// mode it reports the last callback and is always connected.
func (a *Adapter) Health() bot.Health { return a.stream.health.Health() }

// noteCallback records an HTTP callback's arrival.
func (s *streamState) noteCallback() { s.health.Frame(time.Now()) }

// enter records a frame that arrived on the connection whose life is ctx,
// and starts watching that connection when it is new. It returns false when
// Run is stopping and the frame must not be handled.
func (s *streamState) enter(ctx context.Context, log *slog.Logger) bool {
	done := ctx.Done()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	s.inflight.Add(1)
	s.health.Set(true, "")
	fresh := done != nil && done != s.curDone
	if fresh {
		s.curDone = done
	}
	runCtx, poke := s.runCtx, s.poke
	s.mu.Unlock()
	if fresh && runCtx != nil {
		go func() {
			select {
			case <-done:
			case <-runCtx.Done():
				return
			}
			s.mu.Lock()
			if s.curDone == done {
				s.health.Set(false, "connection lost")
				s.curDone = nil
			}
			s.mu.Unlock()
			log.Warn("DingTalk stream connection lost")
			select {
			case poke <- struct{}{}:
			default:
			}
		}()
	}
	return true
}

func (s *streamState) leave() { s.inflight.Done() }

func (s *streamState) set(connected bool, detail string) { s.health.Set(connected, detail) }

// Run keeps the Stream connection up until ctx is done (Stream mode), or
// just waits (HTTP mode). It returns nil after a clean stop: the connection
// closed and the frames in flight handled.
func (a *Adapter) Run(ctx context.Context, d bot.Dispatcher) error {
	if a.opts.Mode == ModeHTTP {
		<-ctx.Done()
		a.bg.Wait()
		return nil
	}
	opts := []stream.ClientOption{
		stream.WithAppCredential(stream.NewAppCredentialConfig(a.opts.ClientID, a.opts.ClientSecret)),
		stream.WithOpenApiHost(a.opts.BaseURL),
		stream.WithAutoReconnect(false),
		stream.WithKeepAlive(a.opts.KeepAlive),
	}
	if a.opts.HTTPSProxy != "" {
		opts = append(opts, stream.WithProxy(a.opts.HTTPSProxy))
	}
	cli := stream.NewStreamClient(opts...)
	cli.RegisterCallbackRouter(payload.BotMessageCallbackTopic, a.frameHandler(func(ctx context.Context, df *payload.DataFrame) (*payload.DataFrameResponse, error) {
		var m robotMessage
		if err := json.Unmarshal([]byte(df.Data), &m); err != nil {
			return nil, fmt.Errorf("%w: robot message: %w", errUndecodable, err)
		}
		if err := a.handleMessage(ctx, d, &m); err != nil {
			a.log.ErrorContext(ctx, "Robot message failed", slog.String("event_id", m.MsgID), slog.Any("error", err))
			return nil, err
		}
		return nil, nil
	}))
	cli.RegisterCallbackRouter(payload.CardInstanceCallbackTopic, a.frameHandler(func(ctx context.Context, df *payload.DataFrame) (*payload.DataFrameResponse, error) {
		var cb cardCallback
		if err := json.Unmarshal([]byte(df.Data), &cb); err != nil {
			return nil, fmt.Errorf("%w: card callback: %w", errUndecodable, err)
		}
		resp, err := a.handleCard(ctx, d, &cb)
		if err != nil {
			a.log.ErrorContext(ctx, "Card callback failed", slog.String("out_track_id", cb.OutTrackID), slog.Any("error", err))
			return nil, err
		}
		ack := payload.NewSuccessDataFrameResponse()
		if err := ack.SetJson(map[string]any{"response": resp}); err != nil {
			return nil, err
		}
		return ack, nil
	}))
	// The server's application-level ping counts as a frame for liveness;
	// its disconnect (before a rebalance) ends the connection, which the
	// watcher started by the frame notices, so Run reconnects at once.
	cli.RegisterRouter(utils.SubscriptionTypeKSystem, "ping", a.frameHandler(cli.OnPing))
	cli.RegisterRouter(utils.SubscriptionTypeKSystem, "disconnect", a.frameHandler(cli.OnDisconnect))

	s := &a.stream
	s.mu.Lock()
	s.runCtx, s.poke, s.closed = ctx, make(chan struct{}, 1), false
	poke := s.poke
	s.mu.Unlock()

	backoff := a.opts.ReconnectMin
	wasUp := false
	// quick counts the probes made at ReconnectMin after a lost connection:
	// the SDK detaches a dead connection a moment after its end is seen, and
	// until then Start still finds it and does nothing.
	quick := 0
	for {
		err := cli.Start(ctx)
		if ctx.Err() != nil {
			break
		}
		wait := a.opts.ProbeInterval
		if err != nil {
			s.set(false, "connect failed: "+err.Error())
			a.log.Warn("DingTalk stream connect failed", slog.Duration("retry_in", backoff), slog.Any("error", err))
			// Jitter keeps replicas from reconnecting in step.
			wait = backoff + rand.N(backoff/5+1)
			backoff = min(backoff*2, a.opts.ReconnectMax)
			wasUp = false
		} else {
			if !wasUp || !a.Health().Connected {
				a.log.Info("DingTalk stream connected")
			}
			s.set(true, "")
			backoff = a.opts.ReconnectMin
			wasUp = true
			if quick > 0 {
				wait = a.opts.ReconnectMin
				quick--
			}
		}
		if !sleepOrPoke(ctx, wait, poke) {
			// The connection was lost: probe again soon.
			quick = 10
			sleepOrPoke(ctx, a.opts.ReconnectMin, nil)
		}
		if ctx.Err() != nil {
			break
		}
	}
	cli.Close()
	s.mu.Lock()
	s.closed = true
	s.health.Set(false, "stopped")
	s.mu.Unlock()
	s.inflight.Wait()
	a.bg.Wait()
	a.log.Info("DingTalk stream stopped")
	return nil
}

// sleepOrPoke waits for d, ctx or a poke; it returns false when poked.
func sleepOrPoke(ctx context.Context, d time.Duration, poke <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-poke:
		return false
	}
	return true
}

// frameHandler wraps h with liveness bookkeeping.
func (a *Adapter) frameHandler(h func(context.Context, *payload.DataFrame) (*payload.DataFrameResponse, error)) func(context.Context, *payload.DataFrame) (*payload.DataFrameResponse, error) {
	return func(ctx context.Context, df *payload.DataFrame) (*payload.DataFrameResponse, error) {
		if !a.stream.enter(ctx, a.log) {
			return nil, fmt.Errorf("dingtalk: stopping")
		}
		defer a.stream.leave()
		return h(ctx, df)
	}
}
