package feishu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"zhenggai/bot"
	"zhenggai/bot/bottest"
	"zhenggai/bot/feishu/feishufake"
)

// Fuzzing POST /callback/feishu: bodies and headers as they come off the
// wire (FuzzWebhook), and event plaintexts sealed with the test key so the
// event decoders are reached (FuzzEvent). No input panics, garbage gets a
// 4xx and never a 500, a 200 needs a valid signature (or an authentic
// url_verification), and the dispatcher only sees well-formed events.

var fuzzNow = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// fuzzDispatcher checks every event it is given and answers a card action
// with a toast and a card.
type fuzzDispatcher struct{ bottest.Recorder }

// check fails on an event the adapter should not have dispatched.
func (d *fuzzDispatcher) check(t *testing.T) {
	t.Helper()
	for _, ev := range d.Events() {
		ok := ev.ID != "" && ev.Platform == bot.Feishu && ev.Kind >= bot.KindMessage && ev.Kind <= bot.KindLeft
		switch ev.Kind {
		case bot.KindMessage:
			ok = ok && ev.Chat.ID != "" && ev.Message.MessageID == ev.ID
		case bot.KindCardAction:
			ok = ok && ev.Action != nil
		case bot.KindJoined, bot.KindLeft:
			ok = ok && ev.Chat.ID != ""
		}
		if !ok {
			t.Fatalf("malformed event dispatched: %+v", ev)
		}
	}
}

// fuzzAPI is a Feishu API that refuses every call at once, so a fuzzed
// message with files fails its downloads quickly and locally.
func fuzzAPI(f *testing.F) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"code":10014,"msg":"app secret invalid"}`))
	}))
	f.Cleanup(srv.Close)
	return srv.URL
}

// fuzzMux is a fresh adapter (so the replay cache starts empty) mounted
// with a checking dispatcher.
func fuzzMux(t *testing.T, baseURL string) (*http.ServeMux, *fuzzDispatcher) {
	a, err := New(Options{AppID: testAppID, AppSecret: testSecret, VerificationToken: testToken, EncryptKey: testEncKey,
		Mode: ModeWebhook, BaseURL: baseURL, BotOpenID: testBotOpenID, Clock: bot.NewFixedClock(fuzzNow),
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	mux, d := http.NewServeMux(), &fuzzDispatcher{}
	a.Mount(mux, d)
	return mux, d
}

// fuzzPlaintexts are the recorded events of testdata plus edge cases.
func fuzzPlaintexts(tb testing.TB) [][]byte {
	tb.Helper()
	names, err := filepath.Glob("testdata/*.json")
	if err != nil || len(names) == 0 {
		tb.Fatalf("no testdata: %v", err)
	}
	var out [][]byte
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	hdr := func(typ, event string) []byte {
		return fmt.Appendf(nil, `{"schema":"2.0","header":{"event_id":"ev_f","event_type":%q,"token":%q},"event":%s}`, typ, testToken, event)
	}
	return append(out,
		hdr("im.message.receive_v1", `{"sender":{"sender_type":"user","sender_id":{"open_id":"ou_li"}},"message":{"message_id":"om_f","chat_id":"oc_f","chat_type":"group","message_type":"post","content":"{\"content\":[[{\"tag\":\"at\",\"user_id\":\"@_user_1\"},{\"tag\":\"text\",\"text\":\" 台账\"}]]}","mentions":[{"key":"@_user_1","id":{"open_id":"ou_bot"},"name":"整改通"},{"key":"@_user_10","id":{"open_id":"ou_x"},"name":"王"}]}}`),
		hdr("im.message.receive_v1", `{"sender":{"sender_type":"user","sender_id":{"open_id":"ou_li"}},"message":{"message_id":"om_img","chat_id":"oc_p2p","chat_type":"p2p","message_type":"image","content":"{\"image_key\":\"img_1\"}"}}`),
		hdr("im.message.receive_v1", `{"message":{"message_id":"","chat_id":""}}`),
		hdr("card.action.trigger", `{"operator":{"open_id":"ou_li"},"action":{"value":{"action":"a","n":1,"b":true,"o":{"open_id":"ou_x"},"l":[1]},"name":"d","option":"2024-04-29 07:07 +0800"},"context":{"open_chat_id":"oc_f"}}`),
		hdr("card.action.trigger", `{"action":{"name":"s","options":["a","b"]}}`),
		hdr("im.chat.member.bot.deleted_v1", `{"chat_id":"oc_f"}`),
		hdr("im.chat.member.bot.added_v1", `[]`),
		[]byte(`{"schema":"2.0","header":{"event_type":"im.chat.member.bot.added_v1","token":"verify-token"},"event":{"chat_id":"oc_f"}}`),
		[]byte(`{"type":"url_verification","token":"verify-token","challenge":"c"}`),
		[]byte(`{"header":{"token":"verify-token","event_type":"card.action.trigger"},"event":null}`),
		[]byte(`null`),
		[]byte(`{"header":`),
	)
}

// sealFuzz encrypts plain with the test key into a webhook body.
func sealFuzz(plain []byte) []byte {
	body, _ := json.Marshal(map[string]string{"encrypt": feishufake.Encrypt(testEncKey, plain, []byte("0123456789abcdef"))})
	return body
}

// authenticURLVerification reports whether body is an encrypted
// url_verification with the right token, the one request answered 200
// without a signature.
func authenticURLVerification(body []byte) bool {
	var outer struct {
		Encrypt string `json:"encrypt"`
	}
	if json.Unmarshal(body, &outer) != nil {
		return false
	}
	plain, err := decrypt(testEncKey, outer.Encrypt)
	if err != nil {
		return false
	}
	var env eventEnvelope
	return json.Unmarshal(plain, &env) == nil && env.Type == "url_verification" && env.Token == testToken
}

func postFuzz(mux *http.ServeMux, body []byte, ts, nonce, sig string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/callback/feishu", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if ts != "" {
		r.Header.Set(headerTimestamp, ts)
	}
	if nonce != "" {
		r.Header.Set(headerNonce, nonce)
	}
	if sig != "" {
		r.Header.Set(headerSignature, sig)
	}
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	return w
}

// FuzzWebhook posts fuzzed bodies and headers. With sign set, the target
// signs the fuzzed body with the fuzzed timestamp and nonce, so the
// fuzzer gets past the signature to the envelope and the decryption;
// otherwise sig is sent as it is.
func FuzzWebhook(f *testing.F) {
	api := fuzzAPI(f)
	now := strconv.FormatInt(fuzzNow.Unix(), 10)
	for i, plain := range fuzzPlaintexts(f) {
		body := sealFuzz(plain)
		f.Add(body, now, "n", "", true)
		f.Add(body, now, "n", "", false)
		if i == 0 {
			f.Add(body, strconv.FormatInt(fuzzNow.Add(-time.Hour).Unix(), 10), "n", "", true)
			f.Add(body, "not-a-time", "n", "", true)
			f.Add(body, now, "n", signature(now, "n", testEncKey, body), false)
			f.Add(body, now, "n", signature(now, "n", "wrong-key", body), false)
		}
	}
	f.Add([]byte(`{"encrypt":""}`), now, "n", "", true)
	f.Add([]byte(`{"encrypt":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}`), now, "n", "", true)
	f.Add([]byte(`{"encrypt":"!!"}`), now, "", "", true)
	f.Add([]byte(`{"challenge":"x","token":"verify-token","type":"url_verification"}`), now, "n", "", true)
	f.Add([]byte(`not json`), now, "n", "", true)
	f.Add([]byte{}, "", "", "", false)
	f.Fuzz(func(t *testing.T, body []byte, ts, nonce, sig string, sign bool) {
		if sign {
			sig = signature(ts, nonce, testEncKey, body)
		}
		mux, d := fuzzMux(t, api)
		w := postFuzz(mux, body, ts, nonce, sig)
		switch w.Code {
		case http.StatusOK:
			signed := ts != "" && sig != "" && checkSignature(fuzzNow, 5*time.Minute, ts, nonce, sig, testEncKey, body) == nil
			if !signed && !authenticURLVerification(body) {
				t.Fatalf("200 for a request not signed (ts %q sig %q): %s", ts, sig, body)
			}
		case http.StatusBadRequest, http.StatusUnauthorized:
		default:
			t.Fatalf("status %d for %q", w.Code, body)
		}
		d.check(t)
	})
}

// FuzzEvent seals fuzzed event plaintexts with the test key and a valid
// signature, so that every input reaches the envelope and event decoders.
func FuzzEvent(f *testing.F) {
	api := fuzzAPI(f)
	for _, plain := range fuzzPlaintexts(f) {
		f.Add(plain)
	}
	ts := strconv.FormatInt(fuzzNow.Unix(), 10)
	f.Fuzz(func(t *testing.T, plain []byte) {
		mux, d := fuzzMux(t, api)
		body := sealFuzz(plain)
		w := postFuzz(mux, body, ts, "n", signature(ts, "n", testEncKey, body))
		switch w.Code {
		case http.StatusOK:
			var env eventEnvelope
			if err := json.Unmarshal(plain, &env); err != nil {
				t.Fatalf("200 for undecodable plaintext: %v", err)
			}
			if env.Header.Token != testToken && (env.Type != "url_verification" || env.Token != testToken) {
				t.Fatalf("200 without the verification token: %s", plain)
			}
		case http.StatusBadRequest, http.StatusUnauthorized:
			if len(d.Events()) > 0 {
				t.Fatalf("refused with %d but dispatched %+v", w.Code, d.Events()[0])
			}
		default:
			t.Fatalf("status %d for %s", w.Code, plain)
		}
		d.check(t)
	})
}
