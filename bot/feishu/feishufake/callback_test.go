package feishufake_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"zhenggai/bot"
	"zhenggai/bot/bottest"
	"zhenggai/bot/feishu"
	"zhenggai/bot/feishu/feishufake"
	"zhenggai/cards"
)

// TestSealedCallbacksReachTheAdapter checks the fake against the real
// adapter: a sealed message and a sealed form submit are accepted and
// decoded as sent; the same body with a changed byte, or sealed with
// another key, is refused.
func TestSealedCallbacksReachTheAdapter(t *testing.T) {
	app := feishufake.App{AppID: "cli_fake", VerificationToken: "token", EncryptKey: "key"}
	api := httptest.NewServer(feishufake.NewAPI(app, "secret", "ou_bot").Handler())
	defer api.Close()
	ad, err := feishu.New(feishu.Options{AppID: app.AppID, AppSecret: "secret", VerificationToken: app.VerificationToken,
		EncryptKey: app.EncryptKey, Mode: feishu.ModeWebhook, BaseURL: api.URL, BotOpenID: "ou_bot",
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	rec := &bottest.Recorder{}
	mux := http.NewServeMux()
	ad.Mount(mux, rec)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	now := time.Now()
	post := func(a feishufake.App, plain []byte, tamper bool) int {
		t.Helper()
		req, err := a.Request(srv.URL+"/callback/feishu", plain, now)
		if err != nil {
			t.Fatal(err)
		}
		if tamper {
			body, _ := io.ReadAll(req.Body)
			body[len(body)-3] ^= 1
			req.Body = io.NopCloser(strings.NewReader(string(body)))
			req.ContentLength = int64(len(body))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	msg := app.MessageEvent(feishufake.Message{MessageID: "om_1", ChatID: "oc_p2p_1", P2P: true, SenderID: "ou_1", Text: "台账"}, now)
	card := app.CardActionEvent(feishufake.CardAction{EventID: "ev_2", OperatorID: "ou_1", ChatID: "oc_p2p_1", MessageID: "om_card",
		Value:     map[string]any{cards.FeishuActionKey: "item.progress.submit", "item": "7", "v": "1"},
		FormValue: map[string]any{"text": "已整改", "status": "in_progress"}}, now)
	if got := post(app, msg, false); got != http.StatusOK {
		t.Fatalf("message: %d", got)
	}
	if got := post(app, card, false); got != http.StatusOK {
		t.Fatalf("card: %d", got)
	}
	if got := post(app, msg, true); got != http.StatusUnauthorized {
		t.Fatalf("tampered body: %d, want 401", got)
	}
	other := app
	other.EncryptKey = "another key"
	if got := post(other, msg, false); got != http.StatusUnauthorized {
		t.Fatalf("another key: %d, want 401", got)
	}
	if len(rec.Events()) != 2 {
		t.Fatalf("%d events dispatched, want 2", len(rec.Events()))
	}
	m, c := rec.Events()[0], rec.Events()[1]
	if m.ID != "om_1" || m.Text != "台账" || m.Chat.Kind != bot.Direct || m.Sender.ID != "ou_1" {
		t.Errorf("message decoded as %+v", m)
	}
	if c.ID != "ev_2" || c.Action == nil || c.Action.Name != "item.progress.submit" || c.Action.Params["item"] != "7" ||
		c.Action.Form.Get("text") != "已整改" || c.Sender.ID != "ou_1" {
		t.Errorf("card action decoded as %+v %+v", c, c.Action)
	}
}

// TestAPIDedupesByUUID checks that a retried send (same uuid) makes one
// message, as Feishu does, and that a call without a token is refused.
func TestAPIDedupesByUUID(t *testing.T) {
	api := feishufake.NewAPI(feishufake.App{AppID: "cli_fake"}, "secret", "ou_bot")
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()
	send := func(token, uuid string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/open-apis/im/v1/messages?receive_id_type=open_id",
			strings.NewReader(`{"receive_id":"ou_1","msg_type":"text","content":"{\"text\":\"好\"}","uuid":"`+uuid+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, uuid := range []string{"zg-1", "zg-1", "zg-2"} {
		if got := send("t-1", uuid); got != http.StatusOK {
			t.Fatalf("send %s: %d", uuid, got)
		}
	}
	if got := send("", "zg-3"); got != http.StatusBadRequest {
		t.Fatalf("send without a token: %d, want 400", got)
	}
	if api.Messages() != 2 || api.Sends() != 3 || api.MessagesTo("ou_1") != 2 {
		t.Fatalf("messages %d, sends %d, to ou_1 %d; want 2, 3, 2", api.Messages(), api.Sends(), api.MessagesTo("ou_1"))
	}
}
