package wecom

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/credential"
	"github.com/silenceper/wechat/v2/util"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/handlers"
	"zhenggai/store"
	"zhenggai/store/storetest"
)

// The official test vectors of shared/platforms/wecom-dingtalk.md.
const (
	vecToken  = "QDG6eK"
	vecAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	vecCorpID = "wx5823bf96d3bd56c7"

	vecATimestamp = "1409659813"
	vecANonce     = "1372623149"
	vecASignature = "477715d11cdb4164915debcba66cb864d751f3e6"
	vecAEncrypt   = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="

	vecBQuery = "msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780&echostr=P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D"
	vecBEcho  = "1616140317555161061"

	vecCSignature = "1de5660dbb5b3a94b8c6c381d26c6a84546988f8"
	vecCEncrypt   = "sKqRbbiSUnDhFHOvPjtUMYdsKG+crDZoRmeZq3wOInncioMuwgOQrnRb9vI1MVdPAK9S0Dqbb5cYf5Xm6kA9ajSnty9jDJh+xi3nXEao4ZRfyhbglkv+BctsztCRZzHYqj87OWN0rXLqYfrynl1/dDv5akuUc3FBzVMfvTbMzijLKTNI9rgHQHUpNMOPomodyjsZpYXJ1h4fpmofn2lAgr+m4nGME8147wgG5FiGaFjuscu/D5XujMySFME7b5yKGAL/F+YCeWHi9rwVTQwpwOy8hd+Lb42R6EWUeQHyfOicsq/NVkYTe1tfCwBUVGPsAJa/aMtW4d9xGhkSeFKfKIqKB3RFNSs1kgDb4xt+Pc+lUFIrr1/Zmi0EmizfOd8E+VMb40+cE3C/j3T7+gtzB1GBn1ZvqE+z7A03ervy6R0sd2zMdzINgY9oKYB6S790xgK7Dg6girUElYX6eCJoQ85rJpLBm/P+GLeWRto73Og6yU6fW+VHlucpSXt2S39A6w9juIxSCY4lqPMsM2OaPRipD6+ct9bHCo5zqc33MylbmpcfPedab4u2opnyNs5ciNcSEOl+XBPAFHmLdWbBFNJDhakFpoRj50VvVagOFduus74PtTJ/OMV4P1CQoFMXdyRVRy+Ith4icWobYtLxlGWJ/F6yWnHSkVLDreXjiMxIjXXcRXxBaxrw3XvAuP3kfkhV89ZVn2O7NkEGPaQumzZiBvn88aXjKaQAw0PgK5xa3mG/QsEGKrnzr4LnUphOHLumgaVYTMKE7CD1NSJaqKf87bNvfhq6obtkBW6jxvwA0j15FnbCkCkqFO4Pj9H9JYpxWwTSvemGbmdzio3F6g=="
)

var _ credential.AccessTokenContextHandle = (*TokenHandle)(nil)

var testNow = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func TestCryptoKnownAnswers(t *testing.T) {
	c, err := NewCrypto(vecToken, vecAESKey, vecCorpID)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("A_Message", func(t *testing.T) {
		plain, err := c.Open(vecASignature, vecATimestamp, vecANonce, vecAEncrypt)
		if err != nil {
			t.Fatal(err)
		}
		var in Inbound
		if err := xml.Unmarshal(plain, &in); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(plain), "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n<FromUserName>") ||
			in.FromUserName != "mycreate" || in.Content != "hello" || in.MsgID != "4561255354251345929" || in.AgentID != "218" {
			t.Fatalf("%+v\n%s", in, plain)
		}
	})
	t.Run("B_URLVerification", func(t *testing.T) {
		q, _ := url.ParseQuery(vecBQuery)
		plain, err := c.Open(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), q.Get("echostr"))
		if err != nil || string(plain) != vecBEcho {
			t.Fatalf("%q %v", plain, err)
		}
	})
	t.Run("C_CardEvent", func(t *testing.T) {
		plain, err := c.Open(vecCSignature, "1700000000", "424242", vecCEncrypt)
		if err != nil {
			t.Fatal(err)
		}
		var in Inbound
		_ = xml.Unmarshal(plain, &in)
		if in.Event != "template_card_event" || in.EventKey != "done" || in.TaskID != "rect-42-r1" || in.ResponseCode != "RC_SAMPLE" ||
			len(in.Selected) != 1 || in.Selected[0].QuestionKey != "status" || in.Selected[0].OptionIDs[0] != "done" {
			t.Fatalf("%+v", in)
		}
		enc, _ := util.EncryptMsg([]byte("0123456789abcdef"), plain, vecCorpID, vecAESKey)
		if string(enc) != vecCEncrypt {
			t.Fatal("re-encryption differs from the vector")
		}
	})
	t.Run("Forged", func(t *testing.T) {
		if _, err := c.Open(vecASignature, vecATimestamp, "1", vecAEncrypt); !errors.Is(err, ErrSignature) {
			t.Fatalf("forged nonce: %v", err)
		}
		other, _ := NewCrypto(vecToken, vecAESKey, "wwOTHER")
		if _, err := other.Open(vecASignature, vecATimestamp, vecANonce, vecAEncrypt); err == nil {
			t.Fatal("wrong receive id accepted")
		}
	})
}

// env is an adapter on a fake WeCom with a real bot on a test store.
type env struct {
	t     *testing.T
	fake  *fakeWeCom
	a     *Adapter
	b     *bot.Bot
	st    *store.Store
	clock *bot.FixedClock
	mux   *http.ServeMux
	rec   *recorder
}

// recorder is a route that records what it got and answers as told.
type recorder struct {
	mu     sync.Mutex
	events []*bot.Event
	reply  *bot.Reply
}

func (r *recorder) handle(_ context.Context, req *bot.Request) (*bot.Reply, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev := *req.Event
	r.events = append(r.events, &ev)
	return r.reply, nil
}

func (r *recorder) got() []*bot.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*bot.Event(nil), r.events...)
}

func applyDemo(ctx context.Context, t *testing.T, st *store.Store) {
	t.Helper()
	data, err := os.ReadFile("../../deploy/campaigns/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := handlers.ParseCampaignFile("demo.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := handlers.ApplyCampaign(ctx, st, f, store.System); err != nil {
		t.Fatal(err)
	}
	// li-lb (灵宝 liaison) is "libin" on WeCom.
	if _, err := st.DB().Exec(ctx, `INSERT INTO accounts (platform, external_id, person_id) SELECT 'wecom', 'libin', id FROM people WHERE key = 'li-lb'`); err != nil {
		t.Fatal(err)
	}
}

// newEnv builds the adapter over st; withHandlers registers the product's
// handlers, else a recorder answers test.* actions and every message.
func newEnv(t *testing.T, st *store.Store, withHandlers bool) *env {
	t.Helper()
	e := &env{t: t, fake: newFakeWeCom(t), st: st, clock: bot.NewFixedClock(testNow), rec: &recorder{}}
	rt := bot.NewRouter()
	if withHandlers {
		handlers.Register(rt, handlers.Deps{Clock: e.clock})
	} else {
		rt.Action("test.done", e.rec.handle)
		rt.Action("test.pick", e.rec.handle)
		rt.Action("test.submit", e.rec.handle)
		rt.Action("test.form", func(context.Context, *bot.Request) (*bot.Reply, error) {
			return bot.CardReply(&cards.Card{Title: "更新进展", Blocks: []cards.Block{cards.FormBlock(&cards.Form{Name: "p", Fields: []cards.FormField{
				{Name: "status", Label: "状态", Kind: cards.KindSelect, Required: true, Options: []cards.Option{{Value: "doing", Label: "整改中"}, {Value: "done", Label: "已整改"}}},
				{Name: "progress", Label: "整改进展", Kind: cards.KindLongText, Required: true},
			}, Submit: cards.Button{Text: "提交", Action: "test.submit", Params: map[string]string{"item": "42"}}})}}), nil
		})
		rt.Fallback(e.rec.handle)
	}
	b, err := bot.New(bot.Config{Store: st, Router: rt, Clock: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	e.b = b
	e.a = e.newAdapter()
	b.AddAdapter(e.a)
	b.AddAdapter(e.a.KF())
	e.mux = http.NewServeMux()
	e.a.Mount(e.mux, b)
	return e
}

func (e *env) newAdapter() *Adapter {
	a, err := New(Config{
		CorpID: vecCorpID, AgentID: "1000002", Secret: "secret", Token: vecToken, EncodingAESKey: vecAESKey,
		BaseURL: e.fake.srv.URL, Store: e.st, Clock: e.clock,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// post sends plain as an encrypted, signed callback and returns the answer.
func (e *env) post(plain string, forge bool) *httptest.ResponseRecorder {
	e.t.Helper()
	enc, err := util.EncryptMsg([]byte("abcdefghijklmnop"), []byte(plain), vecCorpID, vecAESKey)
	if err != nil {
		e.t.Fatal(err)
	}
	ts := strconv.FormatInt(e.clock.Now().Unix(), 10)
	sig := util.Signature(vecToken, ts, "777", string(enc))
	if forge {
		sig = util.Signature("wrong-token", ts, "777", string(enc))
	}
	body := fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><AgentID><![CDATA[1000002]]></AgentID><Encrypt><![CDATA[%s]]></Encrypt></xml>", vecCorpID, enc)
	req := httptest.NewRequest("POST", "/callback/wecom?msg_signature="+sig+"&timestamp="+ts+"&nonce=777", strings.NewReader(body))
	w := httptest.NewRecorder()
	e.mux.ServeHTTP(w, req)
	return w
}

func textXML(from, msgID, content string, at time.Time) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime>"+
		"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content><MsgId>%s</MsgId><AgentID>1000002</AgentID></xml>",
		vecCorpID, from, at.Unix(), content, msgID)
}

func cardXML(from, taskID, key, rc string, at time.Time, selected map[string][]string) string {
	var sel strings.Builder
	for q, ids := range selected {
		sel.WriteString("<SelectedItem><QuestionKey><![CDATA[" + q + "]]></QuestionKey><OptionIds>")
		for _, id := range ids {
			sel.WriteString("<OptionId><![CDATA[" + id + "]]></OptionId>")
		}
		sel.WriteString("</OptionIds></SelectedItem>")
	}
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime>"+
		"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[%s]]></EventKey>"+
		"<TaskId><![CDATA[%s]]></TaskId><CardType><![CDATA[multiple_interaction]]></CardType><ResponseCode><![CDATA[%s]]></ResponseCode>"+
		"<AgentID>1000002</AgentID><SelectedItems>%s</SelectedItems></xml>", vecCorpID, from, at.Unix(), key, taskID, rc, sel.String())
}

func (e *env) deliver() {
	e.t.Helper()
	for {
		n, err := e.b.DeliverDue(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func TestURLVerification(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, storetest.TestStore(ctx, t), false)
	w := httptest.NewRecorder()
	e.mux.ServeHTTP(w, httptest.NewRequest("GET", "/callback/wecom?"+vecBQuery, nil))
	if w.Code != 200 || w.Body.String() != vecBEcho {
		t.Fatalf("%d %q", w.Code, w.Body.String())
	}
	w = httptest.NewRecorder()
	e.mux.ServeHTTP(w, httptest.NewRequest("GET", "/callback/wecom?"+strings.Replace(vecBQuery, "5c45", "5c46", 1), nil))
	if w.Code != 401 || strings.Contains(w.Body.String(), vecBEcho) {
		t.Fatalf("forged verification: %d %q", w.Code, w.Body.String())
	}
}

func TestTextMessageDuplicateAndForgery(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	applyDemo(ctx, t, st)
	e := newEnv(t, st, true)

	msg := textXML("libin", "4561255354251345001", "帮助", e.clock.Now())
	if w := e.post(msg, false); w.Code != 200 {
		t.Fatalf("text: %d %s", w.Code, w.Body)
	}
	e.deliver()
	sends := e.fake.callsTo("/cgi-bin/message/send")
	if len(sends) == 0 || sends[0].Body["touser"] != "libin" {
		t.Fatalf("help reply: %+v", sends)
	}
	// WeCom's retry of the same MsgId changes nothing.
	if w := e.post(msg, false); w.Code != 200 {
		t.Fatalf("duplicate: %d", w.Code)
	}
	e.deliver()
	if got := len(e.fake.callsTo("/cgi-bin/message/send")); got != len(sends) {
		t.Fatalf("duplicate answered again: %d sends, want %d", got, len(sends))
	}
	// A forged signature is refused, counted, and changes nothing.
	forged := textXML("libin", "4561255354251345002", "帮助", e.clock.Now())
	if w := e.post(forged, true); w.Code != 401 {
		t.Fatalf("forged: %d", w.Code)
	}
	var seen int
	_ = st.DB().QueryRow(ctx, `SELECT count(*) FROM inbound_events WHERE platform = 'wecom' AND event_id = '4561255354251345002'`).Scan(&seen)
	if seen != 0 {
		t.Fatal("forged message recorded")
	}
	mfs, _ := e.b.Metrics().Registry.Gather()
	rejected := false
	for _, mf := range mfs {
		if mf.GetName() == "zhenggai_events_rejected_total" {
			for _, m := range mf.GetMetric() {
				rejected = rejected || m.GetCounter().GetValue() >= 1
			}
		}
	}
	if !rejected {
		t.Fatal("rejection not counted")
	}
	// A stale (replayed) callback is refused too.
	e.clock.Advance(2 * time.Hour)
	old := textXML("libin", "4561255354251345003", "帮助", testNow)
	enc, _ := util.EncryptMsg([]byte("abcdefghijklmnop"), []byte(old), vecCorpID, vecAESKey)
	ts := strconv.FormatInt(testNow.Unix(), 10)
	req := httptest.NewRequest("POST", "/callback/wecom?msg_signature="+util.Signature(vecToken, ts, "1", string(enc))+"&timestamp="+ts+"&nonce=1",
		strings.NewReader("<xml><Encrypt><![CDATA["+string(enc)+"]]></Encrypt></xml>"))
	w := httptest.NewRecorder()
	e.mux.ServeHTTP(w, req)
	if w.Code != 401 {
		t.Fatalf("stale: %d", w.Code)
	}
}

func TestCardClickWithSelections(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	applyDemo(ctx, t, st)
	e := newEnv(t, st, false)
	key, _ := cards.WeComKey(cards.WeComKeySubmit, 0, "test.pick", map[string]string{"item": "42", "v": "3"})
	e.rec.reply = &bot.Reply{Toast: "已提交", ToastKind: "success", Card: &cards.Card{Title: "问题#42 已更新", Blocks: []cards.Block{
		cards.ButtonsBlock(cards.Button{Text: "再次更新", Action: "test.done", Params: map[string]string{"item": "42"}})}}}
	w := e.post(cardXML("libin", "zg-task1", key, "RC_1", e.clock.Now(), map[string][]string{"status": {"doing"}}), false)
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	got := e.rec.got()
	if len(got) != 1 {
		t.Fatalf("%d events; answer %d %q", len(got), w.Code, w.Body)
	}
	ev := got[0]
	if ev.Kind != bot.KindCardAction || ev.Action.Name != "test.pick" || ev.Action.Params["item"] != "42" || ev.Action.Form.Get("status") != "doing" ||
		ev.Message.Token != "RC_1" || ev.Message.MessageID != "zg-task1" || ev.Sender.ID != "libin" || ev.ID != CardEventID("libin", "zg-task1", key) {
		t.Fatalf("%+v %+v", ev, ev.Action)
	}
	ups := e.fake.callsTo("/cgi-bin/message/update_template_card")
	if len(ups) != 1 || ups[0].Body["response_code"] != "RC_1" || fmt.Sprint(ups[0].Body["userids"]) != "[libin]" {
		t.Fatalf("update: %+v", ups)
	}
	tc := ups[0].Body["template_card"].(map[string]any)
	if tc["task_id"] != "zg-task1" || tc["card_type"] != "button_interaction" {
		t.Fatalf("updated card %+v", tc)
	}
	// The same click again (WeCom's retry) is a duplicate.
	e.post(cardXML("libin", "zg-task1", key, "RC_1", e.clock.Now(), map[string][]string{"status": {"doing"}}), false)
	if len(e.rec.got()) != 1 || len(e.fake.callsTo("/cgi-bin/message/update_template_card")) != 1 {
		t.Fatal("duplicate click applied")
	}

	// A toast without a card relabels the button through the passive reply.
	e.rec.reply = &bot.Reply{Toast: "已确认", ToastKind: "success"}
	key2, _ := cards.WeComKey(cards.WeComKeyButton, 0, "test.done", map[string]string{"item": "42"})
	w = e.post(cardXML("libin", "zg-task2", key2, "RC_2", e.clock.Now(), nil), false)
	var envl struct {
		Encrypt      string `xml:"Encrypt"`
		MsgSignature string `xml:"MsgSignature"`
		TimeStamp    string `xml:"TimeStamp"`
		Nonce        string `xml:"Nonce"`
	}
	if err := xml.Unmarshal(w.Body.Bytes(), &envl); err != nil {
		t.Fatalf("passive reply %q: %v", w.Body, err)
	}
	if util.Signature(vecToken, envl.TimeStamp, envl.Nonce, envl.Encrypt) != envl.MsgSignature {
		t.Fatal("passive reply badly signed")
	}
	_, plain, err := util.DecryptMsg(vecCorpID, envl.Encrypt, vecAESKey)
	if err != nil || !strings.Contains(string(plain), "<MsgType><![CDATA[update_button]]></MsgType>") || !strings.Contains(string(plain), "已确认") {
		t.Fatalf("passive reply %s %v", plain, err)
	}
	// An error toast goes to the clicker as a message.
	e.rec.reply = &bot.Reply{Toast: "你无权操作本单位以外的问题。", ToastKind: "error"}
	key3, _ := cards.WeComKey(cards.WeComKeyButton, 1, "test.done", map[string]string{"item": "43"})
	e.post(cardXML("libin", "zg-task2", key3, "RC_3", e.clock.Now(), nil), false)
	sends := e.fake.callsTo("/cgi-bin/message/send")
	if len(sends) != 1 || !strings.Contains(fmt.Sprint(sends[0].Body["text"]), "无权") {
		t.Fatalf("error toast: %+v", sends)
	}
}

func TestSendCardsGroupsAndFiles(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, storetest.TestStore(ctx, t), false)
	card := &cards.Card{Title: "整改时限提醒", Blocks: []cards.Block{cards.MD("**问题**：消防通道"),
		cards.ButtonsBlock(cards.Button{Text: "更新进展", Action: "item.progress.form", Params: map[string]string{"item": "42"}})}}
	ref, err := e.a.Send(ctx, bot.Target{Platform: bot.WeCom, UserID: "libin"}, &bot.Message{Text: "请处理", Card: card})
	if err != nil {
		t.Fatal(err)
	}
	sends := e.fake.callsTo("/cgi-bin/message/send")
	if len(sends) != 2 || sends[0].Body["msgtype"] != "text" || sends[1].Body["msgtype"] != "template_card" || sends[1].Body["agentid"] != float64(1000002) {
		t.Fatalf("%+v", sends)
	}
	tc := sends[1].Body["template_card"].(map[string]any)
	if ref.MessageID != tc["task_id"] || !strings.HasPrefix(ref.Token, "rc-") {
		t.Fatalf("ref %+v for %v", ref, tc["task_id"])
	}
	if err := e.a.UpdateCard(ctx, ref, &cards.Card{Title: "已更新", Tone: cards.ToneSuccess, Blocks: []cards.Block{cards.ButtonsBlock(cards.Button{Text: "查看", Action: "x"})}}); err != nil {
		t.Fatal(err)
	}
	up := e.fake.callsTo("/cgi-bin/message/update_template_card")
	if len(up) != 1 || up[0].Body["response_code"] != ref.Token || up[0].Body["atall"] != float64(1) {
		t.Fatalf("%+v", up)
	}

	// A card to an app group: a markdown notice there, the card 1:1 to the
	// mentioned liaison.
	_, err = e.a.Send(ctx, bot.Target{Platform: bot.WeCom, ChatID: "zglingbao"}, &bot.Message{Card: card, Mentions: []string{"libin", "liulb"}})
	if err != nil {
		t.Fatal(err)
	}
	group := e.fake.callsTo("/cgi-bin/appchat/send")
	if len(group) != 1 || group[0].Body["msgtype"] != "markdown" || !strings.Contains(fmt.Sprint(group[0].Body["markdown"]), "单聊") {
		t.Fatalf("group notice %+v", group)
	}
	sends = e.fake.callsTo("/cgi-bin/message/send")
	if last := sends[len(sends)-1]; last.Body["touser"] != "libin|liulb" || last.Body["msgtype"] != "template_card" {
		t.Fatalf("1:1 card %+v", last)
	}

	// Partial failure: WeCom reports one recipient invalid; it is recorded.
	e.fake.mu.Lock()
	e.fake.invalid = "liulb"
	e.fake.mu.Unlock()
	if _, err := e.a.sendDirect(ctx, []string{"libin", "liulb"}, &bot.Message{Text: "通知"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.Send(ctx, bot.Target{Platform: bot.WeCom, UserID: "liulb"}, &bot.Message{Text: "通知"}); !errors.Is(err, bot.ErrPermanent) {
		t.Fatalf("invalid single recipient: %v", err)
	}
	var n int
	_ = e.st.DB().QueryRow(ctx, `SELECT count FROM wecom_invalid_users WHERE user_id = 'liulb'`).Scan(&n)
	if n != 2 {
		t.Fatalf("invalid user recorded %d times", n)
	}
	e.fake.mu.Lock()
	e.fake.invalid = ""
	e.fake.errcodes["/cgi-bin/message/send"] = 81013
	e.fake.mu.Unlock()
	if _, err := e.a.Send(ctx, bot.Target{Platform: bot.WeCom, UserID: "nobody"}, &bot.Message{Text: "x"}); !errors.Is(err, bot.ErrPermanent) {
		t.Fatalf("81013: %v", err)
	}
	e.fake.mu.Lock()
	delete(e.fake.errcodes, "/cgi-bin/message/send")
	e.fake.mu.Unlock()

	// Files go through media upload.
	if _, err := e.a.SendFile(ctx, bot.Target{Platform: bot.WeCom, UserID: "libin"}, &bot.File{Name: "台账.xlsx", Content: []byte("PK\x03\x04 xlsx")}); err != nil {
		t.Fatal(err)
	}
	sends = e.fake.callsTo("/cgi-bin/message/send")
	if last := sends[len(sends)-1]; last.Body["msgtype"] != "file" || fmt.Sprint(last.Body["file"]) != "map[media_id:media-1]" {
		t.Fatalf("file %+v", last)
	}
	if len(e.fake.callsTo("/cgi-bin/media/upload")) != 1 {
		t.Fatal("no upload")
	}
}

func TestTokenRevokedMidRun(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, storetest.TestStore(ctx, t), false)
	to := bot.Target{Platform: bot.WeCom, UserID: "libin"}
	if _, err := e.a.Send(ctx, to, &bot.Message{Text: "一"}); err != nil {
		t.Fatal(err)
	}
	e.fake.revoke("tok-1")
	if _, err := e.a.Send(ctx, to, &bot.Message{Text: "二"}); err != nil {
		t.Fatalf("after revocation: %v", err)
	}
	sends := e.fake.callsTo("/cgi-bin/message/send")
	if e.fake.tokenCount() != 2 || len(sends) != 2 || sends[1].Token != "tok-2" {
		t.Fatalf("tokens %d, sends %+v", e.fake.tokenCount(), sends)
	}
	// A wrong secret fails clearly, in doctor too.
	bad, _ := New(Config{CorpID: vecCorpID, AgentID: "1", Secret: "nope", Token: vecToken, EncodingAESKey: vecAESKey, BaseURL: e.fake.srv.URL, Store: e.st})
	checks := bad.Doctor(ctx)
	if len(checks) != 1 || checks[0].OK || !strings.Contains(checks[0].Info, "40001") {
		t.Fatalf("%+v", checks)
	}
	checks = e.a.Doctor(ctx)
	byName := func(checks []bot.Check, name string) bot.Check {
		for _, c := range checks {
			if c.Name == name {
				return c
			}
		}
		t.Fatalf("no %s check in %+v", name, checks)
		return bot.Check{}
	}
	if len(checks) != 5 || !checks[0].OK || !byName(checks, "agent").OK || !strings.Contains(byName(checks, "agent").Info, "整改通") ||
		!byName(checks, "send").OK || !byName(checks, "kf").OK || !strings.Contains(byName(checks, "kf").Info, "wkKF1") {
		t.Fatalf("%+v", checks)
	}
	if sends := e.fake.callsTo("/cgi-bin/message/send"); sends[len(sends)-1].Body["touser"] != doctorProbeUser {
		t.Fatalf("the send probe went to %v", sends[len(sends)-1].Body["touser"])
	}
	// Each missing authorization is named: 可信IP (only a send shows it:
	// gettoken still works), the app in 可调用接口的应用, the account in
	// 可管理的客服账号.
	for path, want := range map[string][2]string{
		"/cgi-bin/message/send":         {"send", "企业可信IP"},
		"/cgi-bin/kf/account/list":      {"kf", "可调用接口的应用"},
		"/cgi-bin/kf/service_state/get": {"kf", "可管理的客服账号"},
	} {
		code := 60020
		switch path {
		case "/cgi-bin/kf/account/list":
			code = 48002
		case "/cgi-bin/kf/service_state/get":
			code = 48007
		}
		e.fake.mu.Lock()
		e.fake.errcodes = map[string]int{path: code}
		e.fake.mu.Unlock()
		c := byName(e.a.Doctor(ctx), want[0])
		if !strings.Contains(c.Info, want[1]) || (path != "/cgi-bin/kf/account/list" && c.OK) {
			t.Errorf("%s answering %d: %+v", path, code, c)
		}
	}
}

func TestPerMemberLimit(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, storetest.TestStore(ctx, t), false)
	to := bot.Target{Platform: bot.WeCom, UserID: "libin"}
	for i := range 30 {
		if _, err := e.a.Send(ctx, to, &bot.Message{Text: fmt.Sprint(i)}); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		e.clock.Advance(time.Second)
	}
	_, err := e.a.Send(ctx, to, &bot.Message{Text: "31"})
	var rl *bot.RateLimitedError
	if !errors.As(err, &rl) || !errors.Is(err, ErrMemberLimit) || rl.RetryAfter != 30*time.Second {
		t.Fatalf("31st send: %v", err)
	}
	if len(e.fake.callsTo("/cgi-bin/message/send")) != 30 {
		t.Fatal("31st send reached WeCom")
	}
	// A group card whose 1:1 part would exceed the limit waits as a whole:
	// the group notice is not sent (and so not repeated on the retry).
	card := &cards.Card{Title: "提醒", Blocks: []cards.Block{cards.ButtonsBlock(cards.Button{Text: "办理", Action: "x"})}}
	_, err = e.a.Send(ctx, bot.Target{Platform: bot.WeCom, ChatID: "zglingbao"}, &bot.Message{Card: card, Mentions: []string{"libin"}})
	if !errors.As(err, &rl) || len(e.fake.callsTo("/cgi-bin/appchat/send")) != 0 {
		t.Fatalf("group card over the limit: %v", err)
	}
	// Another member is not affected; after the oldest leaves the minute,
	// libin can be sent to again.
	if _, err := e.a.Send(ctx, bot.Target{Platform: bot.WeCom, UserID: "other"}, &bot.Message{Text: "x"}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(rl.RetryAfter)
	if _, err := e.a.Send(ctx, to, &bot.Message{Text: "31"}); err != nil {
		t.Fatal(err)
	}
}

// TestFormAsDialog clicks a button whose answer is a form: WeCom cards have
// no text input, so the bot asks the fields one by one in the 1:1 chat, and
// the answers (ordinary messages to the app) submit the form.
func TestFormAsDialog(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	applyDemo(ctx, t, st)
	e := newEnv(t, st, false)
	key, _ := cards.WeComKey(cards.WeComKeyButton, 0, "test.form", map[string]string{"item": "42"})
	if w := e.post(cardXML("libin", "zg-task9", key, "RC_9", e.clock.Now(), nil), false); w.Code != 200 {
		t.Fatalf("%d", w.Code)
	}
	e.deliver()
	lastText := func() string {
		sends := e.fake.callsTo("/cgi-bin/message/send")
		if len(sends) == 0 {
			return ""
		}
		return fmt.Sprint(sends[len(sends)-1].Body["text"])
	}
	if !strings.Contains(lastText(), "（1/2）") || !strings.Contains(lastText(), "1. 整改中") {
		t.Fatalf("first question: %q", lastText())
	}
	for i, answer := range []string{"2", "已清理消防通道并设置警示标志"} {
		if w := e.post(textXML("libin", fmt.Sprintf("90%d", i), answer, e.clock.Now()), false); w.Code != 200 {
			t.Fatalf("answer %d: %d", i, w.Code)
		}
		e.deliver()
	}
	got := e.rec.got()
	if len(got) != 1 || got[0].Action.Name != "test.submit" || got[0].Action.Params["item"] != "42" ||
		got[0].Action.Form.Get("status") != "done" || got[0].Action.Form.Get("progress") != "已清理消防通道并设置警示标志" {
		t.Fatalf("%+v", got)
	}
}
