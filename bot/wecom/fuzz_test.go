package wecom

import (
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"

	"zhenggai/bot"
	"zhenggai/bot/bottest"
	"zhenggai/store"
)

// Fuzzing the WeCom callback: the POST with fuzzed body and query
// (FuzzCallback: msg_signature, AES decryption, XML decoding), the URL
// check's GET (FuzzVerifyURL), and XML plaintexts encrypted and signed with
// the test key so that every input reaches the message and event decoders
// (FuzzPlaintext). No input panics, garbage gets a 4xx and never a 500, a
// 200 needs a valid msg_signature, and the dispatcher only sees
// well-formed events. The 微信客服 callback (kf_msg_or_event) has no
// decoder of its own: it is an app callback that only kicks the sync.

// fuzzNow is vector A's timestamp, so the official POST example is fresh.
var fuzzNow = time.Unix(1409659813, 0)

// fuzzDispatcher records events and answers a card click with a short
// toast (the encrypted passive reply).
type fuzzDispatcher struct{ bottest.Recorder }

// check fails on an event the adapter should not have dispatched.
func (d *fuzzDispatcher) check(t *testing.T) {
	t.Helper()
	for _, ev := range d.Events() {
		ok := ev.ID != "" && ev.Platform == bot.WeCom && ev.Sender.ID != "" && ev.Chat.Kind == bot.Direct
		switch ev.Kind {
		case bot.KindMessage:
			ok = ok && ev.Message.MessageID == ev.ID
		case bot.KindCardAction:
			ok = ok && ev.Action != nil
		default:
			ok = false
		}
		if !ok {
			t.Fatalf("malformed event dispatched: %+v", ev)
		}
	}
}

// fuzzAdapter is an adapter with the official vectors' token, key and corp
// id on an API that refuses every call at once. Its store has no database:
// nothing on the callback path of these targets reaches it.
func fuzzAdapter(f *testing.F) *Adapter {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"errcode":40001,"errmsg":"invalid credential"}`))
	}))
	f.Cleanup(srv.Close)
	a, err := New(Config{CorpID: vecCorpID, AgentID: "218", Secret: "secret", Token: vecToken, EncodingAESKey: vecAESKey,
		BaseURL: srv.URL, HTTPClient: srv.Client(), Store: store.New(nil), Clock: bot.NewFixedClock(fuzzNow),
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	return a
}

func serveFuzz(a *Adapter, r *http.Request) (*httptest.ResponseRecorder, *fuzzDispatcher) {
	mux, d := http.NewServeMux(), &fuzzDispatcher{}
	a.Mount(mux, d)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	return w, d
}

// fuzzXML are decrypted callbacks: the samples of
// shared/platforms/wecom-dingtalk.md 4 and edge cases.
func fuzzXML() []string {
	at := fuzzNow
	return []string{
		textXML("zhangsan", "1234567890123456", "整改进度：已完成50%", at),
		cardXML("zhangsan", "rect-42-r1", "submit", "RC_FROM_WECOM", at, map[string][]string{"status": {"in_progress"}}),
		cardXML("libin", "zg-1", "b0|test.done?item=42", "RC", at, nil),
		cardXML("libin", "zg-2", "s1|test.submit?item=42&v=3", "RC", at, map[string][]string{"status": {"done"}}),
		cardXML("libin", "zg-3", "f2|test.form?item=%zz", "RC", at, nil),
		`<xml><ToUserName>wx5823bf96d3bd56c7</ToUserName><FromUserName>zhangsan</FromUserName><MsgType>event</MsgType><Event>template_card_menu_event</Event><EventKey>x</EventKey></xml>`,
		`<xml><MsgType>event</MsgType><Event>kf_msg_or_event</Event><Token>ENC</Token><OpenKfId>wkAJ2GCAAA</OpenKfId></xml>`,
		`<xml><MsgType>event</MsgType><Event>enter_agent</Event></xml>`,
		`<xml><MsgType>image</MsgType><FromUserName>zhangsan</FromUserName><MediaId></MediaId><MsgId>9</MsgId></xml>`,
		`<xml><MsgType>text</MsgType><Content>无发送人</Content></xml>`,
		`<xml><MsgType>text</MsgType><FromUserName>zhangsan</FromUserName><Content>无消息号</Content></xml>`,
		`<xml><SelectedItems><SelectedItem><OptionIds><OptionId>a</OptionId>`,
		`<other/>`,
		``,
	}
}

// sealXML encrypts plain into a callback body and its signed query.
func sealXML(tb testing.TB, plain []byte, ts string) (body, query string) {
	tb.Helper()
	enc, err := util.EncryptMsg([]byte("abcdefghijklmnop"), plain, vecCorpID, vecAESKey)
	if err != nil {
		tb.Fatal(err)
	}
	body = fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><AgentID><![CDATA[218]]></AgentID><Encrypt><![CDATA[%s]]></Encrypt></xml>", vecCorpID, enc)
	q := url.Values{"msg_signature": {util.Signature(vecToken, ts, "777", string(enc))}, "timestamp": {ts}, "nonce": {"777"}}
	return body, q.Encode()
}

// FuzzCallback posts fuzzed bodies and queries. With sign set, the target
// signs the body's Encrypt with the fuzzed timestamp and nonce, so the
// fuzzer gets past msg_signature to the decryption and the XML decoder;
// otherwise sig is sent as it is.
func FuzzCallback(f *testing.F) {
	a := fuzzAdapter(f)
	envA := "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[" + vecAEncrypt + "]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>"
	f.Add([]byte(envA), vecATimestamp, vecANonce, vecASignature, false) // the official example: 200
	f.Add([]byte(envA), vecATimestamp, vecANonce, vecASignature[1:], false)
	f.Add([]byte(strings.Replace(envA, vecAEncrypt, vecCEncrypt, 1)), "1700000000", "424242", vecCSignature, false) // stale
	f.Add([]byte(envA), "1409659813x", vecANonce, "", true)
	for _, x := range fuzzXML() {
		body, _ := sealXML(f, []byte(x), vecATimestamp)
		f.Add([]byte(body), vecATimestamp, "777", "", true)
	}
	f.Add([]byte(`<xml><Encrypt><![CDATA[AAAA]]></Encrypt></xml>`), vecATimestamp, "1", "", true)
	f.Add([]byte(`<xml><Encrypt></Encrypt></xml>`), vecATimestamp, "1", "", true)
	f.Add([]byte(`not xml`), "", "", "", false)
	f.Fuzz(func(t *testing.T, body []byte, ts, nonce, sig string, sign bool) {
		var env envelope
		_ = xml.Unmarshal(body, &env)
		if sign {
			sig = util.Signature(vecToken, ts, nonce, env.Encrypt)
		}
		q := url.Values{"msg_signature": {sig}, "timestamp": {ts}, "nonce": {nonce}}
		w, d := serveFuzz(a, httptest.NewRequest(http.MethodPost, "/callback/wecom?"+q.Encode(), strings.NewReader(string(body))))
		switch w.Code {
		case http.StatusOK:
			sec, err := strconv.ParseInt(ts, 10, 64)
			if _, oerr := a.crypto.Open(sig, ts, nonce, env.Encrypt); oerr != nil || err != nil || a.stale(time.Unix(sec, 0)) {
				t.Fatalf("200 for a request not signed or stale: %v %v", oerr, err)
			}
		case http.StatusBadRequest, http.StatusUnauthorized:
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		d.check(t)
	})
}

// FuzzVerifyURL sends fuzzed URL checks: the echo comes back only for a
// valid msg_signature.
func FuzzVerifyURL(f *testing.F) {
	a := fuzzAdapter(f)
	f.Add(vecBQuery) // the official example: 200 with the echo
	f.Add(strings.Replace(vecBQuery, "nonce=263014780", "nonce=1", 1))
	f.Add("msg_signature=&timestamp=&nonce=&echostr=")
	f.Add("echostr=%zz&&;")
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest(http.MethodGet, "/callback/wecom", nil)
		r.URL.RawQuery = query
		w, _ := serveFuzz(a, r)
		q := r.URL.Query()
		plain, err := a.crypto.Open(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), q.Get("echostr"))
		switch w.Code {
		case http.StatusOK:
			if err != nil || w.Body.String() != string(plain) {
				t.Fatalf("200 for an unsigned URL check: %v", err)
			}
		case http.StatusUnauthorized:
			if err == nil {
				t.Fatal("a signed URL check refused")
			}
		default:
			t.Fatalf("status %d", w.Code)
		}
	})
}

// FuzzPlaintext encrypts and signs fuzzed XML plaintexts with the test key
// and a fresh timestamp, so that every input reaches the decoders.
func FuzzPlaintext(f *testing.F) {
	a := fuzzAdapter(f)
	for _, x := range fuzzXML() {
		f.Add([]byte(x))
	}
	ts := strconv.FormatInt(fuzzNow.Unix(), 10)
	f.Fuzz(func(t *testing.T, plain []byte) {
		body, query := sealXML(t, plain, ts)
		w, d := serveFuzz(a, httptest.NewRequest(http.MethodPost, "/callback/wecom?"+query, strings.NewReader(body)))
		var in Inbound
		decoded := xml.Unmarshal(plain, &in) == nil
		switch w.Code {
		case http.StatusOK:
			if !decoded {
				t.Fatalf("200 for undecodable XML %q", plain)
			}
		case http.StatusUnauthorized:
			if len(d.Events()) > 0 {
				t.Fatalf("refused but dispatched %+v", d.Events()[0])
			}
		case http.StatusInternalServerError:
			// Only a media download that failed is retried: the test
			// API refuses every call.
			if !decoded || in.MediaID == "" {
				t.Fatalf("500 for %q", plain)
			}
		default:
			t.Fatalf("status %d for %q", w.Code, plain)
		}
		d.check(t)
	})
}
