package feishu

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"zhenggai/bot"
	"zhenggai/bot/feishu/feishufake"
	"zhenggai/cards"
	"zhenggai/handlers"
	"zhenggai/store"
	"zhenggai/store/storetest"
)

// botBundle is a real Bot on the demo campaign with the Feishu adapter on
// the fake, mounted on a mux.
type botBundle struct {
	fake    *fakeFeishu
	adapter *Adapter
	bot     *bot.Bot
	mux     *http.ServeMux
	clock   *bot.FixedClock
	forms   []*bot.Event
}

// setupStore is a store of its own with the demo campaign applied.
func setupStore(t *testing.T) *store.Store {
	t.Helper()
	st := storetest.TestStore(ctx, t)
	data, err := os.ReadFile("../../deploy/campaigns/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cf, err := handlers.ParseCampaignFile("demo.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := handlers.ApplyCampaign(ctx, st, cf, store.System); err != nil {
		t.Fatal(err)
	}
	return st
}

func setupBot(t *testing.T) *botBundle {
	t.Helper()
	st := setupStore(t)
	li, err := st.PersonByKey(ctx, "li-lb")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.UpsertAccount(ctx, &store.Account{Platform: "feishu", ExternalID: "ou_li", PersonID: &li.ID}); err != nil {
		t.Fatal(err)
	}
	bb := &botBundle{clock: bot.NewFixedClock(time.Date(2026, 11, 26, 10, 0, 0, 0, time.FixedZone("CST", 8*3600)))}
	rt := bot.NewRouter()
	handlers.Register(rt, handlers.Deps{Clock: bb.clock})
	// A form action of the test's own: it answers the submitted values.
	rt.Action("test.form", func(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
		bb.forms = append(bb.forms, r.Event)
		c := &cards.Card{Title: "已提交", Tone: cards.ToneSuccess, Blocks: []cards.Block{
			cards.MD("进展：" + r.Event.Action.Form.Get("progress") + "\n时限：" + r.Event.Action.Form.Get("deadline")),
		}}
		return &bot.Reply{Toast: "已提交", ToastKind: "success", Card: c}, nil
	})
	b, err := bot.New(bot.Config{Store: st, Router: rt, Clock: bb.clock})
	if err != nil {
		t.Fatal(err)
	}
	bb.bot = b
	bb.fake = newFake(t)
	bb.adapter = newAdapter(t, bb.fake, bb.clock, nil)
	b.AddAdapter(bb.adapter)
	bb.mux = http.NewServeMux()
	bb.adapter.Mount(bb.mux, b)
	return bb
}

func (bb *botBundle) deliver(t *testing.T) {
	t.Helper()
	for {
		n, err := bb.bot.DeliverDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func (bb *botBundle) rejected(reason string) float64 {
	var m dto.Metric
	_ = bb.bot.Metrics().EventsRejected.WithLabelValues("feishu", reason).Write(&m)
	return m.GetCounter().GetValue()
}

// TestWebhookWithRealBot drives encrypted, signed callbacks through POST
// /callback/feishu into a real Bot: url_verification, a 1:1 message, a
// group @ message, a group message without the mention, a form submit, a
// bot added to a group, a duplicate delivery, a replay, and forged, stale
// and wrongly-tokened requests that change nothing.
func TestWebhookWithRealBot(t *testing.T) {
	bb := setupBot(t)
	now := bb.clock.Now()

	t.Run("url_verification", func(t *testing.T) {
		// Sent unsigned, encrypted.
		w := post(t, bb.mux, seal(t, readTestdata(t, "url_verification.json"), now, "n0"), false)
		if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != `{"challenge":"ajls384kdjx98XX"}` {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		bad := strings.Replace(string(readTestdata(t, "url_verification.json")), testToken, "other", 1)
		if w := post(t, bb.mux, seal(t, []byte(bad), now, "n0"), false); w.Code != http.StatusUnauthorized {
			t.Fatalf("wrong token: %d", w.Code)
		}
	})

	t.Run("p2p", func(t *testing.T) {
		w := post(t, bb.mux, seal(t, readTestdata(t, "p2p.json"), now, "n1"), true)
		if w.Code != http.StatusOK {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		bb.deliver(t)
		replies := bb.fake.callsTo("/open-apis/im/v1/messages/om_p2p_1/reply")
		if len(replies) != 1 {
			t.Fatalf("replies %+v", bb.fake.callsTo(""))
		}
		r := replies[0]
		if r.Body["msg_type"] != "interactive" || !strings.HasPrefix(r.Body["uuid"].(string), "zg") || r.Token != "t-1" {
			t.Fatalf("reply %+v", r.Body)
		}
		card := cardContent(t, r)
		if card["schema"] != "2.0" || !strings.Contains(r.Body["content"].(string), "帮助") {
			t.Fatalf("card %v", card)
		}
	})

	t.Run("duplicate", func(t *testing.T) {
		// Feishu delivers the same message again, signed anew and under
		// a new event_id (messages are deduplicated on message_id).
		before := len(bb.fake.callsTo(""))
		again := strings.Replace(string(readTestdata(t, "p2p.json")), "ev_p2p_1", "ev_p2p_1_resent", 1)
		if w := post(t, bb.mux, seal(t, []byte(again), now.Add(15*time.Second), "n1-again"), true); w.Code != http.StatusOK {
			t.Fatalf("%d", w.Code)
		}
		bb.deliver(t)
		if n := len(bb.fake.callsTo("")); n != before {
			t.Errorf("%d API calls after a duplicate, want %d", n, before)
		}
	})

	t.Run("replay", func(t *testing.T) {
		// The very same request again is refused.
		s := seal(t, readTestdata(t, "p2p.json"), now, "n1")
		if w := post(t, bb.mux, s, true); w.Code != http.StatusUnauthorized {
			t.Fatalf("%d", w.Code)
		}
		if bb.rejected("replayed") != 1 {
			t.Error("replay not counted")
		}
	})

	t.Run("group_at", func(t *testing.T) {
		if w := post(t, bb.mux, seal(t, readTestdata(t, "group_at.json"), now, "n2"), true); w.Code != http.StatusOK {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		bb.deliver(t)
		if r := bb.fake.callsTo("/open-apis/im/v1/messages/om_group_1/reply"); len(r) != 1 || !strings.Contains(r[0].Body["content"].(string), "帮助") {
			t.Fatalf("group reply %+v", r)
		}
		if n := len(bb.fake.callsTo("/open-apis/bot/v3/info")); n != 1 {
			t.Errorf("bot info read %d times", n)
		}
	})

	t.Run("group_without_mention", func(t *testing.T) {
		before := len(bb.fake.callsTo("/open-apis/im/v1/messages"))
		if w := post(t, bb.mux, seal(t, readTestdata(t, "group_no_at.json"), now, "n3"), true); w.Code != http.StatusOK {
			t.Fatalf("%d", w.Code)
		}
		bb.deliver(t)
		if n := len(bb.fake.callsTo("/open-apis/im/v1/messages")); n != before {
			t.Errorf("answered a message not meant for the bot")
		}
	})

	t.Run("form_submit", func(t *testing.T) {
		w := post(t, bb.mux, seal(t, readTestdata(t, "card_submit.json"), now, "n4"), true)
		if w.Code != http.StatusOK {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		var ans struct {
			Toast struct{ Type, Content string } `json:"toast"`
			Card  struct {
				Type string         `json:"type"`
				Data map[string]any `json:"data"`
			} `json:"card"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &ans); err != nil {
			t.Fatal(err)
		}
		if ans.Toast.Type != "success" || ans.Toast.Content != "已提交" || ans.Card.Type != "raw" || ans.Card.Data["schema"] != "2.0" {
			t.Fatalf("answer %s", w.Body)
		}
		if !strings.Contains(w.Body.String(), "时限：2023-06-30") {
			t.Errorf("date not normalised: %s", w.Body)
		}
		if len(bb.forms) != 1 {
			t.Fatalf("form handler ran %d times", len(bb.forms))
		}
		ev := bb.forms[0]
		f := ev.Action.Form
		if ev.ID != "ev_card_1" || ev.Action.Name != "test.form" || ev.Action.Params["item"] != "42" || ev.Action.Params["v"] != "3" ||
			f.Get("deadline") != "2023-06-30" || len(f["units"]) != 2 || f["units"][1] != "yima" ||
			f.Get("leader") != "ou_3c14f3a59eaf2825dbe25359f1595b00" || ev.Message.Token == "" || ev.Message.MessageID != "om_card_1" {
			t.Fatalf("event %+v form %v", ev.Action, f)
		}
		// The same callback again: answered empty, not handled twice.
		w = post(t, bb.mux, seal(t, readTestdata(t, "card_submit.json"), now, "n4-again"), true)
		if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != "{}" || len(bb.forms) != 1 {
			t.Fatalf("duplicate click: %d %s, %d runs", w.Code, w.Body, len(bb.forms))
		}
	})

	t.Run("bot_added", func(t *testing.T) {
		if w := post(t, bb.mux, seal(t, readTestdata(t, "bot_added.json"), now, "n5"), true); w.Code != http.StatusOK {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		ch, err := bb.bot.Store().ChatByExternal(ctx, "feishu", "oc_new_group")
		if err != nil || !ch.Active || ch.Title != "灵宝整改工作群" {
			t.Fatalf("chat %+v %v", ch, err)
		}
	})

	refused := func(t *testing.T, reason string, s sealed, signed bool) {
		t.Helper()
		calls := len(bb.fake.callsTo(""))
		before := bb.rejected(reason)
		if w := post(t, bb.mux, s, signed); w.Code != http.StatusUnauthorized {
			t.Fatalf("%d, want 401", w.Code)
		}
		bb.deliver(t)
		if len(bb.fake.callsTo("")) != calls {
			t.Error("a refused request had an effect")
		}
		if bb.rejected(reason) != before+1 {
			t.Errorf("rejection %q not counted", reason)
		}
	}
	fresh := func(id string) []byte {
		return []byte(strings.NewReplacer("om_p2p_1", id, "ev_p2p_1", "ev_"+id).Replace(string(readTestdata(t, "p2p.json"))))
	}

	t.Run("forged_signature", func(t *testing.T) {
		s := seal(t, fresh("om_forged"), now, "n6")
		s.signature = signature(s.ts, s.nonce, "not-the-key", s.body)
		refused(t, "bad_signature", s, true)
		refused(t, "bad_signature", seal(t, fresh("om_forged"), now, "n6"), false) // unsigned
	})

	t.Run("stale_timestamp", func(t *testing.T) {
		refused(t, "stale", seal(t, fresh("om_stale"), now.Add(-time.Hour), "n7"), true)
	})

	t.Run("wrong_token", func(t *testing.T) {
		body := strings.Replace(string(fresh("om_token")), `"token": "verify-token"`, `"token": "guess"`, 1)
		refused(t, "bad_token", seal(t, []byte(body), now, "n8"), true)
	})

	t.Run("wrong_key", func(t *testing.T) {
		iv := []byte("0123456789abcdef")
		body, _ := json.Marshal(map[string]string{"encrypt": feishufake.Encrypt("another-key", fresh("om_key"), iv)})
		s := sealed{body: body, ts: seal(t, nil, now, "n9").ts, nonce: "n9"}
		s.signature = signature(s.ts, s.nonce, testEncKey, body)
		refused(t, "undecryptable", s, true)
	})
}

// TestDeliveryRateLimitedThenSent: Feishu answers the first send with 429;
// the delivery comes back after x-ogw-ratelimit-reset and goes out with the
// same uuid.
func TestDeliveryRateLimitedThenSent(t *testing.T) {
	bb := setupBot(t)
	bb.fake.failNext(failure{status: http.StatusTooManyRequests, code: codeRateLimited, header: map[string]string{"x-ogw-ratelimit-reset": "2"}})
	if w := post(t, bb.mux, seal(t, readTestdata(t, "p2p.json"), bb.clock.Now(), "r1"), true); w.Code != http.StatusOK {
		t.Fatalf("%d", w.Code)
	}
	bb.deliver(t)
	replies := bb.fake.callsTo("/open-apis/im/v1/messages/om_p2p_1/reply")
	if len(replies) != 1 {
		t.Fatalf("%d attempts", len(replies))
	}
	bb.clock.Advance(3 * time.Second)
	bb.deliver(t)
	replies = bb.fake.callsTo("/open-apis/im/v1/messages/om_p2p_1/reply")
	if len(replies) != 2 || replies[0].Body["uuid"] != replies[1].Body["uuid"] {
		t.Fatalf("attempts %+v", replies)
	}
	if bb.fake.messages != 1 {
		t.Errorf("%d messages created", bb.fake.messages)
	}
}
