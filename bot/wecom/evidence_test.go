package wecom

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"zhenggai/store/storetest"
)

// imageXML is a picture a member sent the app.
func imageXML(from, msgID, mediaID string, at time.Time) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime>"+
		"<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://p.qpic.cn/x]]></PicUrl><MediaId><![CDATA[%s]]></MediaId>"+
		"<MsgId>%s</MsgId><AgentID>1000002</AgentID></xml>", vecCorpID, from, at.Unix(), mediaID, msgID)
}

// sentSince joins the bodies of the app messages sent from the n-th call
// to /cgi-bin/message/send.
func (e *env) sentSince(n int) string {
	var out []string
	for _, c := range e.fake.callsTo("/cgi-bin/message/send")[n:] {
		b, _ := json.Marshal(c.Body)
		out = append(out, string(b))
	}
	return strings.Join(out, "\n")
}

// TestEvidenceOnWeCom: pictures a member sends are answered at once (200
// within the callback, no download) and downloaded by the outbox; one whose
// download WeCom answers "busy" twice is retried and kept, and the bot asks
// which item it is for. Media WeCom no longer has and a file over
// FILE_MAX_MB are answered by name; WeCom is never asked to retry.
func TestEvidenceOnWeCom(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	applyDemo(ctx, t, st)
	e := newEnv(t, st, true)
	e.fake.mediaFails["MEDIA_A"] = 2
	n := len(e.fake.callsTo("/cgi-bin/message/send"))
	if w := e.post(imageXML("libin", "601", "MEDIA_A", e.clock.Now()), false); w.Code != 200 {
		t.Fatalf("callback: %d", w.Code)
	}
	if c := e.fake.callsTo("/cgi-bin/media/get"); len(c) != 0 {
		t.Fatalf("downloaded during the callback: %d", len(c))
	}
	for range 3 {
		e.deliver()
		e.clock.Advance(10 * time.Second)
	}
	if got := e.sentSince(n); !strings.Contains(got, "收到附件") || !strings.Contains(got, "site.jpg") {
		t.Fatalf("after the retries: %s", got)
	}
	var kept int
	if err := st.DB().QueryRow(ctx, `SELECT count(*) FROM pending_evidence`).Scan(&kept); err != nil || kept != 1 {
		t.Fatalf("pending evidence %d %v", kept, err)
	}

	n = len(e.fake.callsTo("/cgi-bin/message/send"))
	if w := e.post(imageXML("libin", "602", "expired", e.clock.Now()), false); w.Code != 200 {
		t.Fatalf("callback: %d", w.Code)
	}
	e.deliver()
	if got := e.sentSince(n); !strings.Contains(got, "已无法从平台下载") || !strings.Contains(got, "请重新发送") {
		t.Fatalf("expired: %s", got)
	}
	e.fake.mediaFails["MEDIA_F"] = 1000
	n = len(e.fake.callsTo("/cgi-bin/message/send"))
	if w := e.post(imageXML("libin", "604", "MEDIA_F", e.clock.Now()), false); w.Code != 200 {
		t.Fatalf("callback: %d", w.Code)
	}
	for range 12 {
		e.deliver()
		e.clock.Advance(20 * time.Minute)
	}
	if got := e.sentSince(n); !strings.Contains(got, "多次下载失败，未能保存") {
		t.Fatalf("always failing: %s", got)
	}
	n = len(e.fake.callsTo("/cgi-bin/message/send"))
	if w := e.post(imageXML("libin", "603", "big", e.clock.Now()), false); w.Code != 200 {
		t.Fatalf("callback: %d", w.Code)
	}
	e.deliver()
	if got := e.sentSince(n); !strings.Contains(got, "文件“录像.zip”超过 20 MB，未保存；请压缩后重发或分多次发送") {
		t.Fatalf("oversized: %s", got)
	}
}
