package feishu

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"
	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"

	"zhenggai/bot"
)

// The long connection, on larkws v3.11.0: Start returns when ctx ends and
// the SDK reconnects by itself (with a read deadline that notices a dead
// socket). When it gives up (a terminal error such as a revoked secret),
// Run starts a new client after a backoff, so the process never needs a
// restart to recover.

// Health reports the long connection: connected, and the time of its last
// inbound frame (events, and the server's pongs). In webhook mode it is
// always connected and reports the last callback.
func (a *Adapter) Health() bot.Health { return a.conn.Health() }

// Run holds the long connection until ctx ends (webhook mode: it just
// waits). Events go through the same handle as webhooks.
func (a *Adapter) Run(ctx context.Context, d bot.Dispatcher) error {
	if a.opts.Mode != ModeWS {
		<-ctx.Done()
		return nil
	}
	a.conn.Set(false, "connecting")
	wait := a.opts.ReconnectMin
	for {
		started := time.Now()
		err := a.runOnce(ctx, d)
		if ctx.Err() != nil {
			a.conn.Set(false, "stopped")
			return nil
		}
		a.conn.Set(false, "gave up: "+errString(err))
		a.log.Warn("Feishu long connection ended; starting again", slog.Duration("after", wait), slog.Any("error", err))
		if time.Since(started) > 5*a.opts.ReconnectMax {
			wait = a.opts.ReconnectMin
		}
		if bot.Sleep(ctx, wait) != nil {
			a.conn.Set(false, "stopped")
			return nil
		}
		wait = min(2*wait, a.opts.ReconnectMax)
	}
}

func errString(err error) string {
	if err == nil {
		return "closed"
	}
	return err.Error()
}

// runOnce runs one larkws client until it stops.
func (a *Adapter) runOnce(ctx context.Context, d bot.Dispatcher) error {
	disp := dispatcher.NewEventDispatcher("", "")
	raw := func(ctx context.Context, req *larkevent.EventReq) error {
		_, err := a.handle(ctx, d, req.Body)
		return err
	}
	for _, t := range []string{"im.message.receive_v1", "im.chat.member.bot.added_v1", "im.chat.member.bot.deleted_v1",
		// Acknowledged and ignored: an unhandled type is NACKed over the
		// long connection and pushed again.
		"im.message.message_read_v1", "im.chat.access_event.bot_p2p_chat_entered_v1", "im.message.reaction.created_v1",
		"im.message.reaction.deleted_v1", "im.message.recalled_v1", "im.chat.member.user.added_v1", "im.chat.member.user.deleted_v1",
		"im.chat.updated_v1", "im.chat.disbanded_v1"} {
		disp.OnCustomizedEvent(t, raw)
	}
	disp.OnP2CardActionTrigger(func(ctx context.Context, ev *callback.CardActionTriggerEvent) (*callback.CardActionTriggerResponse, error) {
		if ev.EventReq == nil {
			return nil, errUndecodable
		}
		ans, err := a.handle(ctx, d, ev.EventReq.Body)
		if err != nil {
			return nil, err
		}
		resp := &callback.CardActionTriggerResponse{}
		if ans != nil && ans.Toast != nil {
			resp.Toast = &callback.Toast{Type: ans.Toast.Type, Content: ans.Toast.Content}
		}
		if ans != nil && ans.Card != nil {
			resp.Card = &callback.Card{Type: ans.Card.Type, Data: json.RawMessage(ans.Card.Data)}
		}
		return resp, nil
	})
	dialer := &websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: 15 * time.Second,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &frameConn{Conn: c, note: a.conn.Frame}, nil
		},
	}
	if t, ok := a.opts.HTTPClient.Transport.(*http.Transport); ok && t.Proxy != nil {
		dialer.Proxy = t.Proxy
	}
	cli := larkws.NewClient(a.opts.AppID, a.opts.AppSecret,
		larkws.WithEventHandler(disp),
		larkws.WithDomain(a.opts.BaseURL),
		larkws.WithHttpClient(a.opts.HTTPClient),
		larkws.WithWebSocketDialer(dialer),
		larkws.WithLogger(sdkLogger{a.log}),
		larkws.WithLogLevel(larkcore.LogLevelError),
		larkws.WithOnReady(func() {
			a.conn.Set(true, "")
			a.log.Info("Feishu long connection up")
		}),
		larkws.WithOnReconnected(func() {
			a.conn.Set(true, "")
			a.log.Info("Feishu long connection reconnected")
		}),
		larkws.WithOnReconnecting(func() { a.conn.Set(false, "reconnecting") }),
		larkws.WithOnDisconnected(func() { a.conn.Set(false, "disconnected") }),
		larkws.WithOnError(func(err error) { a.log.Warn("Feishu long connection error", slog.Any("error", err)) }),
	)
	err := cli.Start(ctx)
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return nil
	}
	return err
}

// frameConn notes every read on the long connection's socket as a sign of
// life: events, and the server's pongs to the SDK's pings.
type frameConn struct {
	net.Conn
	note func(time.Time)
}

func (c *frameConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.note(time.Now())
	}
	return n, err
}
