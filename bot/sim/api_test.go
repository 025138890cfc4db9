package sim_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"zhenggai/bot"
	"zhenggai/bot/sim"
	"zhenggai/cards"
	"zhenggai/handlers"
	"zhenggai/store"
	"zhenggai/store/storetest"
)

// apiBundle is the simulator's HTTP API over a real bot, without a browser
// and without a clock panel; deliveries are sent when the test says so.
type apiBundle struct {
	t   *testing.T
	url string
	bot *bot.Bot
	st  *store.Store
	ad  *sim.Adapter
}

func setupAPI(t *testing.T) *apiBundle {
	t.Helper()
	ctx := context.Background()
	st := store.New(storetest.TestSchema(ctx, t))
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
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	clock := bot.NewFixedClock(e2eNow)
	fb := &formBot{}
	rt := bot.NewRouter()
	fb.register(rt, handlers.Deps{Logger: log, Clock: clock})
	b, err := bot.New(bot.Config{Store: st, Router: rt, Logger: log, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	ad := sim.New(st, log, sim.Options{Clock: clock, StreamTimeout: 3 * time.Second})
	b.AddAdapter(ad)
	srv := httptest.NewServer(bot.NewServer("127.0.0.1:0", b).Mux())
	t.Cleanup(func() {
		ad.Close()
		srv.Close()
	})
	return &apiBundle{t: t, url: srv.URL, bot: b, st: st, ad: ad}
}

// call sends a request and decodes the JSON answer into a map.
func (a *apiBundle) call(method, path, body string) (int, map[string]any) {
	a.t.Helper()
	req, err := http.NewRequest(method, a.url+path, strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (a *apiBundle) deliver() {
	a.t.Helper()
	for {
		n, err := a.bot.DeliverDue(context.Background())
		if err != nil {
			a.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// messages returns the chat's messages as the page reads them.
func (a *apiBundle) messages(as, chat string) []map[string]any {
	a.t.Helper()
	status, out := a.call("GET", "/sim/api/messages?as="+as+"&chat="+chat, "")
	if status != http.StatusOK {
		a.t.Fatalf("messages: %d %v", status, out)
	}
	var ms []map[string]any
	for _, m := range out["messages"].([]any) {
		ms = append(ms, m.(map[string]any))
	}
	return ms
}

func TestAPIIdentities(t *testing.T) {
	a := setupAPI(t)
	status, out := a.call("GET", "/sim/api/identities", "")
	if status != http.StatusOK {
		t.Fatalf("identities: %d", status)
	}
	ids := map[string]map[string]any{}
	for _, v := range out["identities"].([]any) {
		id := v.(map[string]any)
		ids[id["account"].(string)] = id
	}
	for acc, role := range map[string]string{"p:li-lb": "liaison", "p:liu-lb": "leader", "p:lu-xm": "office",
		"p:wang-jg": "leader", "c:smx-yunshu:张伟": "enterprise"} {
		if ids[acc] == nil || ids[acc]["role"] != role {
			t.Errorf("identity %s = %v, want role %s", acc, ids[acc], role)
		}
	}
	chats := func(acc string) []string {
		var out []string
		for _, c := range ids[acc]["chats"].([]any) {
			out = append(out, c.(map[string]any)["id"].(string))
		}
		return out
	}
	if got := strings.Join(chats("p:li-lb"), ","); got != "g:lingbao,d:p:li-lb" {
		t.Errorf("li-lb's chats = %s", got)
	}
	if got := strings.Join(chats("c:smx-yunshu:张伟"), ","); got != "d:c:smx-yunshu:张伟" {
		t.Errorf("contact's chats = %s", got)
	}
	if status, out := a.call("GET", "/sim/api/config", ""); status != http.StatusOK || out["tick_enabled"] != false || out["now"] != "2026-11-20T09:00" {
		t.Errorf("config = %d %v", status, out)
	}
}

func TestAPIGroupMentionRule(t *testing.T) {
	a := setupAPI(t)
	status, out := a.call("POST", "/sim/api/send", `{"as":"p:li-lb","chat":"g:lingbao","text":"表单"}`)
	if status != http.StatusOK || out["dispatched"] != false {
		t.Fatalf("plain group message: %d %v", status, out)
	}
	status, out = a.call("POST", "/sim/api/send", `{"as":"p:li-lb","chat":"g:lingbao","text":"@整改助手 表单"}`)
	if status != http.StatusOK || out["dispatched"] != true {
		t.Fatalf("mention: %d %v", status, out)
	}
	a.deliver()
	ms := a.messages("p:liu-lb", "g:lingbao") // the leader sees the group too
	if len(ms) != 3 || ms[2]["card_title"] != "表单测试" || ms[2]["from_bot"] != true {
		t.Fatalf("group history = %v", ms)
	}
	// 1:1: no mention needed.
	if status, out := a.call("POST", "/sim/api/send", `{"as":"p:li-lb","chat":"d:p:li-lb","text":"表单"}`); status != http.StatusOK || out["dispatched"] != true {
		t.Fatalf("direct: %d %v", status, out)
	}
}

func TestAPIRefusals(t *testing.T) {
	a := setupAPI(t)
	cases := []struct {
		path, body string
		status     int
		msg        string
	}{
		{"/sim/api/send", `{"as":"p:nobody","chat":"d:p:nobody","text":"hi"}`, 403, "没有这个身份"},
		{"/sim/api/send", `{"as":"p:li-lb","chat":"g:yima","text":"hi"}`, 403, "您不在这个会话中"},
		{"/sim/api/send", `{"as":"p:li-lb","chat":"d:p:liu-lb","text":"hi"}`, 403, "您不在这个会话中"},
		{"/sim/api/send", `{"as":"p:li-lb","chat":"d:p:li-lb","text":"   "}`, 400, "消息不能为空"},
		{"/sim/api/send", `{"as":"p:li-lb","chat":"d:p:li-lb","text":"hi","x":1}`, 400, "请求格式错误"},
		{"/sim/api/send", `{"as":"p:li-lb","chat":"d:p:li-lb","text":"` + strings.Repeat("字", 4001) + `"}`, 400, "消息不能超过 4000 字"},
		{"/sim/api/send", `{"as":"p:li-lb","chat":"d:p:li-lb","file":{"name":"a.txt","data":""}}`, 400, "附件是空的"},
		{"/sim/api/send", `{"as":"p:li-lb","chat":"d:p:li-lb","file":{"name":"a.txt","data":"` + strings.Repeat("QUJD", 4<<20) + `"}}`, 413, "附件不能超过 10 MB"},
		{"/sim/api/tick", `{"at":"2026-11-20T09:00"}`, 501, "定时任务尚未接入"},
		{"/sim/api/action", `{"as":"p:li-lb","chat":"d:p:li-lb","message":999,"action":"t.form","params":{}}`, 404, "卡片不存在"},
	}
	for _, c := range cases {
		status, out := a.call("POST", c.path, c.body)
		if status != c.status || !strings.HasPrefix(out["error"].(string), c.msg) {
			t.Errorf("%s %s = %d %v, want %d %q", c.path, c.body[:min(len(c.body), 60)], status, out, c.status, c.msg)
		}
	}
	if status, _ := a.call("GET", "/sim/api/messages?as=p:li-lb&chat=g:yima", ""); status != 403 {
		t.Errorf("reading another unit's group: %d", status)
	}
}

func TestAPICardActions(t *testing.T) {
	a := setupAPI(t)
	a.call("POST", "/sim/api/send", `{"as":"p:li-lb","chat":"d:p:li-lb","text":"表单"}`)
	a.deliver()
	ms := a.messages("p:li-lb", "d:p:li-lb")
	id := ms[len(ms)-1]["id"].(float64)
	post := func(body string) (int, map[string]any) {
		return a.call("POST", "/sim/api/action", strings.Replace(body, "ID", jsonNum(id), 1))
	}

	// Params must be the card's own: a forged or stale click is refused.
	if status, out := post(`{"as":"p:li-lb","chat":"d:p:li-lb","message":ID,"action":"t.form","params":{"case":"evil"}}`); status != 409 {
		t.Errorf("forged params: %d %v", status, out)
	}
	// Another identity cannot click a card in someone else's chat.
	if status, _ := post(`{"as":"p:liu-lb","chat":"d:p:li-lb","message":ID,"action":"t.form","params":{"case":"full"}}`); status != 403 {
		t.Errorf("foreign chat: %d", status)
	}
	status, out := post(`{"as":"p:li-lb","chat":"d:p:li-lb","message":ID,"action":"t.form","params":{"case":"full"}}`)
	if status != 200 || !strings.Contains(out["message"].(map[string]any)["card_html"].(string), `data-action="t.submit"`) {
		t.Fatalf("open the form: %d %v", status, out)
	}
	// The server checks required fields too.
	status, out = post(`{"as":"p:li-lb","chat":"d:p:li-lb","message":ID,"action":"t.submit","params":{"case":"full","v":"3"},
		"form":{"title":["x"],"body":[""],"status":["bogus"],"due":["2026-13-01"]}}`)
	if status != 422 || len(out["fields"].([]any)) != 3 {
		t.Fatalf("invalid form: %d %v", status, out)
	}
	if out["error"] != "请填写“内容”" {
		t.Errorf("first error = %v", out["error"])
	}
	status, out = post(`{"as":"p:li-lb","chat":"d:p:li-lb","message":ID,"action":"t.submit","params":{"case":"full","v":"3"},
		"form":{"title":["标题"],"body":["内容"],"status":["in_progress"],"due":["2026-12-01"],"cats":["a","b"]}}`)
	if status != 200 || out["toast"] != "提交成功" || out["toast_kind"] != "success" {
		t.Fatalf("submit: %d %v", status, out)
	}
	m := out["message"].(map[string]any)
	if !strings.Contains(m["card_html"].(string), "已提交：标题") || m["id"].(float64) != id {
		t.Errorf("the card was not replaced in place: %v", m)
	}
}

func jsonNum(f float64) string { b, _ := json.Marshal(f); return string(b) }

func TestAdapterSendUpdateFile(t *testing.T) {
	a := setupAPI(t)
	ctx := context.Background()
	// A UserID target lands in the user's 1:1 chat.
	ref, err := a.ad.Send(ctx, bot.Target{Platform: bot.Sim, UserID: "p:li-lb"}, &bot.Message{Text: "您好", Card: &cards.Card{Title: "旧卡片"}})
	if err != nil {
		t.Fatal(err)
	}
	if ref.ChatID != "d:p:li-lb" {
		t.Errorf("ref = %+v", ref)
	}
	if err := a.ad.UpdateCard(ctx, ref, &cards.Card{Title: "新卡片", Tone: cards.ToneSuccess}); err != nil {
		t.Fatal(err)
	}
	fref, err := a.ad.SendFile(ctx, a.ad.DirectTarget("p:li-lb"), &bot.File{Name: "台账.xlsx", MIME: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Content: []byte("PK…")})
	if err != nil {
		t.Fatal(err)
	}
	ms := a.messages("p:li-lb", "d:p:li-lb")
	if len(ms) != 3 || ms[0]["text_html"] != "您好" || ms[1]["card_title"] != "新卡片" || ms[2]["file"] == nil {
		t.Fatalf("history = %v", ms)
	}
	resp, err := http.Get(a.url + "/sim/api/files/" + fref.MessageID + "?as=p:li-lb")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "PK…" || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("file: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	if status, _ := a.call("GET", "/sim/api/files/"+fref.MessageID+"?as=p:liu-lb", ""); status != 404 {
		t.Errorf("someone else's file: %d", status)
	}
	if _, err := a.ad.Send(ctx, bot.Target{Platform: bot.Sim}, &bot.Message{Text: "x"}); err == nil {
		t.Error("an empty target was accepted")
	}
}

// TestAPIEventStream reads the server-sent events: a ready event with the
// current seq, then each new and changed message of the identity's chats,
// and nothing of other chats.
func TestAPIEventStream(t *testing.T) {
	a := setupAPI(t)
	ctx := context.Background()
	resp, err := http.Get(a.url + "/sim/api/events?as=p:li-lb")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("content type %q", ct)
	}
	events := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		var ev strings.Builder
		for sc.Scan() {
			if sc.Text() == "" {
				events <- ev.String()
				ev.Reset()
				continue
			}
			ev.WriteString(sc.Text() + "\n")
		}
		close(events)
	}()
	next := func() string {
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatal("stream ended")
			}
			return e
		case <-time.After(5 * time.Second):
			t.Fatal("no event")
		}
		return ""
	}
	if e := next(); !strings.Contains(e, "event: ready") {
		t.Fatalf("first event %q", e)
	}
	if _, err := a.ad.Send(ctx, bot.Target{Platform: bot.Sim, ChatID: "g:yima"}, &bot.Message{Text: "义马的消息"}); err != nil {
		t.Fatal(err)
	}
	ref, err := a.ad.Send(ctx, bot.Target{Platform: bot.Sim, ChatID: "g:lingbao"}, &bot.Message{Card: &cards.Card{Title: "灵宝的卡片"}})
	if err != nil {
		t.Fatal(err)
	}
	if e := next(); !strings.Contains(e, "event: message") || !strings.Contains(e, "灵宝的卡片") || strings.Contains(e, "义马") {
		t.Fatalf("event %q", e)
	}
	if err := a.ad.UpdateCard(ctx, ref, &cards.Card{Title: "改过的卡片"}); err != nil {
		t.Fatal(err)
	}
	if e := next(); !strings.Contains(e, "改过的卡片") || !strings.Contains(e, `"id":`+ref.MessageID+`,`) {
		t.Fatalf("update event %q", e)
	}
}
