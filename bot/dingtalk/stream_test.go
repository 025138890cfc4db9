package dingtalk

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"zhenggai/bot"
	"zhenggai/cards"
)

const (
	topicBot  = "/v1.0/im/bot/messages/get"
	topicCard = "/v1.0/card/instances/callback"
)

// streamBundle runs an adapter in Stream mode against the fake.
type streamBundle struct {
	fake    *fakeDingTalk
	adapter *Adapter
	rec     *recorder
	cancel  context.CancelFunc
	done    chan error
}

func setupStream(t *testing.T, rec bot.Dispatcher, mod func(o *Options), before func(f *fakeDingTalk)) *streamBundle {
	t.Helper()
	f := newFake(t)
	if before != nil {
		before(f)
	}
	a := newTestAdapter(t, f, mod)
	ctx, cancel := context.WithCancel(context.Background())
	b := &streamBundle{fake: f, adapter: a, cancel: cancel, done: make(chan error, 1)}
	if r, ok := rec.(*recorder); ok {
		b.rec = r
	}
	go func() { b.done <- a.Run(ctx, rec) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-b.done:
		case <-time.After(10 * time.Second):
			t.Error("Run did not stop")
		}
	})
	return b
}

// waitFor polls cond (state set by other goroutines) for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestStreamMessageAndCardCallback(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	rec.reply = func(ev *bot.Event) (*bot.Reply, error) {
		if ev.Kind == bot.KindCardAction {
			return &bot.Reply{Toast: "已提交", ToastKind: "success", Card: &cards.Card{Title: "已提交",
				Blocks: []cards.Block{cards.MD("进展：" + ev.Action.Form.Get("progress"))}}}, nil
		}
		return nil, nil
	}
	b := setupStream(t, rec, func(o *Options) { o.FormTemplateID = "tpl-form.schema" }, nil)
	conn := b.fake.nextConn(t)

	// The open call subscribed to robot messages and card callbacks.
	b.fake.mu.Lock()
	open := b.fake.openBodies[0]
	b.fake.mu.Unlock()
	subs, _ := json.Marshal(open["subscriptions"])
	for _, topic := range []string{topicBot, topicCard, `"ping"`} {
		if !strings.Contains(string(subs), topic) {
			t.Errorf("subscriptions %s lack %s", subs, topic)
		}
	}

	conn.push(t, "CALLBACK", topicBot, "frame-msg-1", readTestdata(t, "group_at.json"))
	a := conn.nextAck(t)
	if a.Code != 200 || a.Headers["messageId"] != "frame-msg-1" {
		t.Errorf("message ack %+v", a)
	}
	ev := <-rec.seen
	if ev.ID != "msgGroupAt01==" || ev.Text != "台账" || ev.Chat.Kind != bot.Group {
		t.Errorf("event %+v", ev)
	}

	conn.push(t, "CALLBACK", topicCard, "frame-card-1", readTestdata(t, "card_submit.json"))
	a = conn.nextAck(t)
	if a.Code != 200 || a.Headers["messageId"] != "frame-card-1" {
		t.Fatalf("card ack %+v", a)
	}
	var data struct {
		Response cardResponse `json:"response"`
	}
	if err := json.Unmarshal([]byte(a.Data), &data); err != nil {
		t.Fatalf("card ack data %q: %v", a.Data, err)
	}
	if p := data.Response.CardData.CardParamMap; p["title"] != "已提交" || p["content_1"] != "进展：已清理通道" {
		t.Errorf("clicker's view %v", p)
	}
	if p := data.Response.UserPrivateData.CardParamMap; p["toast"] != "已提交" {
		t.Errorf("clicker's result line %v", p)
	}
	waitFor(t, "everyone's update", func() bool { return len(b.fake.callsTo("/v1.0/card/instances")) == 1 })

	// A frame for a topic we do not handle gets 404; the server's ping is
	// answered and counts as a frame.
	conn.push(t, "SYSTEM", "ping", "frame-ping-1", []byte(`{"opaque":"x"}`))
	if a := conn.nextAck(t); a.Code != 200 || a.Headers["messageId"] != "frame-ping-1" {
		t.Errorf("ping ack %+v", a)
	}
	h := b.adapter.Health()
	if !h.Connected || h.LastFrame.IsZero() {
		t.Errorf("health %+v", h)
	}
}

// barrier is a dispatcher that holds every event until n are in flight at
// once, proving the frames are handled concurrently.
type barrier struct {
	n       int
	mu      sync.Mutex
	arrived int
	all     chan struct{}
}

func (b *barrier) Dispatch(ctx context.Context, ev *bot.Event) (*bot.Reply, error) {
	b.mu.Lock()
	b.arrived++
	if b.arrived == b.n {
		close(b.all)
	}
	b.mu.Unlock()
	select {
	case <-b.all:
	case <-time.After(10 * time.Second):
		return nil, context.DeadlineExceeded
	}
	if ev.Kind == bot.KindCardAction {
		return &bot.Reply{Toast: "ok " + ev.Sender.ID}, nil
	}
	return nil, nil
}

func TestStreamTwoFramesInFlight(t *testing.T) {
	t.Parallel()
	br := &barrier{n: 2, all: make(chan struct{})}
	b := setupStream(t, br, func(o *Options) { o.CardAnswerBudget = 10 * time.Second }, nil)
	conn := b.fake.nextConn(t)
	conn.push(t, "CALLBACK", topicCard, "frame-a", readTestdata(t, "card_submit.json"))
	conn.push(t, "CALLBACK", topicCard, "frame-b", readTestdata(t, "card_click.json"))
	got := map[string]ack{}
	for range 2 {
		a := conn.nextAck(t)
		got[a.Headers["messageId"]] = a
	}
	for id, user := range map[string]string{"frame-a": "0420li", "frame-b": "0420liu"} {
		a, ok := got[id]
		if !ok || a.Code != 200 || !strings.Contains(a.Data, "ok "+user) {
			t.Errorf("ack of %s: %+v", id, a)
		}
	}
}

func TestStreamReconnectsAfterDrop(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	b := setupStream(t, rec, nil, nil)
	first := b.fake.nextConn(t)
	first.push(t, "CALLBACK", topicBot, "f1", readTestdata(t, "direct.json"))
	first.nextAck(t)
	<-rec.seen
	waitFor(t, "connected", func() bool { return b.adapter.Health().Connected })

	first.close() // the network drops
	second := b.fake.nextConn(t)
	if second.ticket == first.ticket {
		t.Fatalf("reconnected with the same ticket %s", first.ticket)
	}
	msg := strings.Replace(string(readTestdata(t, "direct.json")), "msgDirect01==", "msgDirect02==", 1)
	second.push(t, "CALLBACK", topicBot, "f2", []byte(msg))
	if a := second.nextAck(t); a.Code != 200 {
		t.Errorf("ack after reconnect %+v", a)
	}
	if ev := <-rec.seen; ev.ID != "msgDirect02==" {
		t.Errorf("event after reconnect %+v", ev)
	}
	waitFor(t, "connected again", func() bool { return b.adapter.Health().Connected })
}

func TestStreamRetriesFailedFirstConnect(t *testing.T) {
	t.Parallel()
	b := setupStream(t, newRecorder(), nil, func(f *fakeDingTalk) { f.failOpens = 3 })
	conn := b.fake.nextConn(t)
	b.fake.mu.Lock()
	opens := b.fake.opens
	b.fake.mu.Unlock()
	if opens < 4 {
		t.Errorf("%d open calls, want the 3 failures then a success", opens)
	}
	if conn.ticket != "ticket-4" {
		t.Errorf("ticket %s", conn.ticket)
	}
	waitFor(t, "connected", func() bool { return b.adapter.Health().Connected })
}

func TestStreamReportsDownWhileGatewayRefuses(t *testing.T) {
	t.Parallel()
	b := setupStream(t, newRecorder(), nil, func(f *fakeDingTalk) { f.failOpens = 1000 })
	waitFor(t, "a failed connect", func() bool {
		h := b.adapter.Health()
		return !h.Connected && strings.Contains(h.Detail, "connect failed")
	})
}

func TestStreamStopsOnCancel(t *testing.T) {
	t.Parallel()
	b := setupStream(t, newRecorder(), nil, nil)
	conn := b.fake.nextConn(t)
	b.cancel()
	select {
	case err := <-b.done:
		if err != nil {
			t.Errorf("Run returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
	b.done <- nil // for the cleanup
	// The client closed its end.
	select {
	case _, ok := <-conn.acks:
		if ok {
			t.Error("unexpected ack")
		}
	case <-time.After(10 * time.Second):
		t.Error("connection still open after stop")
	}
	if h := b.adapter.Health(); h.Connected {
		t.Errorf("health after stop %+v", h)
	}
}

func TestStreamReconnectsAfterServerDisconnect(t *testing.T) {
	t.Parallel()
	b := setupStream(t, newRecorder(), func(o *Options) { o.ProbeInterval = time.Hour }, nil)
	first := b.fake.nextConn(t)
	// The server announces a rebalance: the client acks, closes, and
	// connects again without waiting for the next probe.
	first.push(t, "SYSTEM", "disconnect", "sys-1", []byte(`{"reason":"rebalance"}`))
	if a := first.nextAck(t); a.Code != 200 || a.Headers["messageId"] != "sys-1" {
		t.Errorf("disconnect ack %+v", a)
	}
	second := b.fake.nextConn(t)
	if second.ticket == first.ticket {
		t.Errorf("same ticket %s", second.ticket)
	}
}
