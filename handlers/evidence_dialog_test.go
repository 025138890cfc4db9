package handlers

import (
	"context"
	"strings"
	"testing"

	"zhenggai/bot"
)

// TestFilesDuringADialogBelongToIt: on a platform without form inputs
// (WeCom, DingTalk without templates) forms are asked field by field; a
// photo sent in the middle is not an answer and not a question about which
// item: it is filed under the dialog's item at once (and the form's submit
// still goes through), or, for 新增问题, carried to the item it makes; the
// question is asked again.
func TestFilesDuringADialogBelongToIt(t *testing.T) {
	f := newLgFixture(t)
	it := f.newItem(t, lgLiaison, "执法车辆停放不规范", "2026-12-20")
	f.h.Deliver()
	f.h.Adapter.NoForms = true
	send := func(text string, files ...bot.File) string {
		t.Helper()
		ev := &bot.Event{ID: "dlg-" + text + string(rune('a'+len(f.h.Adapter.Sent()))), Kind: bot.KindMessage, Platform: bot.Sim,
			Chat: bot.Chat{ID: "d:" + lgLiaison, Kind: bot.Direct}, Sender: bot.User{ID: lgLiaison}, Text: text, Files: files, At: f.h.Clock.Now()}
		ev.Message = bot.MessageRef{Platform: bot.Sim, ChatID: ev.Chat.ID, MessageID: ev.ID}
		if _, err := f.h.Bot.Dispatch(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range sentTo(f.h.Deliver(), lgLiaison) {
			out = append(out, sentText(s))
		}
		return strings.Join(out, "\n")
	}

	got := send("更新进展 " + it.Number)
	wantContains(t, "dialog", got, "请依次回复", "（1/4）请回复“整改进展”")
	got = send("", photo("停放区域.jpg"))
	wantContains(t, "file in dialog", got, "已将 1 个附件记为 "+it.Number+" 的佐证", "（1/4）请回复“整改进展”")
	if strings.Contains(got, "请选择对应的问题") {
		t.Fatalf("the dialog's item was asked about: %s", got)
	}
	send("已划定停放区域")
	send("1")
	send("跳过")
	got = send("跳过")
	if strings.Contains(got, "卡片已更新") || strings.Contains(got, "失效") {
		t.Fatalf("the form's submit read as stale after the file: %s", got)
	}
	ups, err := f.st.ProgressOf(f.ctx, it.ID, 5)
	if err != nil || len(ups) != 2 || ups[0].Text != "已划定停放区域" || ups[1].FileID == nil {
		t.Fatalf("progress: %+v %v", ups, err)
	}

	got = send("新增问题")
	wantContains(t, "new-item dialog", got, "请依次回复")
	got = send("", photo("现场.jpg"))
	wantContains(t, "file in new-item dialog", got, "已收到附件：现场.jpg，将在登记新问题时一并记为佐证", "（1/")
	for _, a := range []string{"1", "1", "执法人员着装不规范", "组织着装检查"} {
		send(a)
	}
	got = send("2026-12-30")
	for i := 0; i < 3 && !strings.Contains(got, "佐证"); i++ {
		got += send("跳过")
	}
	items, err := f.st.LedgerItems(f.ctx, f.camp.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	var made int64
	for _, x := range items {
		if x.Description == "执法人员着装不规范" {
			made = x.ID
		}
	}
	if made == 0 {
		t.Fatalf("the new item was not made: %s", got)
	}
	ups, err = f.st.ProgressOf(f.ctx, made, 5)
	if err != nil || len(ups) == 0 || ups[0].FileID == nil {
		t.Fatalf("new item's progress: %+v %v (%s)", ups, err, got)
	}
}
