package dingtalk

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"zhenggai/bot"
	"zhenggai/cards"
)

const testTS = "1690362102194"

func TestSignatureVectors(t *testing.T) {
	// Self-computed vectors of shared/platforms/wecom-dingtalk.md 6.
	if got := robotSign("this is secret", testTS); got != "UjQh+Ye5ziP1HBmVtWUzU3mcCkwWoo33UIWd6D43nEg=" {
		t.Errorf("robotSign = %s", got)
	}
	if got := cardSign("mySecret", testTS); got != "PSkMUvZoww6BJX0nfC8JooA++XUei07WeGulIBkygy8=" {
		t.Errorf("cardSign = %s", got)
	}
}

// httpBundle is an adapter in HTTP mode mounted on a mux, with a recording
// dispatcher.
type httpBundle struct {
	fake    *fakeDingTalk
	adapter *Adapter
	rec     *recorder
	mux     *http.ServeMux
	metrics *bot.Metrics
}

func setupHTTP(t *testing.T, mod func(o *Options)) *httpBundle {
	t.Helper()
	f := newFake(t)
	m := bot.NewMetrics(nil)
	a := newTestAdapter(t, f, func(o *Options) {
		o.Mode = ModeHTTP
		o.Metrics = m
		o.CardCallbackSecret = "card-secret"
		o.PublicBaseURL = "https://zg.example.gov.cn"
		if mod != nil {
			mod(o)
		}
	})
	b := &httpBundle{fake: f, adapter: a, rec: newRecorder(), mux: http.NewServeMux(), metrics: m}
	a.Mount(b.mux, b.rec)
	return b
}

func (b *httpBundle) postRobot(t *testing.T, body []byte, ts, sign string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/callback/dingtalk", bytes.NewReader(body))
	req.Header.Set("timestamp", ts)
	req.Header.Set("sign", sign)
	w := httptest.NewRecorder()
	b.mux.ServeHTTP(w, req)
	return w
}

func (b *httpBundle) postCard(t *testing.T, body []byte, ts, sign string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/callback/dingtalk/card", bytes.NewReader(body))
	req.Header.Set("x-ddpaas-signature-timestamp", ts)
	req.Header.Set("x-ddpaas-signature", sign)
	w := httptest.NewRecorder()
	b.mux.ServeHTTP(w, req)
	return w
}

func (b *httpBundle) rejected(reason string) float64 {
	var m dto.Metric
	if err := b.metrics.EventsRejected.WithLabelValues("dingtalk", reason).Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}

func TestHTTPGroupMention(t *testing.T) {
	t.Parallel()
	b := setupHTTP(t, nil)
	w := b.postRobot(t, readTestdata(t, "group_at.json"), testTS, robotSign("client-secret", testTS))
	if w.Code != http.StatusOK || !bytes.Contains(w.Body.Bytes(), []byte(`"msgtype":"empty"`)) {
		t.Fatalf("answer %d %s", w.Code, w.Body)
	}
	evs := b.rec.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
	ev := evs[0]
	if ev.ID != "msgGroupAt01==" || ev.Kind != bot.KindMessage || ev.Platform != bot.DingTalk {
		t.Errorf("event %+v", ev)
	}
	if ev.Chat != (bot.Chat{ID: "cidGroupLingbao==", Kind: bot.Group, Title: "灵宝市交通运输局整改群"}) {
		t.Errorf("chat %+v", ev.Chat)
	}
	if ev.Text != "台账" {
		t.Errorf("text %q: the mention's space must be stripped", ev.Text)
	}
	if ev.Sender.ID != "0420li" || ev.Sender.Name != "李联络" {
		t.Errorf("sender %+v", ev.Sender)
	}
	if len(ev.Mentions) != 1 || ev.Mentions[0].ID != "0420wang" {
		t.Errorf("mentions %+v: the robot's own mention must be dropped", ev.Mentions)
	}
}

func TestHTTPGroupWithoutMentionIsIgnored(t *testing.T) {
	t.Parallel()
	b := setupHTTP(t, nil)
	w := b.postRobot(t, readTestdata(t, "group_no_at.json"), testTS, robotSign("client-secret", testTS))
	if w.Code != http.StatusOK {
		t.Fatalf("answer %d", w.Code)
	}
	if n := len(b.rec.Events()); n != 0 {
		t.Fatalf("%d events dispatched for a message without @", n)
	}
}

func TestHTTPDirectMessage(t *testing.T) {
	t.Parallel()
	b := setupHTTP(t, nil)
	w := b.postRobot(t, readTestdata(t, "direct.json"), testTS, robotSign("client-secret", testTS))
	if w.Code != http.StatusOK {
		t.Fatalf("answer %d", w.Code)
	}
	ev := b.rec.Events()[0]
	if ev.Chat.Kind != bot.Direct || ev.Chat.ID != "" || ev.Text != "帮助" || ev.Sender.ID != "0420li" {
		t.Errorf("event %+v", ev)
	}
}

func TestHTTPRejectsForgedAndStale(t *testing.T) {
	t.Parallel()
	b := setupHTTP(t, nil)
	body := readTestdata(t, "group_at.json")
	cases := []struct {
		name, ts, sign, reason string
	}{
		{"forged sign", testTS, robotSign("other-secret", testTS), "bad_signature"},
		{"sign of another timestamp", testTS, robotSign("client-secret", "1690362102195"), "bad_signature"},
		{"stale timestamp", "1690358000000", robotSign("client-secret", "1690358000000"), "stale"},
		{"future timestamp", "1690370000000", robotSign("client-secret", "1690370000000"), "stale"},
		{"no sign", testTS, "", "no_signature"},
		{"bad timestamp", "yesterday", robotSign("client-secret", "yesterday"), "bad_timestamp"},
	}
	for _, c := range cases {
		w := b.postRobot(t, body, c.ts, c.sign)
		if w.Code != http.StatusUnauthorized {
			t.Errorf("%s: answer %d, want 401", c.name, w.Code)
		}
	}
	if n := len(b.rec.Events()); n != 0 {
		t.Fatalf("%d events dispatched from rejected callbacks", n)
	}
	if got := b.rejected("bad_signature"); got != 2 {
		t.Errorf("bad_signature rejections = %v", got)
	}
	if got := b.rejected("stale"); got != 2 {
		t.Errorf("stale rejections = %v", got)
	}
	// A card callback signed with the robot's scheme is refused too.
	w := b.postCard(t, readTestdata(t, "card_submit.json"), testTS, robotSign("card-secret", testTS))
	if w.Code != http.StatusUnauthorized {
		t.Errorf("card with a forged signature: %d", w.Code)
	}
	if got := b.rejected("bad_signature"); got != 3 {
		t.Errorf("bad_signature rejections = %v", got)
	}
	// Signed but undecodable bodies are refused with 400.
	if w := b.postRobot(t, []byte(`{"msgtype":"text"}`), testTS, robotSign("client-secret", testTS)); w.Code != http.StatusBadRequest {
		t.Errorf("message without msgId: %d", w.Code)
	}
	if w := b.postCard(t, []byte(`{"outTrackId":"zgc-1","userId":"u","content":"{oops"}`), testTS, cardSign("card-secret", testTS)); w.Code != http.StatusBadRequest {
		t.Errorf("card with bad content: %d", w.Code)
	}
	if got := b.rejected("undecodable"); got != 2 {
		t.Errorf("undecodable rejections = %v", got)
	}
	if n := len(b.rec.Events()); n != 0 {
		t.Fatalf("%d events dispatched from rejected callbacks", n)
	}
}

func TestHTTPCardFormSubmit(t *testing.T) {
	t.Parallel()
	b := setupHTTP(t, func(o *Options) { o.CardTemplateID, o.FormTemplateID = "tpl-card.schema", "tpl-form.schema" })
	b.rec.reply = func(ev *bot.Event) (*bot.Reply, error) {
		return &bot.Reply{Toast: "进展已保存", ToastKind: "success", Card: &cards.Card{Title: "台账条目 #42", Tone: cards.ToneSuccess,
			Blocks: []cards.Block{cards.MD("**进展**：" + ev.Action.Form.Get("progress"))}}}, nil
	}
	w := b.postCard(t, readTestdata(t, "card_submit.json"), testTS, cardSign("card-secret", testTS))
	if w.Code != http.StatusOK {
		t.Fatalf("answer %d %s", w.Code, w.Body)
	}
	ev := b.rec.Events()[0]
	if ev.Kind != bot.KindCardAction || ev.Action.Name != "ledger.progress" {
		t.Fatalf("event %+v", ev)
	}
	if ev.Action.Params["item"] != "42" || ev.Action.Params["v"] != "3" {
		t.Errorf("params %v", ev.Action.Params)
	}
	want := cards.Values{"progress": {"已清理通道"}, "status": {"done"}, "deadline": {"2026-12-31"}, "tags": {"a", "c"}}
	for k, v := range want {
		if got := ev.Action.Form[k]; len(got) != len(v) || got[0] != v[0] || got[len(got)-1] != v[len(v)-1] {
			t.Errorf("form %s = %v, want %v", k, got, v)
		}
	}
	if ev.Chat.ID != "cidGroupLingbao==" || ev.Chat.Kind != bot.Group || ev.Sender.ID != "0420li" {
		t.Errorf("chat %+v sender %+v", ev.Chat, ev.Sender)
	}
	if ev.Message.MessageID != "zgf-0123456789abcdef01234567" || len(ev.ID) < 10 {
		t.Errorf("message %+v id %s", ev.Message, ev.ID)
	}
	var resp cardResponse
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	p := resp.CardData.CardParamMap
	if p["title"] != "台账条目 #42" || p["tone"] != "green" {
		t.Errorf("clicker's view %v", p)
	}
	if _, ok := p["toast"]; ok {
		t.Error("the toast must not be public card data")
	}
	if pd := resp.UserPrivateData.CardParamMap; pd["toast"] != "进展已保存" || pd["toast_kind"] != "success" {
		t.Errorf("clicker's private result line %v", pd)
	}
	if !resp.CardUpdateOptions.UpdateCardDataByKey {
		t.Error("the answer must update by key")
	}
	// Everyone's copy follows through the update API, without the toast.
	b.adapter.Wait()
	puts := b.fake.callsTo("/v1.0/card/instances")
	if len(puts) != 1 || puts[0].Method != http.MethodPut || puts[0].Body["outTrackId"] != "zgf-0123456789abcdef01234567" {
		t.Fatalf("updates %+v", puts)
	}
	pm := puts[0].Body["cardData"].(map[string]any)["cardParamMap"].(map[string]any)
	if _, ok := pm["toast"]; pm["title"] != "台账条目 #42" || ok {
		t.Errorf("everyone's view %v: the card without the clicker's toast", pm)
	}
}

func TestHTTPCardClickWithoutCardReply(t *testing.T) {
	t.Parallel()
	b := setupHTTP(t, nil)
	b.rec.reply = func(*bot.Event) (*bot.Reply, error) {
		return &bot.Reply{Toast: "您无权审批该申请", ToastKind: "error"}, nil
	}
	w := b.postCard(t, readTestdata(t, "card_click.json"), testTS, cardSign("card-secret", testTS))
	if w.Code != http.StatusOK {
		t.Fatalf("answer %d %s", w.Code, w.Body)
	}
	ev := b.rec.Events()[0]
	if ev.Action.Name != "approval.approve" || ev.Action.Params["request"] != "7" || ev.Chat.Kind != bot.Direct || ev.Chat.ID != "" {
		t.Errorf("event %+v", ev)
	}
	var resp cardResponse
	_ = json.Unmarshal(w.Body.Bytes(), &resp)
	if resp.CardData != nil || resp.UserPrivateData.CardParamMap["toast"] != "您无权审批该申请" {
		t.Errorf("answer %s: a toast alone must touch only the clicker's result line", w.Body)
	}
	b.adapter.Wait()
	if n := len(b.fake.callsTo("/v1.0/card/instances")); n != 0 {
		t.Errorf("%d card updates for a toast", n)
	}
}

func TestCardEventIDs(t *testing.T) {
	t.Parallel()
	var cb cardCallback
	_ = json.Unmarshal(readTestdata(t, "card_submit.json"), &cb)
	e1, err := cardEvent(&cb)
	if err != nil {
		t.Fatal(err)
	}
	e2, _ := cardEvent(&cb)
	if e1.ID != e2.ID {
		t.Error("the same callback must have the same id")
	}
	other := cb
	other.UserID = "0420wang"
	e3, _ := cardEvent(&other)
	changed := cb
	changed.Content = `{"cardPrivateData":{"params":{"action":"ledger.progress","form":{"progress":"另一个"}}}}`
	e4, _ := cardEvent(&changed)
	if e3.ID == e1.ID || e4.ID == e1.ID {
		t.Error("another user or other content must have another id")
	}
	bad := cb
	bad.Content = "{not json"
	if _, err := cardEvent(&bad); err == nil {
		t.Error("bad content must fail")
	}
	// Dates as epoch milliseconds and the older "value" field.
	old := cardCallback{OutTrackID: "zgc-1", UserID: "u", Value: `{"params":{"action":"x","form":{"d":1782835200000}}}`}
	e5, err := cardEvent(&old)
	if err != nil || e5.Action.Name != "x" || e5.Action.Form.Get("d") != "2026-07-01" {
		t.Errorf("old form: %+v %v", e5, err)
	}
}

func TestHealthInHTTPMode(t *testing.T) {
	t.Parallel()
	b := setupHTTP(t, nil)
	b.postRobot(t, readTestdata(t, "direct.json"), testTS, robotSign("client-secret", testTS))
	h := b.adapter.Health()
	if !h.Connected || h.LastFrame.IsZero() || time.Since(h.LastFrame) > time.Minute {
		t.Errorf("health %+v", h)
	}
}

func TestHTTPFileMessageDownloadsTheFile(t *testing.T) {
	t.Parallel()
	b := setupHTTP(t, nil)
	msg := []byte(`{"conversationId":"cidDirectLi==","msgId":"msgFile01==","senderStaffId":"0420li","conversationType":"1",` +
		`"msgtype":"file","content":{"downloadCode":"code-pdf","fileName":"整改佐证.pdf"}}`)
	if w := b.postRobot(t, msg, testTS, robotSign("client-secret", testTS)); w.Code != http.StatusOK {
		t.Fatalf("answer %d", w.Code)
	}
	ev := b.rec.Events()[0]
	if len(ev.Files) != 1 || ev.Files[0].Ref != "code-pdf" || ev.Files[0].Content != nil {
		t.Fatalf("files %+v: want a reference, downloaded after the callback", ev.Files)
	}
	got, err := b.adapter.FetchFile(ctx, ev.Files[0], 1<<20)
	if err != nil || got.Name != "整改佐证.pdf" || got.MIME != "application/pdf" || string(got.Content) != "%PDF-1.4 整改佐证" {
		t.Fatalf("fetched %+v %v", got, err)
	}
	// A picture in rich text, and a file whose link is gone: both are
	// references; the gone one is a permanent loss.
	msg = []byte(`{"conversationId":"cidDirectLi==","msgId":"msgRich01==","senderStaffId":"0420li","conversationType":"1",` +
		`"msgtype":"richText","content":{"richText":[{"text":"进展：已整改 "},{"type":"picture","downloadCode":"code-png"},{"type":"picture","downloadCode":"code-gone"}]}}`)
	if w := b.postRobot(t, msg, testTS, robotSign("client-secret", testTS)); w.Code != http.StatusOK {
		t.Fatalf("answer %d", w.Code)
	}
	ev = b.rec.Events()[1]
	if ev.Text != "进展：已整改" || len(ev.Files) != 2 {
		t.Fatalf("rich text event %q %+v", ev.Text, ev.Files)
	}
	if got, err := b.adapter.FetchFile(ctx, ev.Files[0], 1<<20); err != nil || got.Name != "图片1.png" || got.MIME != "image/png" {
		t.Errorf("picture %+v %v", got, err)
	}
	if _, err := b.adapter.FetchFile(ctx, ev.Files[1], 1<<20); !errors.Is(err, bot.ErrPermanent) {
		t.Errorf("gone: %v", err)
	}
	// A voice message is its transcription.
	msg = []byte(`{"conversationId":"cidDirectLi==","msgId":"msgAudio01==","senderStaffId":"0420li","conversationType":"1",` +
		`"msgtype":"audio","content":{"duration":3000,"downloadCode":"x","recognition":"台账"}}`)
	b.postRobot(t, msg, testTS, robotSign("client-secret", testTS))
	if ev := b.rec.Events()[2]; ev.Text != "台账" {
		t.Errorf("audio text %q", ev.Text)
	}
}

func TestHTTPFormReplyOnReadOnlyCardGoesOutAsNewCard(t *testing.T) {
	t.Parallel()
	b := setupHTTP(t, func(o *Options) { o.CardTemplateID, o.FormTemplateID = "tpl-card.schema", "tpl-form.schema" })
	b.rec.reply = func(*bot.Event) (*bot.Reply, error) {
		return &bot.Reply{Card: &cards.Card{Title: "审批意见", Blocks: []cards.Block{cards.FormBlock(&cards.Form{Name: "approve",
			Fields: []cards.FormField{{Name: "note", Label: "意见", Kind: cards.KindText}},
			Submit: cards.Button{Text: "提交", Action: "approval.submit", Params: map[string]string{"request": "7"}}})}}}, nil
	}
	// card_click.json is a click on a read-only card (zgc-) in a 1:1 chat.
	w := b.postCard(t, readTestdata(t, "card_click.json"), testTS, cardSign("card-secret", testTS))
	if w.Code != http.StatusOK {
		t.Fatalf("answer %d", w.Code)
	}
	var resp cardResponse
	_ = json.Unmarshal(w.Body.Bytes(), &resp)
	if resp.CardData != nil || resp.UserPrivateData.CardParamMap["toast"] != "已发送新的卡片，请在其中继续操作" {
		t.Errorf("answer %s", w.Body)
	}
	b.adapter.Wait()
	c := b.fake.callsTo("/v1.0/card/instances/createAndDeliver")
	if len(c) != 1 || c[0].Body["cardTemplateId"] != "tpl-form.schema" || c[0].Body["openSpaceId"] != "dtv1.card//IM_ROBOT.0420liu" {
		t.Errorf("new card %+v", c)
	}
	if n := len(b.fake.callsTo("/v1.0/card/instances")); n != 0 {
		t.Errorf("the read-only card was updated %d times", n)
	}
}
