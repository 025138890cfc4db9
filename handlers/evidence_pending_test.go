package handlers

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"zhenggai/bot"
	"zhenggai/cards"
)

// sendFiles dispatches a message of files with caption text from user in
// his 1:1 chat and returns the reply's text and card as one string.
func (f *lgFixture) sendFiles(t *testing.T, user, text string, files ...bot.File) string {
	t.Helper()
	ev := &bot.Event{ID: fmt.Sprintf("files-%s-%d", user, len(f.h.Adapter.Sent())), Kind: bot.KindMessage, Platform: bot.Sim,
		Chat: bot.Chat{Kind: bot.Direct}, Sender: bot.User{ID: user}, Text: text, Files: files, At: f.h.Clock.Now()}
	ev.Message = bot.MessageRef{Platform: bot.Sim, MessageID: ev.ID}
	if _, err := f.h.Bot.Dispatch(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range sentTo(f.h.Deliver(), user) {
		out = append(out, sentText(s))
	}
	return strings.Join(out, "\n")
}

func photo(name string) bot.File {
	return bot.File{Name: name, MIME: "image/jpeg", Content: []byte("\xff\xd8\xff\xe0 " + name)}
}

func (f *lgFixture) pendingCount(t *testing.T) int {
	t.Helper()
	var n int
	if err := f.st.DB().QueryRow(f.ctx, `SELECT count(*) FROM pending_evidence`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFilesWithoutCaptionFindTheirItem: a photo sent with no caption is not
// "没有理解": the bot keeps it and asks which item it is evidence for (the
// most recently changed first, and 新增问题); the answer attaches it, once,
// with an audit row; nobody else can use the sender's files; an oversized
// file is answered by name and nothing is kept; a stranger's file is not
// kept and he is told so.
func TestFilesWithoutCaptionFindTheirItem(t *testing.T) {
	f := newLgFixture(t)
	older := f.newItem(t, lgLiaison, "罚没款未及时上缴", "2026-12-20")
	newer := f.newItem(t, lgLiaison, "执法记录仪未全程开启", "2026-12-25")
	f.h.Deliver()

	got := f.sendFiles(t, lgLiaison, "", photo("现场整改照片.jpg"), photo("整改通知书.jpg"))
	wantContains(t, "question", got, "收到附件，请选择对应的问题", "“现场整改照片.jpg”“整改通知书.jpg”（共 2 个）", "新增问题")
	if strings.Contains(got, "没有理解") {
		t.Fatalf("a caption-less file was not understood: %s", got)
	}
	if i, j := strings.Index(got, newer.Number), strings.Index(got, older.Number); i < 0 || j < 0 || i > j {
		t.Errorf("the most recently changed item is not offered first: %s", got)
	}
	var pendingID int64
	if err := f.st.DB().QueryRow(f.ctx, `SELECT id FROM pending_evidence`).Scan(&pendingID); err != nil {
		t.Fatal(err)
	}
	params := map[string]string{"pending": fmt.Sprint(pendingID), "item": fmt.Sprint(older.ID)}

	// Another unit's liaison cannot use them.
	r := f.click(t, lgYimaLiais, "evidence.attach", params, nil)
	wantContains(t, "other liaison", r.Toast, "抱歉")

	r = f.click(t, lgLiaison, "evidence.attach", params, nil)
	wantContains(t, "attached", r.Toast, "已将 2 个附件记为 "+older.Number+" 的佐证")
	ups, err := f.st.ProgressOf(f.ctx, older.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	for _, u := range ups {
		if u.FileID != nil {
			files++
		}
	}
	if files != 2 {
		t.Fatalf("%d progress entries with a file, want 2: %+v", files, ups)
	}
	if acts := f.auditActions(t, "ledger_item", older.ID); !strings.Contains(strings.Join(acts, ","), "evidence") {
		t.Errorf("no audit row of the evidence: %v", acts)
	}
	r = f.click(t, lgLiaison, "evidence.attach", map[string]string{"pending": fmt.Sprint(pendingID), "item": fmt.Sprint(newer.ID)}, nil)
	wantContains(t, "twice", r.Toast, "已记为其他问题的佐证")

	// 新增问题: the form carries the files, the new item gets them.
	f.sendFiles(t, lgLiaison, "", photo("新发现问题.jpg"))
	if err := f.st.DB().QueryRow(f.ctx, `SELECT id FROM pending_evidence WHERE used_at IS NULL`).Scan(&pendingID); err != nil {
		t.Fatal(err)
	}
	r = f.click(t, lgLiaison, "item.new.form", map[string]string{"unit": "lingbao", "evidence": fmt.Sprint(pendingID)}, nil)
	sub := r.Card.Form().Submit
	if sub.Params["evidence"] != fmt.Sprint(pendingID) {
		t.Fatalf("the new-item form forgets the files: %+v", sub.Params)
	}
	r = f.click(t, lgLiaison, sub.Action, sub.Params, cards.Values{"source": {"自查自纠"}, "category": {"c2"},
		"description": {"执法车辆停放不规范"}, "measures": {"划定停放区域"}, "due": {"2026-12-30"}})
	wantContains(t, "new item with the file", r.Toast, "已登记为", "附件 1 个已记为佐证")

	// Typed, as DingTalk without templates sends it.
	f.sendFiles(t, lgLiaison, "", photo("补充.jpg"))
	sent := f.say(t, lgLiaison, "", "佐证 "+newer.Number)
	wantContains(t, "typed", sentText(sentTo(sent, lgLiaison)[0]), "已将 1 个附件记为 "+newer.Number+" 的佐证")

	// Too large: named, nothing kept.
	before := f.pendingCount(t)
	big := bot.File{Name: "执法录像.mp4", MIME: "video/mp4", Content: make([]byte, bot.DefaultFileMax+1)}
	wantContains(t, "too large", f.sendFiles(t, lgLiaison, "", big), "“执法录像.mp4”超过", "未保存")
	if f.pendingCount(t) != before {
		t.Error("an oversized file was kept")
	}

	// A stranger's file is not kept, and he is told.
	wantContains(t, "stranger", f.sendFiles(t, "p:stranger", "", photo("x.jpg")), "附件未保存", "绑定")
	if f.pendingCount(t) != before {
		t.Error("a stranger's file was kept")
	}
}
