package feishu

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"

	"zhenggai/bot"
	"zhenggai/bot/feishu/feishufake"
)

var ctx = context.Background()

const (
	testAppID     = "cli_test"
	testSecret    = "app-secret"
	testToken     = "verify-token"
	testEncKey    = "encrypt-key"
	testBotOpenID = "ou_bot"
)

// fakeFeishu is a local Feishu: the token endpoint, the IM API (create,
// reply, patch, files, images), the delayed card update, bot info, and the
// long connection's bootstrap and WebSocket, speaking the documented wire
// format (shared/platforms/feishu.md §6.3, §7.6, §7.7). It records every
// API call.
type fakeFeishu struct {
	t   *testing.T
	srv *httptest.Server

	mu         sync.Mutex
	calls      []apiCall
	tokens     int
	revoked    map[string]bool // tokens answered with 99991663
	fail       []failure       // the next API calls fail like this, in order
	uuids      map[string]string
	messages   int
	boots      chan struct{} // one per long-connection bootstrap call
	conns      chan *websocket.Conn
	noMsgScope bool   // reading messages is refused as a missing scope (im:message…)
	wsURL      string // the long connection's URL offered instead of the fake's own
}

type failure struct {
	status int
	code   int
	header map[string]string
}

type apiCall struct {
	Method string
	Path   string
	Query  string
	Token  string
	Body   map[string]any
	Raw    []byte
	CType  string
}

func newFake(t *testing.T) *fakeFeishu {
	f := &fakeFeishu{t: t, revoked: map[string]bool{}, uuids: map[string]string{}, conns: make(chan *websocket.Conn, 4), boots: make(chan struct{}, 16)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /open-apis/auth/v3/tenant_access_token/internal", func(w http.ResponseWriter, r *http.Request) {
		var in map[string]string
		_ = json.NewDecoder(r.Body).Decode(&in)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if in["app_id"] != testAppID || in["app_secret"] != testSecret {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"code":10014,"msg":"app secret invalid"}`))
			return
		}
		f.mu.Lock()
		f.tokens++
		n := f.tokens
		f.mu.Unlock()
		fmt.Fprintf(w, `{"code":0,"msg":"ok","tenant_access_token":"t-%d","expire":7200}`, n)
	})
	api := func(pattern string, answer func(c apiCall, r *http.Request) string) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			raw, _ := io.ReadAll(r.Body)
			c := apiCall{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Raw: raw, CType: r.Header.Get("Content-Type"),
				Token: strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")}
			_ = json.Unmarshal(raw, &c.Body)
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			f.mu.Lock()
			f.calls = append(f.calls, c)
			if c.Token == "" || f.revoked[c.Token] || !strings.HasPrefix(c.Token, "t-") {
				f.mu.Unlock()
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"code":99991663,"msg":"Invalid access token for authorization. Please make a request with token attached."}`))
				return
			}
			if len(f.fail) > 0 {
				fl := f.fail[0]
				f.fail = f.fail[1:]
				f.mu.Unlock()
				for k, v := range fl.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(fl.status)
				fmt.Fprintf(w, `{"code":%d,"msg":"failure %d"}`, fl.code, fl.code)
				return
			}
			f.mu.Unlock()
			_, _ = w.Write([]byte(answer(c, r)))
		})
	}
	send := func(c apiCall, r *http.Request) string {
		f.mu.Lock()
		defer f.mu.Unlock()
		uuid, _ := c.Body["uuid"].(string)
		id, seen := f.uuids[uuid]
		if !seen || uuid == "" {
			f.messages++
			id = fmt.Sprintf("om_%d", f.messages)
			if uuid != "" {
				f.uuids[uuid] = id
			}
		}
		chat := "oc_p2p"
		if r.URL.Query().Get("receive_id_type") == "chat_id" {
			chat, _ = c.Body["receive_id"].(string)
		}
		return fmt.Sprintf(`{"code":0,"msg":"success","data":{"message_id":%q,"chat_id":%q,"msg_type":%q}}`, id, chat, c.Body["msg_type"])
	}
	api("POST /open-apis/im/v1/messages", send)
	api("POST /open-apis/im/v1/messages/{id}/reply", send)
	api("PATCH /open-apis/im/v1/messages/{id}", func(apiCall, *http.Request) string { return `{"code":0,"msg":"success","data":{}}` })
	api("POST /open-apis/interactive/v1/card/update", func(apiCall, *http.Request) string { return `{"code":0,"msg":"success"}` })
	api("POST /open-apis/im/v1/files", func(apiCall, *http.Request) string {
		return `{"code":0,"msg":"success","data":{"file_key":"file_v2_1"}}`
	})
	api("POST /open-apis/im/v1/images", func(apiCall, *http.Request) string {
		return `{"code":0,"msg":"success","data":{"image_key":"img_v2_1"}}`
	})
	api("GET /open-apis/bot/v3/info", func(apiCall, *http.Request) string {
		return `{"code":0,"msg":"ok","bot":{"activate_status":2,"app_name":"整改通","avatar_url":"","ip_white_list":[],"open_id":"` + testBotOpenID + `"}}`
	})
	mux.HandleFunc("GET /open-apis/im/v1/messages/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		denied := f.noMsgScope
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		if denied {
			_, _ = w.Write([]byte(`{"code":99991672,"msg":"Access denied. One of the following scopes is required: [im:message, im:message:readonly, im:message.history:readonly]."}`))
			return
		}
		_, _ = w.Write([]byte(`{"code":230001,"msg":"Your request contains an invalid request parameter, ext=message_id not found."}`))
	})
	api("GET /open-apis/im/v1/chats", func(apiCall, *http.Request) string {
		return `{"code":0,"msg":"success","data":{"items":[],"has_more":false}}`
	})
	mux.HandleFunc("GET /open-apis/im/v1/messages/{id}/resources/{key}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.calls = append(f.calls, apiCall{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
			Token: strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")})
		f.mu.Unlock()
		switch r.PathValue("key") {
		case "img_1":
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write([]byte("\x89PNG fake"))
		case "file_1":
			w.Header().Set("Content-Type", "application/pdf")
			w.Header().Set("Content-Disposition", `attachment; filename="整改报告.pdf"`)
			_, _ = w.Write([]byte("%PDF fake"))
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"code":234003,"msg":"File not in msg."}`))
		}
	})
	mux.HandleFunc("POST /callback/ws/endpoint", func(w http.ResponseWriter, r *http.Request) {
		var in map[string]string
		_ = json.NewDecoder(r.Body).Decode(&in)
		w.Header().Set("Content-Type", "application/json")
		select {
		case f.boots <- struct{}{}:
		default:
		}
		if in["AppID"] != testAppID || in["AppSecret"] != testSecret {
			_, _ = w.Write([]byte(`{"code":1000040345,"msg":"app secret invalid"}`))
			return
		}
		u := "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/ws?device_id=dev1&service_id=7"
		f.mu.Lock()
		if f.wsURL != "" {
			u = f.wsURL
		}
		f.mu.Unlock()
		fmt.Fprintf(w, `{"code":0,"msg":"ok","data":{"URL":%q,"ClientConfig":{"ReconnectCount":-1,"ReconnectInterval":1,"ReconnectNonce":1,"PingInterval":120}}}`, u)
	})
	up := websocket.Upgrader{}
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		f.conns <- c
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// callsTo returns the recorded calls whose path has prefix p.
func (f *fakeFeishu) callsTo(p string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if strings.HasPrefix(c.Path, p) {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeFeishu) failNext(fl ...failure) {
	f.mu.Lock()
	f.fail = append(f.fail, fl...)
	f.mu.Unlock()
}

// pushFrame sends an event frame over the long connection and returns the
// client's ACK payload.
func pushFrame(t *testing.T, c *websocket.Conn, msgID string, payload []byte) larkws.Response {
	t.Helper()
	fr := larkws.Frame{Method: int32(larkws.FrameTypeData), Service: 7, Headers: []larkws.Header{
		{Key: "type", Value: "event"}, {Key: "message_id", Value: msgID}, {Key: "sum", Value: "1"},
		{Key: "seq", Value: "0"}, {Key: "trace_id", Value: "tr-" + msgID},
	}, Payload: payload}
	b, err := fr.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WriteMessage(websocket.BinaryMessage, b); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("reading ACK: %v", err)
		}
		var ack larkws.Frame
		if err := ack.Unmarshal(data); err != nil {
			t.Fatal(err)
		}
		hs := larkws.Headers(ack.Headers)
		if hs.GetString("type") == "ping" {
			pong := larkws.Frame{Method: int32(larkws.FrameTypeControl), Service: 7, Headers: []larkws.Header{{Key: "type", Value: "pong"}}}
			pb, _ := pong.Marshal()
			_ = c.WriteMessage(websocket.BinaryMessage, pb)
			continue
		}
		if hs.GetString("message_id") != msgID {
			continue
		}
		var resp larkws.Response
		if err := json.Unmarshal(ack.Payload, &resp); err != nil {
			t.Fatalf("ACK payload %s: %v", ack.Payload, err)
		}
		return resp
	}
}

// newAdapter returns an adapter on the fake.
func newAdapter(t *testing.T, f *fakeFeishu, clock bot.Clock, mod func(*Options)) *Adapter {
	t.Helper()
	o := Options{AppID: testAppID, AppSecret: testSecret, VerificationToken: testToken, EncryptKey: testEncKey,
		Mode: ModeWebhook, BaseURL: f.srv.URL, Clock: clock, HTTPClient: f.srv.Client(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
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

// sealed is a webhook as Feishu sends it: the body encrypted with the
// Encrypt Key, and the headers signing it.
type sealed struct {
	body                 []byte
	ts, nonce, signature string
}

func seal(t *testing.T, plain []byte, ts time.Time, nonce string) sealed {
	t.Helper()
	iv := []byte("0123456789abcdef")
	body, _ := json.Marshal(map[string]string{"encrypt": feishufake.Encrypt(testEncKey, plain, iv)})
	s := sealed{body: body, ts: fmt.Sprint(ts.Unix()), nonce: nonce}
	s.signature = signature(s.ts, s.nonce, testEncKey, body)
	return s
}

func post(t *testing.T, h http.Handler, s sealed, signed bool) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/callback/feishu", strings.NewReader(string(s.body)))
	r.Header.Set("Content-Type", "application/json")
	if signed {
		r.Header.Set(headerTimestamp, s.ts)
		r.Header.Set(headerNonce, s.nonce)
		r.Header.Set(headerSignature, s.signature)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// cardContent decodes an interactive message's content string.
func cardContent(t *testing.T, c apiCall) map[string]any {
	t.Helper()
	s, _ := c.Body["content"].(string)
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("content %q: %v", s, err)
	}
	return m
}

var _ = base64.StdEncoding
