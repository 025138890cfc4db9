package wecom

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeWeCom is a local WeCom server API speaking the documented wire
// format: gettoken, message/send, update_template_card, appchat, media
// upload, agent/get and 微信客服 sync_msg/send_msg.
type fakeWeCom struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	tokens   int
	revoked  map[string]bool
	calls    []fakeCall
	kfMsgs   []map[string]any
	kfPage   int
	invalid  string // reported as invalid recipients of message/send
	errcodes map[string]int
	kfState  map[string]int // external_userid → 微信客服 session state (0 when unset)
	// mediaFails is how many more media/get calls of a media_id answer
	// "system busy" (-1) before one succeeds.
	mediaFails map[string]int
	kfAgent    string // servicer_userid reported for state 3
}

// fakeCall is one recorded API call.
type fakeCall struct {
	Path  string
	Token string
	Body  map[string]any
}

func newFakeWeCom(t *testing.T) *fakeWeCom {
	f := &fakeWeCom{t: t, revoked: map[string]bool{}, kfPage: 2, errcodes: map[string]int{}, kfState: map[string]int{}, mediaFails: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeWeCom) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	reply := func(v map[string]any) { _ = json.NewEncoder(w).Encode(v) }
	if r.URL.Path == "/cgi-bin/gettoken" {
		if r.URL.Query().Get("corpsecret") != "secret" {
			reply(map[string]any{"errcode": 40001, "errmsg": "invalid credential"})
			return
		}
		f.tokens++
		reply(map[string]any{"errcode": 0, "errmsg": "ok", "access_token": fmt.Sprintf("tok-%d", f.tokens), "expires_in": 7200})
		return
	}
	tok := r.URL.Query().Get("access_token")
	if tok == "" || f.revoked[tok] || !strings.HasPrefix(tok, "tok-") {
		reply(map[string]any{"errcode": 40014, "errmsg": "invalid access_token"})
		return
	}
	call := fakeCall{Path: r.URL.Path, Token: tok, Body: map[string]any{}}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		raw, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(raw, &call.Body); err != nil {
			f.t.Errorf("fake: %s: bad JSON %q", r.URL.Path, raw)
		}
	}
	f.calls = append(f.calls, call)
	if code := f.errcodes[r.URL.Path]; code != 0 {
		reply(map[string]any{"errcode": code, "errmsg": "scripted"})
		return
	}
	n := len(f.calls)
	switch r.URL.Path {
	case "/cgi-bin/media/get":
		id := r.URL.Query().Get("media_id")
		if id == "expired" {
			reply(map[string]any{"errcode": 40007, "errmsg": "invalid media_id"})
			return
		}
		if f.mediaFails[id] > 0 {
			f.mediaFails[id]--
			reply(map[string]any{"errcode": -1, "errmsg": "system busy"})
			return
		}
		if id == "big" {
			w.Header().Set("Content-Type", "application/zip")
			w.Header().Set("Content-Disposition", `attachment; filename="录像.zip"`)
			_, _ = w.Write(make([]byte, 20<<20+1))
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("Content-Disposition", `attachment; filename="site.jpg"`)
		_, _ = w.Write([]byte("\xff\xd8\xff\xe0 jpeg " + r.URL.Query().Get("media_id")))
	case "/cgi-bin/message/send":
		if _, ok := call.Body["agentid"].(float64); !ok {
			f.t.Errorf("fake: agentid is not a number: %v", call.Body["agentid"])
		}
		ans := map[string]any{"errcode": 0, "errmsg": "ok", "msgid": fmt.Sprintf("msg-%d", n), "invaliduser": f.invalid}
		if call.Body["msgtype"] == "template_card" {
			ans["response_code"] = fmt.Sprintf("rc-%d", n)
		}
		reply(ans)
	case "/cgi-bin/media/upload":
		if err := r.ParseMultipartForm(1 << 20); err != nil || r.MultipartForm.File["media"] == nil {
			f.t.Errorf("fake: upload without media part: %v", err)
		}
		reply(map[string]any{"errcode": 0, "errmsg": "ok", "type": "file", "media_id": "media-1"})
	case "/cgi-bin/appchat/create":
		id, _ := call.Body["chatid"].(string)
		reply(map[string]any{"errcode": 0, "errmsg": "ok", "chatid": id})
	case "/cgi-bin/kf/account/list":
		reply(map[string]any{"errcode": 0, "errmsg": "ok", "account_list": []map[string]any{{"open_kfid": "wkKF1", "name": "整改通客服"}}})
	case "/cgi-bin/agent/get":
		reply(map[string]any{"errcode": 0, "errmsg": "ok", "name": "整改通", "allow_partys": map[string]any{"partyid": []int{1}}})
	case "/cgi-bin/kf/sync_msg":
		cur, _ := strconv.Atoi(fmt.Sprint(call.Body["cursor"]))
		end := min(cur+f.kfPage, len(f.kfMsgs))
		more := 0
		if end < len(f.kfMsgs) {
			more = 1
		}
		reply(map[string]any{"errcode": 0, "errmsg": "ok", "next_cursor": strconv.Itoa(end), "has_more": more, "msg_list": f.kfMsgs[cur:end]})
	case "/cgi-bin/kf/service_state/get":
		st := f.kfState[fmt.Sprint(call.Body["external_userid"])]
		ans := map[string]any{"errcode": 0, "errmsg": "ok", "service_state": st}
		if st == 3 {
			ans["servicer_userid"] = f.kfAgent
		}
		reply(ans)
	case "/cgi-bin/kf/service_state/trans":
		user := fmt.Sprint(call.Body["external_userid"])
		to, _ := call.Body["service_state"].(float64)
		// /94669: from 未处理 to 1, 2 or 3; from 1 to 2 or 3; 4 never.
		if from := f.kfState[user]; from == 4 || from >= int(to) {
			reply(map[string]any{"errcode": 95016, "errmsg": "invalid state transition"})
			return
		}
		f.kfState[user] = int(to)
		reply(map[string]any{"errcode": 0, "errmsg": "ok"})
	case "/cgi-bin/kf/send_msg":
		// The API answers only sessions 未处理 or 由智能助手接待.
		if st := f.kfState[fmt.Sprint(call.Body["touser"])]; st != 0 && st != 1 {
			reply(map[string]any{"errcode": 95018, "errmsg": "send msg not allowed in this session state"})
			return
		}
		reply(map[string]any{"errcode": 0, "errmsg": "ok", "msgid": fmt.Sprintf("kfmsg-%d", n)})
	default:
		reply(map[string]any{"errcode": 0, "errmsg": "ok"})
	}
}

// addKF appends a text message from a WeChat user to the kf message log.
func (f *fakeWeCom) addKF(msgID, user, text string, sendTime int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.kfMsgs = append(f.kfMsgs, map[string]any{
		"msgid": msgID, "open_kfid": "wkKF1", "external_userid": user, "send_time": sendTime, "origin": 3,
		"msgtype": "text", "text": map[string]any{"content": text},
	})
}

// addKFMedia appends an image message from a WeChat user.
func (f *fakeWeCom) addKFMedia(msgID, user, mediaID string, sendTime int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.kfMsgs = append(f.kfMsgs, map[string]any{
		"msgid": msgID, "open_kfid": "wkKF1", "external_userid": user, "send_time": sendTime, "origin": 3,
		"msgtype": "image", "image": map[string]any{"media_id": mediaID},
	})
}

// addKFEnter appends a user's enter_session event with a welcome_code.
func (f *fakeWeCom) addKFEnter(msgID, user, code string, sendTime int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.kfMsgs = append(f.kfMsgs, map[string]any{
		"msgid": msgID, "send_time": sendTime, "origin": 4, "msgtype": "event",
		"event": map[string]any{"event_type": "enter_session", "open_kfid": "wkKF1", "external_userid": user, "scene": "qr", "welcome_code": code},
	})
}

// callsTo returns the recorded calls of one API.
func (f *fakeWeCom) callsTo(path string) []fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeCall
	for _, c := range f.calls {
		if c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeWeCom) revoke(tok string) {
	f.mu.Lock()
	f.revoked[tok] = true
	f.mu.Unlock()
}

func (f *fakeWeCom) tokenCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokens
}
