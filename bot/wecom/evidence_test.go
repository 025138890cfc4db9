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
// which item it is for; a second picture joins it, and both go to the item,
// opened by the liaison and the leader (uploaded again each time) and
// refused to another unit's liaison. Media WeCom no longer has and a file over
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

	// A second picture a minute later joins the first; 佐证 attaches
	// both to an item. The liaison and the leader open them: each opening
	// uploads the files again (WeCom's media last 3 days) and sends them
	// to the asker. Another unit's liaison is refused.
	e.clock.Advance(time.Minute)
	if w := e.post(imageXML("libin", "605", "MEDIA_C", e.clock.Now()), false); w.Code != 200 {
		t.Fatalf("callback: %d", w.Code)
	}
	e.deliver()
	for key, id := range map[string]string{"liu-lb": "liubs", "zhou-ym": "zhouting"} {
		if _, err := st.DB().Exec(ctx, `INSERT INTO accounts (platform, external_id, person_id) SELECT 'wecom', $1, id FROM people WHERE key = $2`, id, key); err != nil {
			t.Fatal(err)
		}
	}
	var number string
	var itemID int64
	if err := st.DB().QueryRow(ctx, `INSERT INTO ledger_items (campaign_id, unit_id, number, source, category, description, due_on)
		SELECT campaign_id, id, 'LB-2026-901', '自查自纠', '执法粗暴', '执法记录仪未全程开启', '2026-12-20' FROM units WHERE key = 'lingbao'
		RETURNING number, id`).Scan(&number, &itemID); err != nil {
		t.Fatal(err)
	}
	text := func(from, id, content string) {
		t.Helper()
		if w := e.post(textXML(from, id, content, e.clock.Now()), false); w.Code != 200 {
			t.Fatalf("callback: %d", w.Code)
		}
		e.deliver()
	}
	n = len(e.fake.callsTo("/cgi-bin/message/send"))
	text("libin", "606", "佐证 "+number)
	if got := e.sentSince(n); !strings.Contains(got, "已将 2 个附件记为 "+number) {
		t.Fatalf("attach: %s", got)
	}
	var ids []string
	rows, err := st.DB().Query(ctx, `SELECT file_id::text FROM progress_updates WHERE item_id = $1 ORDER BY id`, itemID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	for i, who := range []string{"libin", "liubs", "libin"} {
		uploads, sends := len(e.fake.callsTo("/cgi-bin/media/upload")), len(e.fake.callsTo("/cgi-bin/message/send"))
		text(who, fmt.Sprint(610+i), "查看佐证 "+strings.Join(ids, " "))
		files := 0
		for _, c := range e.fake.callsTo("/cgi-bin/message/send")[sends:] {
			if c.Body["msgtype"] == "file" && c.Body["touser"] == who {
				files++
			}
		}
		if files != 2 || len(e.fake.callsTo("/cgi-bin/media/upload")) != uploads+2 {
			t.Fatalf("%s (opening %d): %d files, %d uploads", who, i, files, len(e.fake.callsTo("/cgi-bin/media/upload"))-uploads)
		}
	}
	uploads := len(e.fake.callsTo("/cgi-bin/media/upload"))
	n = len(e.fake.callsTo("/cgi-bin/message/send"))
	text("zhouting", "620", "查看佐证 "+ids[0])
	if got := e.sentSince(n); !strings.Contains(got, "您无权查看文件") || len(e.fake.callsTo("/cgi-bin/media/upload")) != uploads {
		t.Fatalf("another unit's liaison: %s", got)
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
