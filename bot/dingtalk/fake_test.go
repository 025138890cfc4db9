package dingtalk

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"zhenggai/bot"
)

// fakeDingTalk is a local DingTalk: the v1.0 API, the oapi media upload,
// the Stream gateway's connections/open call and its WebSocket endpoint,
// speaking the documented wire format. It records every API call.
type fakeDingTalk struct {
	t   *testing.T
	srv *httptest.Server

	mu            sync.Mutex
	calls         []apiCall
	tokens        int
	opens         int
	failOpens     int      // the next n connections/open calls fail
	expireNext    bool     // the next API call refuses its token once
	throttled     []string // batchSend reports these in flowControlledStaffIdList
	invalid       []string // batchSend reports these in invalidStaffIdList
	badCreds      bool
	openBodies    []map[string]any
	conns         chan *fakeConn
	tokenExpireIn int
	// cards are the card instances by outTrackId, as DingTalk holds them.
	cards map[string]*fakeCard
	touch int
	// fileFails is how many more downloads of a file (by download code)
	// fail with 500 before one succeeds.
	fileFails map[string]int
}

// fakeCard is a card instance: its template, its public data and each
// user's private data, updated as DingTalk does: by key when the update
// says updateCardDataByKey / updatePrivateDataByKey, else replaced whole.
type fakeCard struct {
	Template string
	Space    string
	Public   map[string]string
	Private  map[string]map[string]string
	// Answered is what a callback's answer showed the clicker, until the
	// next update of everyone's copy.
	Answered map[string]map[string]string
	// Touched orders the cards by their last change.
	Touched int
}

// view is what user sees: the public data under his private data.
func (c *fakeCard) view(user string) map[string]string {
	out := map[string]string{}
	for k, v := range c.Public {
		out[k] = v
	}
	for k, v := range c.Answered[user] {
		out[k] = v
	}
	for k, v := range c.Private[user] {
		out[k] = v
	}
	return out
}

// toastShown is the clicker's result line as the templates show it: only
// while it belongs to the card's current content (toast_rev == rev).
func (c *fakeCard) toastShown(user string) string {
	v := c.view(user)
	if v["toast_rev"] != v["rev"] {
		return ""
	}
	return v["toast"]
}

// mergeParams applies an update to dst: by key, or replacing it whole.
func mergeParams(dst map[string]string, upd map[string]any, byKey bool) map[string]string {
	if !byKey || dst == nil {
		dst = map[string]string{}
	}
	for k, v := range upd {
		s, _ := v.(string)
		dst[k] = s
	}
	return dst
}

// paramMap reads data.cardParamMap of a request or an answer.
func paramMap(data any) map[string]any {
	m, _ := data.(map[string]any)
	pm, _ := m["cardParamMap"].(map[string]any)
	return pm
}

// applyUpdate applies a PUT card/instances body or a callback answer to the
// card, for the clicking user's private data when user is set.
func (f *fakeDingTalk) applyUpdate(outTrackID, user string, body map[string]any) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.cards[outTrackID]
	if c == nil {
		return false
	}
	opts, _ := body["cardUpdateOptions"].(map[string]any)
	byKey, _ := opts["updateCardDataByKey"].(bool)
	privByKey, _ := opts["updatePrivateDataByKey"].(bool)
	// A callback's answer (user set) changes the clicker's view only, as
	// DingTalk documents; the update API changes everyone's.
	if pm := paramMap(body["cardData"]); pm != nil {
		if user != "" {
			c.Answered[user] = mergeParams(c.Answered[user], pm, true)
		} else {
			c.Public = mergeParams(c.Public, pm, byKey)
			for u := range c.Answered {
				delete(c.Answered, u)
			}
		}
	}
	if pm := paramMap(body["userPrivateData"]); pm != nil && user != "" {
		c.Private[user] = mergeParams(c.Private[user], pm, privByKey)
	}
	f.touch++
	c.Touched = f.touch
	if priv, ok := body["privateData"].(map[string]any); ok {
		for u, d := range priv {
			if pm := paramMap(d); pm != nil {
				c.Private[u] = mergeParams(c.Private[u], pm, privByKey)
			}
		}
	}
	return true
}

// card returns a copy of a card instance, or nil.
func (f *fakeDingTalk) card(outTrackID string) *fakeCard {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.cards[outTrackID]
	if c == nil {
		return nil
	}
	cp := &fakeCard{Template: c.Template, Space: c.Space, Public: maps.Clone(c.Public), Private: map[string]map[string]string{},
		Answered: map[string]map[string]string{}, Touched: c.Touched}
	for u, m := range c.Private {
		cp.Private[u] = maps.Clone(m)
	}
	for u, m := range c.Answered {
		cp.Answered[u] = maps.Clone(m)
	}
	return cp
}

type apiCall struct {
	Method string
	Path   string
	Token  string
	Body   map[string]any
	Raw    []byte
}

func newFake(t *testing.T) *fakeDingTalk {
	f := &fakeDingTalk{t: t, conns: make(chan *fakeConn, 8), tokenExpireIn: 7200, cards: map[string]*fakeCard{}, fileFails: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1.0/oauth2/accessToken", func(w http.ResponseWriter, r *http.Request) {
		var in map[string]string
		_ = json.NewDecoder(r.Body).Decode(&in)
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.badCreds || in["appKey"] != "dingclient" || in["appSecret"] != "client-secret" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"code":"invalidClientIdOrSecret","message":"无效的clientId或者clientSecret","requestid":"r1"}`))
			return
		}
		f.tokens++
		fmt.Fprintf(w, `{"accessToken":"tok-%d","expireIn":%d}`, f.tokens, f.tokenExpireIn)
	})
	api := func(method, path string, answer func(c apiCall) (int, string)) {
		mux.HandleFunc(method+" "+path, func(w http.ResponseWriter, r *http.Request) {
			raw, _ := io.ReadAll(r.Body)
			c := apiCall{Method: r.Method, Path: r.URL.Path, Token: r.Header.Get("x-acs-dingtalk-access-token"), Raw: raw}
			_ = json.Unmarshal(raw, &c.Body)
			f.mu.Lock()
			if c.Token == "" || f.expireNext {
				f.expireNext = false
				f.mu.Unlock()
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write([]byte(`{"code":"InvalidAuthentication","message":"不合法的access_token"}`))
				return
			}
			f.calls = append(f.calls, c)
			f.mu.Unlock()
			status, body := answer(c)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		})
	}
	api("POST", "/v1.0/robot/groupMessages/send", func(c apiCall) (int, string) {
		if c.Body["openConversationId"] == "cidGone==" {
			return 400, `{"code":"resource.not.found","message":"机器人不在群内"}`
		}
		return 200, fmt.Sprintf(`{"processQueryKey":"pqk-%d"}`, len(f.callsTo("")))
	})
	api("POST", "/v1.0/robot/oToMessages/batchSend", func(c apiCall) (int, string) {
		f.mu.Lock()
		defer f.mu.Unlock()
		var inv, flow []string
		for _, u := range c.Body["userIds"].([]any) {
			for _, x := range f.invalid {
				if x == u {
					inv = append(inv, x)
				}
			}
			for _, x := range f.throttled {
				if x == u {
					flow = append(flow, x)
				}
			}
		}
		b, _ := json.Marshal(map[string]any{"processQueryKey": "pqk-o2o", "invalidStaffIdList": inv, "flowControlledStaffIdList": flow})
		return 200, string(b)
	})
	api("POST", "/v1.0/card/instances/createAndDeliver", func(c apiCall) (int, string) {
		space := c.Body["openSpaceId"].(string)
		typ, id, _ := strings.Cut(strings.TrimPrefix(space, "dtv1.card//"), ".")
		out, _ := c.Body["outTrackId"].(string)
		tpl, _ := c.Body["cardTemplateId"].(string)
		f.mu.Lock()
		if f.cards[out] != nil {
			f.mu.Unlock()
			return 400, `{"code":"param.outTrackIdExist","message":"outTrackId 已存在"}`
		}
		f.touch++
		f.cards[out] = &fakeCard{Template: tpl, Space: space, Public: mergeParams(nil, paramMap(c.Body["cardData"]), false),
			Private: map[string]map[string]string{}, Answered: map[string]map[string]string{}, Touched: f.touch}
		f.mu.Unlock()
		b, _ := json.Marshal(map[string]any{"success": true, "result": map[string]any{
			"outTrackId":     c.Body["outTrackId"],
			"deliverResults": []map[string]any{{"spaceType": typ, "spaceId": id, "success": true}},
		}})
		return 200, string(b)
	})
	api("POST", "/v1.0/robot/messageFiles/download", func(c apiCall) (int, string) {
		code, _ := c.Body["downloadCode"].(string)
		if c.Body["robotCode"] != "dingclient" || code == "" {
			return 400, `{"code":"invalidParameter","message":"downloadCode"}`
		}
		return 200, fmt.Sprintf(`{"downloadUrl":%q}`, f.srv.URL+"/files/"+code)
	})
	mux.HandleFunc("GET /files/{code}", func(w http.ResponseWriter, r *http.Request) {
		code := r.PathValue("code")
		f.mu.Lock()
		fail := f.fileFails[code] > 0
		if fail {
			f.fileFails[code]--
		}
		f.mu.Unlock()
		if fail {
			http.Error(w, "busy", http.StatusInternalServerError)
			return
		}
		switch code {
		case "code-jpg":
			w.Header().Set("Content-Type", "image/jpeg")
			_, _ = w.Write([]byte("\xff\xd8\xff\xe0 现场照片"))
		case "code-big":
			w.Header().Set("Content-Type", "application/zip")
			_, _ = w.Write(make([]byte, bot.DefaultFileMax+1))
		case "code-pdf":
			w.Header().Set("Content-Type", "application/pdf")
			_, _ = w.Write([]byte("%PDF-1.4 整改佐证"))
		case "code-png":
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write([]byte("\x89PNG\r\n\x1a\n"))
		default:
			http.NotFound(w, r)
		}
	})
	api("PUT", "/v1.0/card/instances", func(c apiCall) (int, string) {
		out, _ := c.Body["outTrackId"].(string)
		if !f.applyUpdate(out, "", c.Body) {
			return 400, `{"code":"param.cardNotExist","message":"卡片不存在"}`
		}
		return 200, `{"success":true,"result":true}`
	})
	api("POST", "/v1.0/card/callbacks/register", func(apiCall) (int, string) { return 200, `{"success":true}` })
	mux.HandleFunc("POST /media/upload", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		file, hdr, err := r.FormFile("media")
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		data, _ := io.ReadAll(file)
		f.mu.Lock()
		f.calls = append(f.calls, apiCall{Method: "POST", Path: "/media/upload", Token: r.URL.Query().Get("access_token"),
			Body: map[string]any{"type": r.URL.Query().Get("type"), "name": hdr.Filename}, Raw: data})
		f.mu.Unlock()
		_, _ = w.Write([]byte(`{"errcode":0,"errmsg":"ok","type":"file","media_id":"@lAz-media"}`))
	})
	mux.HandleFunc("POST /v1.0/gateway/connections/open", func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		_ = json.NewDecoder(r.Body).Decode(&in)
		f.mu.Lock()
		f.opens++
		n := f.opens
		fail := f.failOpens > 0
		if fail {
			f.failOpens--
		}
		f.openBodies = append(f.openBodies, in)
		f.mu.Unlock()
		if fail || in["clientId"] != "dingclient" || in["clientSecret"] != "client-secret" {
			http.Error(w, `{"code":"gateway.unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		ws := "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/connect"
		fmt.Fprintf(w, `{"endpoint":%q,"ticket":"ticket-%d"}`, ws, n)
	})
	up := websocket.Upgrader{}
	mux.HandleFunc("GET /connect", func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		fc := &fakeConn{ticket: r.URL.Query().Get("ticket"), conn: conn, acks: make(chan ack, 16), closed: make(chan struct{})}
		go fc.readLoop()
		f.conns <- fc
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// callsTo returns the recorded calls to path ("" for all).
func (f *fakeDingTalk) callsTo(path string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if path == "" || c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeDingTalk) set(fn func(f *fakeDingTalk)) {
	f.mu.Lock()
	fn(f)
	f.mu.Unlock()
}

// nextConn waits for the adapter's next Stream connection.
func (f *fakeDingTalk) nextConn(t *testing.T) *fakeConn {
	t.Helper()
	select {
	case c := <-f.conns:
		t.Cleanup(c.close)
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no Stream connection")
	}
	return nil
}

// fakeConn is the server end of one Stream connection.
type fakeConn struct {
	ticket string
	conn   *websocket.Conn
	wmu    sync.Mutex
	acks   chan ack
	closed chan struct{}
	once   sync.Once
}

// ack is what the client answers to a frame.
type ack struct {
	Code    int               `json:"code"`
	Headers map[string]string `json:"headers"`
	Message string            `json:"message"`
	Data    string            `json:"data"`
}

func (c *fakeConn) readLoop() {
	defer close(c.acks)
	for {
		var a ack
		if err := c.conn.ReadJSON(&a); err != nil {
			return
		}
		c.acks <- a
	}
}

// push sends a CALLBACK (or SYSTEM) frame carrying data on topic.
func (c *fakeConn) push(t *testing.T, typ, topic, messageID string, data []byte) {
	t.Helper()
	frame := map[string]any{
		"specVersion": "1.0", "type": typ,
		"headers": map[string]string{"appId": "app", "contentType": "application/json", "messageId": messageID,
			"time": "1690362102194", "topic": topic},
		"data": string(data),
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.conn.WriteJSON(frame); err != nil {
		t.Fatalf("push frame: %v", err)
	}
}

// nextAck waits for the client's next ack.
func (c *fakeConn) nextAck(t *testing.T) ack {
	t.Helper()
	select {
	case a, ok := <-c.acks:
		if !ok {
			t.Fatal("connection closed before the ack")
		}
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("no ack")
	}
	return ack{}
}

func (c *fakeConn) close() {
	c.once.Do(func() { _ = c.conn.Close() })
}

// recorder is a bot.Dispatcher that records events and answers with reply.
type recorder struct {
	mu     sync.Mutex
	events []*bot.Event
	reply  func(ev *bot.Event) (*bot.Reply, error)
	seen   chan *bot.Event
}

func newRecorder() *recorder { return &recorder{seen: make(chan *bot.Event, 16)} }

func (r *recorder) Dispatch(_ context.Context, ev *bot.Event) (*bot.Reply, error) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	fn := r.reply
	r.mu.Unlock()
	r.seen <- ev
	if fn != nil {
		return fn(ev)
	}
	return nil, nil
}

func (r *recorder) Events() []*bot.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*bot.Event(nil), r.events...)
}

// newTestAdapter returns an adapter pointed at the fake.
func newTestAdapter(t *testing.T, f *fakeDingTalk, mod func(o *Options)) *Adapter {
	t.Helper()
	o := Options{
		ClientID: "dingclient", ClientSecret: "client-secret", RobotCode: "dingclient",
		BaseURL: f.srv.URL, ReconnectMin: 5 * time.Millisecond, ReconnectMax: 50 * time.Millisecond,
		ProbeInterval: 20 * time.Millisecond, UpdateDelay: -1, QPS: 1000,
		Clock:  bot.NewFixedClock(time.UnixMilli(1690362102194)),
		Logger: slog.New(slog.DiscardHandler),
	}
	if mod != nil {
		mod(&o)
	}
	a, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
