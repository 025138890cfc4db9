package feishufake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// API is a local Feishu Open API: the tenant token, sending, replying to
// and patching messages, the delayed card update, files, images, bot info
// and the chat list, with no rate limit. Like Feishu it answers a send
// whose uuid it has seen with the first message's id, so a retried send
// makes one message. It counts what it was sent.
type API struct {
	app    App
	secret string
	botID  string

	sent    atomic.Int64 // send and reply calls answered
	tokens  atomic.Int64
	latency atomic.Int64 // added to each send, in nanoseconds

	mu        sync.Mutex
	uuids     map[string]string // uuid → message id
	byTo      map[string]int    // receive id (or replied message) → messages
	resources map[string]*Resource
	uploads   []string          // "image" or "file: NAME", in order
	sentTo    map[string][]Sent // receive id (or "reply:" message) → its messages
}

// Resource is a picture or file of a message, as the resources API serves
// it.
type Resource struct {
	MIME    string
	Content []byte
	// FailFirst is how many downloads fail (HTTP 500) before one succeeds.
	FailFirst int
	// Gone answers every download as a resource Feishu no longer has.
	Gone bool
}

// AddResource makes the resources API serve r for the message's key.
func (f *API) AddResource(messageID, key string, r Resource) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.resources == nil {
		f.resources = map[string]*Resource{}
	}
	f.resources[messageID+"/"+key] = &r
}

// Uploads lists the files and images uploaded (im/v1/files, im/v1/images),
// in order: "image", or "file: NAME".
func (f *API) Uploads() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.uploads...)
}

// Sent is a message the fake was sent.
type Sent struct {
	MsgType string
	Content string
}

// SentTo lists the messages sent to a receive id, or replying to a message
// ("reply:" and its id).
func (f *API) SentTo(id string) []Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Sent(nil), f.sentTo[id]...)
}

// NewAPI returns a fake Open API for an app with this secret; the bot's
// own open_id is botOpenID.
func NewAPI(app App, secret, botOpenID string) *API {
	return &API{app: app, secret: secret, botID: botOpenID, uuids: map[string]string{}, byTo: map[string]int{}}
}

// Messages is the number of distinct messages made (retries with a known
// uuid excluded).
func (f *API) Messages() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.uuids)
}

// SetLatency makes each send and reply take d more, like a far-away
// platform.
func (f *API) SetLatency(d time.Duration) { f.latency.Store(int64(d)) }

// Sends is the number of send and reply calls answered, retries included.
func (f *API) Sends() int64 { return f.sent.Load() }

// MessagesTo is the number of distinct messages sent to a receive id.
func (f *API) MessagesTo(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.byTo[id]
}

// Handler serves the API.
func (f *API) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /open-apis/auth/v3/tenant_access_token/internal", func(w http.ResponseWriter, r *http.Request) {
		var in map[string]string
		_ = json.NewDecoder(r.Body).Decode(&in)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if in["app_id"] != f.app.AppID || in["app_secret"] != f.secret {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"code":10014,"msg":"app secret invalid"}`)
			return
		}
		fmt.Fprintf(w, `{"code":0,"msg":"ok","tenant_access_token":"t-%d","expire":7200}`, f.tokens.Add(1))
	})
	api := func(pattern string, answer func(body map[string]any, r *http.Request) string) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer t-") {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, `{"code":99991663,"msg":"Invalid access token for authorization."}`)
				return
			}
			var body map[string]any
			if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				_ = json.NewDecoder(r.Body).Decode(&body)
			} else {
				_, _ = io.Copy(io.Discard, r.Body)
			}
			_, _ = io.WriteString(w, answer(body, r))
		})
	}
	send := func(body map[string]any, r *http.Request) string {
		if d := time.Duration(f.latency.Load()); d > 0 {
			time.Sleep(d)
		}
		f.sent.Add(1)
		to, _ := body["receive_id"].(string)
		if to == "" {
			to = "reply:" + r.PathValue("id")
		}
		uuid, _ := body["uuid"].(string)
		f.mu.Lock()
		id, seen := f.uuids[uuid]
		if !seen || uuid == "" {
			id = fmt.Sprintf("om_fake_%d", len(f.uuids)+1)
			if uuid == "" {
				uuid = id
			}
			f.uuids[uuid] = id
			f.byTo[to]++
			if f.sentTo == nil {
				f.sentTo = map[string][]Sent{}
			}
			mt, _ := body["msg_type"].(string)
			content, _ := body["content"].(string)
			f.sentTo[to] = append(f.sentTo[to], Sent{MsgType: mt, Content: content})
		}
		f.mu.Unlock()
		return fmt.Sprintf(`{"code":0,"msg":"success","data":{"message_id":%q,"chat_id":"oc_fake","msg_type":%q}}`, id, body["msg_type"])
	}
	ok := func(map[string]any, *http.Request) string { return `{"code":0,"msg":"success","data":{}}` }
	api("POST /open-apis/im/v1/messages", send)
	api("POST /open-apis/im/v1/messages/{id}/reply", send)
	api("PATCH /open-apis/im/v1/messages/{id}", ok)
	api("POST /open-apis/interactive/v1/card/update", ok)
	mux.HandleFunc("POST /open-apis/im/v1/files", func(w http.ResponseWriter, r *http.Request) {
		name := r.FormValue("file_name")
		f.mu.Lock()
		f.uploads = append(f.uploads, "file: "+name)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = io.WriteString(w, `{"code":0,"msg":"success","data":{"file_key":"file_v2_fake"}}`)
	})
	mux.HandleFunc("POST /open-apis/im/v1/images", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseMultipartForm(32 << 20)
		f.mu.Lock()
		f.uploads = append(f.uploads, "image")
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = io.WriteString(w, `{"code":0,"msg":"success","data":{"image_key":"img_v2_fake"}}`)
	})
	mux.HandleFunc("GET /open-apis/im/v1/messages/{id}/resources/{key}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		res := f.resources[r.PathValue("id")+"/"+r.PathValue("key")]
		fail := res != nil && res.FailFirst > 0
		if fail {
			res.FailFirst--
		}
		f.mu.Unlock()
		switch {
		case res == nil || res.Gone:
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"code":234003,"msg":"File not in msg."}`)
		case fail:
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `{"code":1500,"msg":"internal error"}`)
		default:
			w.Header().Set("Content-Type", res.MIME)
			_, _ = w.Write(res.Content)
		}
	})
	api("GET /open-apis/bot/v3/info", func(map[string]any, *http.Request) string {
		return `{"code":0,"msg":"ok","bot":{"activate_status":2,"app_name":"整改通","open_id":"` + f.botID + `"}}`
	})
	api("GET /open-apis/im/v1/chats", func(map[string]any, *http.Request) string {
		return `{"code":0,"msg":"success","data":{"items":[],"has_more":false}}`
	})
	return mux
}
