package feishu

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"zhenggai/bot"
	"zhenggai/cards"
)

// recorder is a Dispatcher that records events and answers card actions.
type recorder struct {
	mu     sync.Mutex
	events []*bot.Event
}

func (r *recorder) Dispatch(_ context.Context, ev *bot.Event) (*bot.Reply, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.events {
		if e.ID == ev.ID {
			return nil, nil
		}
	}
	r.events = append(r.events, ev)
	if ev.Kind == bot.KindCardAction {
		return &bot.Reply{Toast: "已记录", ToastKind: "success",
			Card: &cards.Card{Title: "整改进展", Tone: cards.ToneInfo, Blocks: []cards.Block{cards.MD("截止 " + ev.Action.Form.Get("deadline"))}}}, nil
	}
	return nil, nil
}

func (r *recorder) last() *bot.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.events) == 0 {
		return nil
	}
	return r.events[len(r.events)-1]
}

// TestLongConnection runs the adapter against a fake long-connection
// endpoint speaking the SDK's frame protocol: a group @ message and a form
// submit arrive as event frames and are ACKed (the card callback's ACK
// carrying the toast and the card), health reports the connection, and
// cancelling the context stops Run.
func TestLongConnection(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f, nil, func(o *Options) { o.Mode = ModeWS; o.BotOpenID = testBotOpenID })
	if h := a.Health(); h.Connected {
		t.Fatal("connected before Run")
	}
	rec := &recorder{}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx, rec) }()
	var conn = <-f.conns
	defer conn.Close()

	ack := pushFrame(t, conn, "m1", readTestdata(t, "group_at.json"))
	if ack.StatusCode != 200 {
		t.Fatalf("message ACK %+v", ack)
	}
	ev := rec.last()
	if ev == nil || ev.ID != "om_group_1" || ev.Kind != bot.KindMessage || ev.Chat.Kind != bot.Group || ev.Chat.ID != "oc_lingbao" ||
		ev.Text != "帮助 @王建国" || len(ev.Mentions) != 1 || ev.Mentions[0].ID != "ou_wang" || ev.Sender.ID != "ou_li" {
		t.Fatalf("event %+v", ev)
	}

	ack = pushFrame(t, conn, "m2", readTestdata(t, "card_submit.json"))
	if ack.StatusCode != 200 {
		t.Fatalf("card ACK %+v", ack)
	}
	var ans struct {
		Toast struct{ Type, Content string } `json:"toast"`
		Card  struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		} `json:"card"`
	}
	if err := json.Unmarshal(ack.Data, &ans); err != nil {
		t.Fatalf("ACK data %s: %v", ack.Data, err)
	}
	if ans.Toast.Content != "已记录" || ans.Card.Type != "raw" || ans.Card.Data["schema"] != "2.0" || !strings.Contains(string(ack.Data), "截止 2023-06-30") {
		t.Fatalf("answer %s", ack.Data)
	}

	// An event type the bot does not handle is ACKed, not pushed again.
	other := []byte(`{"schema":"2.0","header":{"event_id":"ev_read","event_type":"im.message.message_read_v1"},"event":{}}`)
	if ack := pushFrame(t, conn, "m3", other); ack.StatusCode != 200 {
		t.Fatalf("read receipt ACK %+v", ack)
	}

	h := a.Health()
	if !h.Connected || h.LastFrame.IsZero() || time.Since(h.LastFrame) > time.Minute {
		t.Fatalf("health %+v", h)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
	if a.Health().Connected {
		t.Error("connected after stop")
	}
}

// TestDecodeMessages covers the message decoding rules on their own.
func TestDecodeMessages(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f, nil, nil)
	rec := &recorder{}
	// A group message that mentions others but not the bot is not for it.
	if _, err := a.handle(ctx, rec, readTestdata(t, "group_no_at.json")); err != nil || rec.last() != nil {
		t.Fatalf("group without mention: %v %+v", err, rec.last())
	}
	// Bot info was read once for it.
	if n := len(f.callsTo("/open-apis/bot/v3/info")); n != 1 {
		t.Fatalf("bot info read %d times", n)
	}
	if _, err := a.handle(ctx, rec, readTestdata(t, "p2p.json")); err != nil {
		t.Fatal(err)
	}
	ev := rec.last()
	if ev.ID != "om_p2p_1" || ev.Chat.Kind != bot.Direct || ev.Text != "帮助" || ev.Message.MessageID != "om_p2p_1" {
		t.Fatalf("p2p %+v", ev)
	}
	// A card clicked in that 1:1 chat is known to be 1:1.
	click := strings.ReplaceAll(string(readTestdata(t, "card_submit.json")), "oc_lingbao", "oc_p2p_li")
	if _, err := a.handle(ctx, rec, []byte(click)); err != nil {
		t.Fatal(err)
	}
	if ev := rec.last(); ev.Chat.Kind != bot.Direct || ev.Kind != bot.KindCardAction {
		t.Fatalf("click %+v", ev)
	}
	// A post (rich text) message.
	post := strings.Replace(string(readTestdata(t, "p2p.json")), `"message_type": "text"`, `"message_type": "post"`, 1)
	post = strings.Replace(post, `"{\"text\":\"帮助\"}"`, `"{\"title\":\"\",\"content\":[[{\"tag\":\"text\",\"text\":\"进展：\"},{\"tag\":\"text\",\"text\":\"已清理\"}]]}"`, 1)
	post = strings.ReplaceAll(post, "om_p2p_1", "om_post")
	if _, err := a.handle(ctx, rec, []byte(post)); err != nil {
		t.Fatal(err)
	}
	if ev := rec.last(); ev.ID != "om_post" || ev.Text != "进展：已清理" {
		t.Fatalf("post %+v", ev)
	}
}

// TestMentionWithoutBotInfo: when the bot's own open_id cannot be read, a
// group message's leading mention is taken as the bot's.
func TestMentionWithoutBotInfo(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f, nil, nil)
	f.failNext(failure{status: 500, code: 1})
	rec := &recorder{}
	if _, err := a.handle(ctx, rec, readTestdata(t, "group_at.json")); err != nil {
		t.Fatal(err)
	}
	ev := rec.last()
	if ev == nil || ev.Text != "帮助 @王建国" || len(ev.Mentions) != 1 {
		t.Fatalf("event %+v", ev)
	}
}

// TestLongConnectionGivesUpAndRetries: when the SDK stops for good (the
// bootstrap refuses the secret), Run reports the connection down and
// starts it again after a backoff until ctx ends.
func TestLongConnectionGivesUpAndRetries(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f, nil, func(o *Options) {
		o.Mode, o.AppSecret = ModeWS, "revoked"
		o.ReconnectMin, o.ReconnectMax = time.Millisecond, 5*time.Millisecond
	})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx, &recorder{}) }()
	for i := range 3 {
		select {
		case <-f.boots:
		case <-time.After(10 * time.Second):
			t.Fatalf("%d bootstrap attempts", i)
		}
	}
	if h := a.Health(); h.Connected {
		t.Fatalf("health %+v", h)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if h := a.Health(); h.Connected || h.Detail != "stopped" {
		t.Fatalf("health after stop %+v", h)
	}
}

// TestInboundFiles: pictures and files sent to the bot (佐证) reach the
// bot as references, downloaded afterwards through FetchFile; one Feishu
// no longer serves is a permanent loss.
func TestInboundFiles(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f, nil, nil)
	rec := &recorder{}
	msg := func(id, typ, content string) []byte {
		s := strings.Replace(string(readTestdata(t, "p2p.json")), `"message_type": "text"`, `"message_type": "`+typ+`"`, 1)
		s = strings.Replace(s, `"{\"text\":\"帮助\"}"`, strconvQuote(content), 1)
		return []byte(strings.ReplaceAll(s, "om_p2p_1", id))
	}
	if _, err := a.handle(ctx, rec, msg("om_img", "image", `{"image_key":"img_1"}`)); err != nil {
		t.Fatal(err)
	}
	ev := rec.last()
	if ev.ID != "om_img" || len(ev.Files) != 1 || ev.Files[0].Ref != "om_img/image/img_1" || ev.Files[0].Content != nil {
		t.Fatalf("image %+v", ev.Files)
	}
	if c := f.callsTo("/open-apis/im/v1/messages/om_img/resources/img_1"); len(c) != 0 {
		t.Fatalf("downloaded during the callback: %+v", c)
	}
	got, err := a.FetchFile(ctx, ev.Files[0], 1<<20)
	if err != nil || got.MIME != "image/png" || string(got.Content) != "\x89PNG fake" || !strings.HasPrefix(got.Name, "图片.") {
		t.Fatalf("image %+v %v", got, err)
	}
	if c := f.callsTo("/open-apis/im/v1/messages/om_img/resources/img_1"); len(c) != 1 || c[0].Query != "type=image" || c[0].Token != "t-1" {
		t.Fatalf("download %+v", c)
	}
	if _, err := a.handle(ctx, rec, msg("om_file", "file", `{"file_key":"file_1","file_name":"报告.pdf"}`)); err != nil {
		t.Fatal(err)
	}
	if got, err := a.FetchFile(ctx, rec.last().Files[0], 1<<20); err != nil || got.Name != "整改报告.pdf" || got.MIME != "application/pdf" {
		t.Fatalf("file %+v %v", got, err)
	}
	if got, err := a.FetchFile(ctx, bot.File{Name: "x.pdf", Ref: "om_gone/file/file_gone"}, 1<<20); !errors.Is(err, bot.ErrPermanent) {
		t.Fatalf("gone: %+v %v", got, err)
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
