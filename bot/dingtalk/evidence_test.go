package dingtalk

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"zhenggai/store"
)

// sayFiles sends a rich-text message from user in his 1:1 chat: text and
// a picture per download code.
func (j *journey) sayFiles(user, text string, codes ...string) string {
	j.t.Helper()
	j.seq++
	id := fmt.Sprintf("msgJ%03d==", j.seq)
	parts := []map[string]string{{"text": text}}
	for _, c := range codes {
		parts = append(parts, map[string]string{"downloadCode": c, "type": "picture"})
	}
	m := map[string]any{"msgId": id, "senderStaffId": user, "senderNick": user,
		"conversationType": "1", "conversationId": "cidDirect" + user, "chatbotUserId": "$:LWCP_v1:$bot", "robotCode": "dingclient",
		"createAt": 1690362101894, "msgtype": "richText", "content": map[string]any{"richText": parts}}
	body, _ := json.Marshal(m)
	j.post(topicBot, id, body)
	j.settle()
	return id
}

// textsTo joins what the bot sent user as messages since the n-th.
func (j *journey) textsTo(user string, from int) string {
	var out []string
	for _, s := range j.sent()[from:] {
		if s.user == user {
			out = append(out, s.text)
		}
	}
	return strings.Join(out, "\n")
}

// evidenceItem is an open item of 灵宝, made directly.
func (j *journey) evidenceItem() *store.LedgerItem {
	j.t.Helper()
	lb, err := j.st.UnitByKey(j.ctx, j.camp.ID, "lingbao")
	if err != nil {
		j.t.Fatal(err)
	}
	it := &store.LedgerItem{CampaignID: j.camp.ID, UnitID: lb.ID, Source: "自查自纠", Category: "执法粗暴",
		Description: "执法记录仪未全程开启", DueOn: time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)}
	if err := j.st.CreateLedgerItem(j.ctx, it, 2026); err != nil {
		j.t.Fatal(err)
	}
	return it
}

func (j *journey) itemFileIDs(it *store.LedgerItem) []int64 {
	j.t.Helper()
	rows, err := j.st.DB().Query(j.ctx, `SELECT file_id FROM progress_updates WHERE item_id = $1 AND file_id IS NOT NULL ORDER BY id`, it.ID)
	if err != nil {
		j.t.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			j.t.Fatal(err)
		}
		out = append(out, id)
	}
	return out
}

// TestEvidenceOnDingTalk: a message with two pictures is answered at once
// and its pictures downloaded afterwards; one whose download fails twice is
// retried and kept, and both are on the item; the liaison and the leader
// get them in their 1:1 chat, another unit's liaison is refused. A download code DingTalk
// refuses, one that keeps failing and a file over FILE_MAX_MB are each
// answered to the sender by name.
func TestEvidenceOnDingTalk(t *testing.T) {
	j := newJourney(t, false, false)
	it := j.evidenceItem()
	j.f.set(func(f *fakeDingTalk) { f.fileFails["code-jpg"] = 2 })
	from := len(j.sent())
	j.sayFiles(jLiaison, "进展："+it.Number+" 已全程开启执法记录仪", "code-png", "code-jpg")
	if n := len(j.itemFileIDs(it)); n != 0 {
		t.Fatalf("kept before the downloads succeeded: %d", n)
	}
	for range 2 {
		j.clock.Advance(10 * time.Second)
		j.settle()
	}
	if ids := j.itemFileIDs(it); len(ids) != 2 {
		t.Fatalf("files on the item: %v, want 2", ids)
	}
	if got := j.textsTo(jLiaison, from); !strings.Contains(got, "已记入 "+it.Number) {
		t.Fatalf("answer: %s", got)
	}

	// The liaison and the leader open both from the item (typed, as
	// DingTalk without templates sends the button): each is uploaded and
	// sent to their 1:1 chat. Another unit's liaison is refused.
	ids := j.itemFileIDs(it)
	open := fmt.Sprintf("查看佐证 %d %d", ids[0], ids[1])
	for _, who := range []string{jLiaison, jLeader} {
		uploads := len(j.f.callsTo("/media/upload"))
		calls := len(j.f.callsTo("/v1.0/robot/oToMessages/batchSend"))
		j.say(who, "", open, false)
		files := 0
		for _, c := range j.f.callsTo("/v1.0/robot/oToMessages/batchSend")[calls:] {
			if c.Body["msgKey"] == "sampleFile" && fmt.Sprint(c.Body["userIds"]) == "["+who+"]" {
				files++
			}
		}
		if files != 2 || len(j.f.callsTo("/media/upload")) != uploads+2 {
			t.Fatalf("%s: %d files sent, %d uploads", who, files, len(j.f.callsTo("/media/upload"))-uploads)
		}
	}
	uploads := len(j.f.callsTo("/media/upload"))
	from = len(j.sent())
	j.say(jYimaLiaison, "", open, false)
	if got := j.textsTo(jYimaLiaison, from); !strings.Contains(got, "您无权查看文件") || len(j.f.callsTo("/media/upload")) != uploads {
		t.Fatalf("another unit's liaison: %q", got)
	}

	from = len(j.sent())
	j.sayFiles(jLiaison, "", "code-expired")
	if got := j.textsTo(jLiaison, from); !strings.Contains(got, "文件“图片”已无法从平台下载") {
		t.Fatalf("refused code: %q", got)
	}
	j.f.set(func(f *fakeDingTalk) { f.fileFails["code-png"] = 1000 })
	from = len(j.sent())
	j.sayFiles(jLiaison, "", "code-png")
	for range 12 {
		j.clock.Advance(20 * time.Minute)
		j.settle()
	}
	if got := j.textsTo(jLiaison, from); !strings.Contains(got, "文件“图片”多次下载失败，未能保存") {
		t.Fatalf("always failing: %q", got)
	}
	from = len(j.sent())
	j.sayFiles(jLiaison, "", "code-big")
	if got := j.textsTo(jLiaison, from); !strings.Contains(got, "文件“图片.zip”超过 20 MB，未保存；请压缩后重发或分多次发送") {
		t.Fatalf("oversized: %q", got)
	}
}
