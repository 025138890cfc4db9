package dingtalk

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"zhenggai/bot"
	"zhenggai/handlers"
	"zhenggai/store"
)

// TestWithRealBot runs HTTP callbacks through a real Bot on the demo
// campaign: a bound liaison asks for help 1:1 and gets the help card as an
// interactive card; the same message again is a duplicate; a card click is
// answered inline by the bot and deduplicated too.
func TestWithRealBot(t *testing.T) {
	st := demoStore(t)
	li, err := st.PersonByKey(ctx, "li-lb")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.UpsertAccount(ctx, &store.Account{Platform: "dingtalk", ExternalID: "0420li", PersonID: &li.ID}); err != nil {
		t.Fatal(err)
	}
	clock := bot.NewFixedClock(time.Date(2026, 11, 26, 10, 0, 0, 0, time.FixedZone("CST", 8*3600)))
	rt := bot.NewRouter()
	handlers.Register(rt, handlers.Deps{Clock: clock})
	b, err := bot.New(bot.Config{Store: st, Router: rt, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	hb := setupHTTP(t, func(o *Options) { o.CardTemplateID, o.FormTemplateID = "tpl-card.schema", "tpl-form.schema" })
	b.AddAdapter(hb.adapter)
	mux := http.NewServeMux()
	hb.adapter.Mount(mux, b)
	hb.mux = mux

	deliver := func() {
		t.Helper()
		for {
			n, err := b.DeliverDue(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				return
			}
		}
	}

	body := readTestdata(t, "direct.json")
	sign := robotSign("client-secret", testTS)
	if w := hb.postRobot(t, body, testTS, sign); w.Code != http.StatusOK {
		t.Fatalf("message: %d %s", w.Code, w.Body)
	}
	deliver()
	created := hb.fake.callsTo("/v1.0/card/instances/createAndDeliver")
	if len(created) != 1 || created[0].Body["openSpaceId"] != "dtv1.card//IM_ROBOT.0420li" {
		t.Fatalf("help card: %+v", created)
	}
	pm := created[0].Body["cardData"].(map[string]any)["cardParamMap"].(map[string]any)
	if !strings.Contains(pm["title"].(string), "帮助") || !strings.Contains(pm["content_1"].(string), "台账") {
		t.Errorf("help card params %v", pm)
	}

	// The same msgId again changes nothing and sends nothing.
	before := len(hb.fake.callsTo(""))
	if w := hb.postRobot(t, body, testTS, sign); w.Code != http.StatusOK {
		t.Fatalf("duplicate: %d", w.Code)
	}
	deliver()
	if n := len(hb.fake.callsTo("")); n != before {
		t.Errorf("%d API calls after a duplicate, want still %d", n, before)
	}

	// A click on a card action the bot does not know is answered inline.
	click := []byte(`{"type":"actionCallback","outTrackId":"zgc-00","userId":"0420li","spaceType":"IM_ROBOT","spaceId":"0420li",` +
		`"content":"{\"cardPrivateData\":{\"actionIds\":[\"btn_1\"],\"params\":{\"action\":\"no.such.action\",\"params\":\"{}\"}}}"}`)
	csign := cardSign("card-secret", testTS)
	w := hb.postCard(t, click, testTS, csign)
	var resp cardResponse
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || w.Code != http.StatusOK {
		t.Fatalf("click: %d %s", w.Code, w.Body)
	}
	if resp.UserPrivateData == nil || !strings.Contains(resp.UserPrivateData.CardParamMap["toast"], "已失效") {
		t.Errorf("click answer %s", w.Body)
	}
	w = hb.postCard(t, click, testTS, csign)
	resp = cardResponse{}
	_ = json.Unmarshal(w.Body.Bytes(), &resp)
	if w.Code != http.StatusOK || resp.CardData != nil || resp.UserPrivateData != nil {
		t.Errorf("duplicate click answer %d %s", w.Code, w.Body)
	}
}
