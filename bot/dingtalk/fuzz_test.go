package dingtalk

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"zhenggai/bot"
	"zhenggai/bot/bottest"
)

// Fuzzing DingTalk's inbound decoders: the HTTP-mode robot and card
// callbacks with fuzzed bodies and headers (FuzzRobotCallback,
// FuzzCardCallback), and the Stream frames' data JSON as the Stream
// handlers decode it (FuzzStreamData). No input panics, garbage gets a 4xx
// and never a 500, a 200 needs a valid signature, and the dispatcher only
// sees well-formed events.

const (
	fuzzSecret     = "client-secret"
	fuzzCardSecret = "card-secret"
)

var fuzzNow = time.UnixMilli(1690362102194)

// fuzzDispatcher records events and answers a card action with a toast.
type fuzzDispatcher struct{ bottest.Recorder }

// check fails on an event the adapter should not have dispatched.
func (d *fuzzDispatcher) check(t *testing.T) {
	t.Helper()
	for _, ev := range d.Events() {
		ok := ev.ID != "" && ev.Platform == bot.DingTalk && ev.Sender.ID != "" &&
			(ev.Chat.Kind == bot.Direct || ev.Chat.ID != "")
		switch ev.Kind {
		case bot.KindMessage:
			ok = ok && ev.Message.MessageID == ev.ID
		case bot.KindCardAction:
			ok = ok && ev.Action != nil && ev.Action.Name != "" && ev.Message.MessageID != ""
		default:
			ok = false
		}
		if !ok {
			t.Fatalf("malformed event dispatched: %+v", ev)
		}
	}
}

// fuzzAdapter is an HTTP-mode adapter on an API that refuses every call at
// once, so a fuzzed message with files fails its downloads quickly and
// locally.
func fuzzAdapter(f *testing.F) *Adapter {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"code":"invalidParameter","message":"fuzz"}`))
	}))
	f.Cleanup(srv.Close)
	a, err := New(Options{ClientID: "dingclient", ClientSecret: fuzzSecret, RobotCode: "dingclient", Mode: ModeHTTP,
		CardCallbackSecret: fuzzCardSecret, BaseURL: srv.URL, HTTPClient: srv.Client(), UpdateDelay: -1, QPS: 1000,
		Clock: bot.NewFixedClock(fuzzNow), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	return a
}

// fuzzBodies are the recorded callbacks of testdata plus edge cases.
func fuzzBodies(tb testing.TB) [][]byte {
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
	return append(out,
		[]byte(`{"msgId":"m1","conversationType":"1","senderId":"$:LWCP","msgtype":"richText","content":{"richText":[{"text":"台账"},{"downloadCode":"dc1","type":"picture"}]}}`),
		[]byte(`{"msgId":"m2","conversationType":"1","senderStaffId":"0420li","msgtype":"audio","content":{"recognition":"月报","downloadCode":"dc2"}}`),
		[]byte(`{"msgId":"m3","conversationType":"1","senderStaffId":"0420li","msgtype":"file","content":{"downloadCode":"dc3","fileName":"a.pdf"}}`),
		[]byte(`{"msgId":"m4","conversationType":"2","isInAtList":true,"senderStaffId":"0420li","text":{"content":" 台账"}}`),
		[]byte(`{"msgId":"m5","conversationType":"1","text":{"content":"无发送人"}}`),
		[]byte(`{"outTrackId":"zgc-1","userId":"0420li","value":"{\"params\":{\"action\":\"a\",\"params\":\"null\",\"form\":{\"d\":1790000000000,\"n\":[1.5,true,null,{\"key\":\"k\"}]}}}"}`),
		[]byte(`{"outTrackId":"zgc-1","userId":"0420li","spaceType":"IM_GROUP","content":"{\"cardPrivateData\":{\"actionIds\":[\"x\"],\"params\":{\"params\":{\"a\":[1]}}}}"}`),
		[]byte(`{"outTrackId":"zgc-1","userId":"0420li","content":"{\"params\":{\"action\":\"a\",\"form\":{\"d\":1e300}}}"}`),
		[]byte(`{"outTrackId":"","userId":""}`),
		[]byte(`{"msgId":""}`),
		[]byte(`null`),
		[]byte(`[`),
	)
}

func postFuzz(a *Adapter, path string, body []byte, headers map[string]string) (*httptest.ResponseRecorder, *fuzzDispatcher) {
	mux, d := http.NewServeMux(), &fuzzDispatcher{}
	a.Mount(mux, d)
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	for k, v := range headers {
		if v != "" {
			r.Header.Set(k, v)
		}
	}
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	return w, d
}

// checkAnswer fails on a 5xx, and on a 200 to an unsigned request.
func checkAnswer(t *testing.T, w *httptest.ResponseRecorder, signed bool) {
	t.Helper()
	switch w.Code {
	case http.StatusOK:
		if !signed {
			t.Fatal("200 for a request not signed")
		}
	case http.StatusBadRequest, http.StatusUnauthorized:
	default:
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
}

// FuzzRobotCallback posts fuzzed robot callbacks. With sign set, the target
// signs the fuzzed timestamp (the sign does not cover the body), so the
// fuzzer reaches the decoder; otherwise sign is sent as it is.
func FuzzRobotCallback(f *testing.F) {
	a := fuzzAdapter(f)
	for i, b := range fuzzBodies(f) {
		f.Add(b, testTS, "", true)
		if i == 0 {
			// The self-computed vector of shared/platforms/wecom-dingtalk.md 6
			// (another secret: refused).
			f.Add(b, testTS, "UjQh+Ye5ziP1HBmVtWUzU3mcCkwWoo33UIWd6D43nEg=", false)
			f.Add(b, "1690358502193", "", true) // an hour and a millisecond ago
			f.Add(b, "1.5e12", "", true)
			f.Add(b, "", "", false)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, ts, sign string, signIt bool) {
		if signIt {
			sign = robotSign(fuzzSecret, ts)
		}
		w, d := postFuzz(a, "/callback/dingtalk", body, map[string]string{"timestamp": ts, "sign": sign})
		checkAnswer(t, w, checkSigned(fuzzNow, ts, sign, robotSign(fuzzSecret, ts)) == nil)
		d.check(t)
	})
}

// FuzzCardCallback posts fuzzed card callbacks, signed like FuzzRobotCallback.
func FuzzCardCallback(f *testing.F) {
	a := fuzzAdapter(f)
	for i, b := range fuzzBodies(f) {
		f.Add(b, testTS, "", true)
		if i == 0 {
			// The self-computed vector of shared/platforms/wecom-dingtalk.md 6
			// (another secret: refused).
			f.Add(b, testTS, "PSkMUvZoww6BJX0nfC8JooA++XUei07WeGulIBkygy8=", false)
			f.Add(b, "", "", false)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, ts, sign string, signIt bool) {
		if signIt {
			sign = cardSign(fuzzCardSecret, ts)
		}
		w, d := postFuzz(a, "/callback/dingtalk/card", body, map[string]string{"x-ddpaas-signature-timestamp": ts, "x-ddpaas-signature": sign})
		checkAnswer(t, w, checkSigned(fuzzNow, ts, sign, cardSign(fuzzCardSecret, ts)) == nil)
		if w.Code == http.StatusOK {
			var resp cardResponse
			if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || resp.CardUpdateOptions == nil {
				t.Fatalf("answer %s: %v", w.Body, err)
			}
		}
		d.check(t)
	})
}

// FuzzStreamData decodes fuzzed Stream frame data as both Stream handlers
// do (a robot message, then a card callback): every failure wraps
// errUndecodable, and the dispatcher only sees well-formed events.
func FuzzStreamData(f *testing.F) {
	a := fuzzAdapter(f)
	for _, b := range fuzzBodies(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := &fuzzDispatcher{}
		var m robotMessage
		if err := json.Unmarshal(data, &m); err == nil {
			if err := a.handleMessage(ctx, d, &m); err != nil && !errors.Is(err, errUndecodable) {
				t.Fatalf("robot message: %v", err)
			}
		}
		var cb cardCallback
		if err := json.Unmarshal(data, &cb); err == nil {
			resp, err := a.handleCard(ctx, d, &cb)
			if err != nil && !errors.Is(err, errUndecodable) {
				t.Fatalf("card callback: %v", err)
			}
			if err == nil && (resp == nil || resp.UserPrivateData == nil) {
				t.Fatalf("card callback answered %+v", resp)
			}
		}
		d.check(t)
	})
}
