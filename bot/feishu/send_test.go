package feishu

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"zhenggai/bot"
	"zhenggai/bot/ratelimit"
	"zhenggai/cards"
)

func TestSendText(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f, nil, nil)
	m := &bot.Message{Text: "请更新进展", Mentions: []string{"ou_li"}, IdempotencyKey: "d-1"}
	ref, err := a.Send(ctx, bot.Target{Platform: bot.Feishu, ChatID: "oc_lingbao"}, m)
	if err != nil {
		t.Fatal(err)
	}
	if ref.MessageID != "om_1" || ref.ChatID != "oc_lingbao" {
		t.Fatalf("ref %+v", ref)
	}
	c := f.callsTo("/open-apis/im/v1/messages")[0]
	if c.Query != "receive_id_type=chat_id" || c.Body["receive_id"] != "oc_lingbao" || c.Body["msg_type"] != "text" ||
		c.Body["content"] != `{"text":"<at user_id=\"ou_li\"></at> 请更新进展"}` || c.Token != "t-1" {
		t.Fatalf("call %+v", c)
	}
	// The same delivery again reuses the uuid; another delivery does not.
	if _, err := a.Send(ctx, bot.Target{Platform: bot.Feishu, ChatID: "oc_lingbao"}, m); err != nil {
		t.Fatal(err)
	}
	m2 := *m
	m2.IdempotencyKey = "d-2"
	if _, err := a.Send(ctx, bot.Target{Platform: bot.Feishu, ChatID: "oc_lingbao"}, &m2); err != nil {
		t.Fatal(err)
	}
	calls := f.callsTo("/open-apis/im/v1/messages")
	u := func(i int) string { return calls[i].Body["uuid"].(string) }
	if u(0) != u(1) || u(0) == u(2) || len(u(0)) > 50 {
		t.Fatalf("uuids %q %q %q", u(0), u(1), u(2))
	}
	if f.tokens != 1 {
		t.Errorf("%d tokens fetched, want 1 (cached)", f.tokens)
	}
}

func TestSendCardToUser(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f, nil, nil)
	c := &cards.Card{Title: "整改提醒", Tone: cards.ToneWarning, Blocks: []cards.Block{cards.MD("**问题**：消防通道堵塞")}}
	if _, err := a.Send(ctx, a.DirectTarget("ou_li"), &bot.Message{Text: "您好", Card: c}); err != nil {
		t.Fatal(err)
	}
	call := f.callsTo("/open-apis/im/v1/messages")[0]
	if call.Query != "receive_id_type=open_id" || call.Body["receive_id"] != "ou_li" || call.Body["msg_type"] != "interactive" {
		t.Fatalf("call %+v", call)
	}
	card := cardContent(t, call)
	if card["schema"] != "2.0" || !strings.Contains(call.Body["content"].(string), "您好") {
		t.Fatalf("card %v", card)
	}
}

func TestSendErrors(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f, nil, nil)
	to := bot.Target{Platform: bot.Feishu, UserID: "ou_ext"}

	f.failNext(failure{status: http.StatusTooManyRequests, code: codeRateLimited, header: map[string]string{"x-ogw-ratelimit-reset": "3"}})
	_, err := a.Send(ctx, to, &bot.Message{Text: "x"})
	var rl *bot.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 3*time.Second {
		t.Fatalf("429: %v", err)
	}
	// 99991400 with HTTP 200-ish statuses is a rate limit too.
	f.failNext(failure{status: http.StatusBadRequest, code: codeRateLimited})
	if _, err := a.Send(ctx, to, &bot.Message{Text: "x"}); !errors.As(err, &rl) {
		t.Fatalf("99991400: %v", err)
	}
	f.failNext(failure{status: http.StatusBadRequest, code: codeCrossTenant})
	_, err = a.Send(ctx, to, &bot.Message{Text: "x"})
	if !errors.Is(err, bot.ErrPermanent) || !strings.Contains(err.Error(), "对外共享") {
		t.Fatalf("230038: %v", err)
	}
	f.failNext(failure{status: http.StatusBadRequest, code: codeOutsideAvailable})
	if _, err := a.Send(ctx, to, &bot.Message{Text: "x"}); !errors.Is(err, bot.ErrPermanent) || !strings.Contains(err.Error(), "可用范围") {
		t.Fatalf("230013: %v", err)
	}
	f.failNext(failure{status: http.StatusInternalServerError, code: 1})
	if _, err := a.Send(ctx, to, &bot.Message{Text: "x"}); err == nil || errors.Is(err, bot.ErrPermanent) {
		t.Fatalf("500: %v", err)
	}
	if _, err := a.Send(ctx, bot.Target{Platform: bot.Feishu}, &bot.Message{Text: "x"}); !errors.Is(err, bot.ErrPermanent) {
		t.Fatalf("no target: %v", err)
	}
}

// TestTokenRefresh: Feishu calls the cached token invalid (99991663); the
// adapter drops it, fetches a new one and makes the call again.
func TestTokenRefresh(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f, nil, nil)
	to := bot.Target{Platform: bot.Feishu, ChatID: "oc_1"}
	if _, err := a.Send(ctx, to, &bot.Message{Text: "一"}); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.revoked["t-1"] = true
	f.mu.Unlock()
	if _, err := a.Send(ctx, to, &bot.Message{Text: "二"}); err != nil {
		t.Fatal(err)
	}
	calls := f.callsTo("/open-apis/im/v1/messages")
	if f.tokens != 2 || len(calls) != 3 || calls[1].Token != "t-1" || calls[2].Token != "t-2" {
		t.Fatalf("tokens %d calls %+v", f.tokens, calls)
	}
}

func TestUpdateCardAndFile(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f, nil, nil)
	c := &cards.Card{Title: "已销号", Tone: cards.ToneSuccess, Blocks: []cards.Block{cards.MD("完成")}}
	if err := a.UpdateCard(ctx, bot.MessageRef{Platform: bot.Feishu, MessageID: "om_9"}, c); err != nil {
		t.Fatal(err)
	}
	p := f.callsTo("/open-apis/im/v1/messages/om_9")
	if len(p) != 1 || p[0].Method != http.MethodPatch || !strings.Contains(p[0].Body["content"].(string), `"update_multi":true`) {
		t.Fatalf("patch %+v", p)
	}
	if err := a.UpdateCard(ctx, bot.MessageRef{Platform: bot.Feishu, Token: "c-1"}, c); err != nil {
		t.Fatal(err)
	}
	u := f.callsTo("/open-apis/interactive/v1/card/update")
	if len(u) != 1 || u[0].Body["token"] != "c-1" || u[0].Body["card"].(map[string]any)["schema"] != "2.0" {
		t.Fatalf("update %+v", u)
	}

	ref, err := a.SendFile(ctx, bot.Target{Platform: bot.Feishu, ChatID: "oc_office"},
		&bot.File{Name: "台账.xlsx", MIME: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Content: []byte("PK..")})
	if err != nil || ref.MessageID == "" {
		t.Fatalf("file: %+v %v", ref, err)
	}
	up := f.callsTo("/open-apis/im/v1/files")
	if len(up) != 1 || !strings.HasPrefix(up[0].CType, "multipart/form-data") || !strings.Contains(string(up[0].Raw), `name="file_type"`) ||
		!strings.Contains(string(up[0].Raw), "xls") || !strings.Contains(string(up[0].Raw), "PK..") {
		t.Fatalf("upload %+v", up)
	}
	var sent []apiCall
	for _, c := range f.callsTo("/open-apis/im/v1/messages") {
		if c.Path == "/open-apis/im/v1/messages" {
			sent = append(sent, c)
		}
	}
	if len(sent) != 1 || sent[0].Body["msg_type"] != "file" || sent[0].Body["content"] != `{"file_key":"file_v2_1"}` {
		t.Fatalf("send %+v", sent)
	}
}

// TestSendLimits: the adapter declares 5 QPS per chat, per user and per
// message and 50 a second for the app, which the delivery worker applies.
func TestSendLimits(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f, nil, nil)
	s := ratelimit.New(3 * time.Second)
	s.Declare("feishu", a.SendLimits()...)
	now := time.Unix(1000, 0)
	for _, to := range []ratelimit.Send{{Platform: "feishu", Chat: "oc_a"}, {Platform: "feishu", User: "ou_a"}, {Platform: "feishu", Chat: "oc_b", Message: "om_a"}} {
		for i := range 5 {
			if w := s.Reserve(to, now); w != 0 {
				t.Fatalf("%+v: send %d waits %v", to, i, w)
			}
		}
		if w := s.Reserve(to, now); w != 200*time.Millisecond {
			t.Errorf("%+v: 6th send in a second waits %v", to, w)
		}
	}
	n := 0
	for ; s.Reserve(ratelimit.Send{Platform: "feishu", User: fmt.Sprint("ou_", n)}, now.Add(time.Minute)) == 0; n++ {
	}
	if n != 50 {
		t.Errorf("%d sends to distinct users at once, want the app's 50", n)
	}
}

func TestDoctor(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f, nil, func(o *Options) { o.Mode = ModeWS })
	checks := a.Doctor(ctx)
	byName := map[string]bot.Check{}
	for _, c := range checks {
		byName[c.Name] = c
	}
	if !byName["credentials"].OK || !byName["bot"].OK || !strings.Contains(byName["bot"].Info, testBotOpenID) ||
		!byName["long connection"].OK || !byName["scopes"].OK {
		t.Fatalf("checks %+v", checks)
	}
	if !strings.Contains(byName["long connection"].Info, "WebSocket to 127.0.0.1") {
		t.Errorf("the long connection's host is not dialled: %+v", byName["long connection"])
	}
	// The WebSocket host is blocked (here: a port nobody listens on) while
	// the endpoint call works; the message scope is withheld.
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := "ws" + strings.TrimPrefix(dead.URL, "http") + "/ws/v2"
	dead.Close()
	f.mu.Lock()
	f.wsURL, f.noMsgScope = deadURL, true
	f.mu.Unlock()
	byName = map[string]bot.Check{}
	for _, c := range a.Doctor(ctx) {
		byName[c.Name] = c
	}
	if c := byName["long connection"]; c.OK || !strings.Contains(c.Info, strings.TrimPrefix(deadURL, "ws://")[:len("127.0.0.1:")]) || !strings.Contains(c.Info, "cannot be reached") {
		t.Errorf("blocked WebSocket host: %+v", c)
	}
	if c := byName["scopes"]; c.OK || !strings.Contains(c.Info, "im:message") {
		t.Errorf("withheld message scope: %+v", c)
	}
	bad := newAdapter(t, f, nil, func(o *Options) { o.AppSecret = "wrong" })
	if c := bad.Doctor(ctx); len(c) != 1 || c[0].OK {
		t.Fatalf("bad secret: %+v", c)
	}
}
