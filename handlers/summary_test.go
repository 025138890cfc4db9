package handlers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"zhenggai/bot"
	"zhenggai/bot/bottest"
	"zhenggai/cards"
	"zhenggai/store"
	"zhenggai/store/storetest"
)

var summarySeq atomic.Int64

// clickFiles is a card action from user's 1:1 chat carrying files.
func (f *lgFixture) clickFiles(t *testing.T, user, action string, params map[string]string, form cards.Values, names ...string) *bot.Reply {
	t.Helper()
	ev := &bot.Event{ID: fmt.Sprintf("ev-sum-%d", summarySeq.Add(1)), Kind: bot.KindCardAction, Platform: bot.Sim,
		Chat: bot.Chat{ID: "d:" + user, Kind: bot.Direct}, Sender: bot.User{ID: user}, At: f.h.Clock.Now(),
		Action: &bot.Action{Name: action, Params: params, Form: form}}
	for _, n := range names {
		ev.Files = append(ev.Files, bot.File{Name: n, MIME: "application/pdf", Content: []byte("%PDF-1.4 " + n + ev.ID)})
	}
	ev.Message = bot.MessageRef{Platform: bot.Sim, ChatID: ev.Chat.ID, MessageID: "card-" + ev.ID}
	r, err := f.h.Bot.Dispatch(context.Background(), ev)
	if err != nil || r == nil {
		t.Fatalf("%s %s: %+v %v", user, action, r, err)
	}
	return r
}

func sumParams(unit string, kv ...string) map[string]string {
	p := map[string]string{"milestone": "summary", "unit": unit}
	for i := 0; i+1 < len(kv); i += 2 {
		p[kv[i]] = kv[i+1]
	}
	return p
}

// fillPackage fills every part of unit's package as user (its liaison):
// the report, the ledger, the notes of its long-term items, two cases with
// files and the 专题报告. It does not submit.
func (f *lgFixture) fillPackage(t *testing.T, user, unit string) {
	t.Helper()
	for _, step := range []struct {
		action string
		params map[string]string
		form   cards.Values
		files  []string
	}{
		{"summary.part.submit", sumParams(unit, "part", "report"), cards.Values{"body": {"一、工作情况……二、工作成效……三、问题和建议……"}}, nil},
		{"summary.ledger.confirm", sumParams(unit), nil, nil},
		{"summary.part.submit", sumParams(unit, "part", "case", "seq", "1"), cards.Values{"title": {"规范执法记录仪使用"}, "body": {"案例一经过"}}, []string{"案例一.pdf"}},
		{"summary.part.submit", sumParams(unit, "part", "case", "seq", "2"), cards.Values{"title": {"清理罚款票据"}, "body": {"案例二经过"}}, []string{"案例二.jpg"}},
		{"summary.part.submit", sumParams(unit, "part", "accountability"), cards.Values{"body": {"追责问责 2 人，容错免责 1 人"}}, nil},
	} {
		if r := f.clickFiles(t, user, step.action, step.params, step.form, step.files...); r.ToastKind != "success" {
			t.Fatalf("%s: %s %s", step.action, r.ToastKind, r.Toast)
		}
	}
	u := f.unit(t, unit)
	items, err := f.st.OpenItemsOfUnits(f.ctx, []int64{u.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.Status == store.ItemLongTerm {
			f.click(t, user, "summary.note.submit", sumParams(unit, "item", fmt.Sprint(it.ID)), cards.Values{"effect": {"阶段成效"}})
		}
	}
	f.h.Deliver()
}

// setLongTerm makes an item 长期推进.
func (f *lgFixture) setLongTerm(t *testing.T, it *store.LedgerItem) *store.LedgerItem {
	t.Helper()
	it = f.item(t, it.Number)
	v := it.Version
	it.Status = store.ItemLongTerm
	if err := f.st.UpdateLedgerItem(f.ctx, it, v); err != nil {
		t.Fatal(err)
	}
	return it
}

// TestSummaryPackage walks 灵宝's 总结 package from empty to complete: the
// card names every missing part; a 长期推进 item without a 现阶段成效 blocks
// submission by number; a 典型案例 without a file does not count until a
// file sent afterwards attaches to it; the ledger is confirmed and a
// change after confirmation asks for it again; another unit, the office
// and a stranger cannot fill it; a second submission is refused; the
// office reopens it.
func TestSummaryPackage(t *testing.T) {
	f := newLgFixture(t)
	long := f.setLongTerm(t, f.addItem(t, "lingbao", "超限检测站长期整治", "2026-12-30"))
	f.addItem(t, "lingbao", "执法文书不规范", "2026-12-20")
	other := f.addItem(t, "yima", "义马的问题", "2026-12-20")

	card := lastText(f.say(t, lgLiaison, "", "总结"))
	wantContains(t, "empty card", card, "总结材料 · 灵宝市交通运输局", "尚缺", "总结报告", "整改台账（待确认）", long.Number,
		"典型案例（至少 2 个，已齐 0 个）", "追责问责和容错免责专题报告", "添加典型案例", "提交总结材料")

	// Refusals change nothing: nothing submitted, another unit, the office.
	r := f.click(t, lgLiaison, "summary.submit", sumParams("lingbao"), nil)
	if r.ToastKind != "error" || !strings.Contains(r.Toast, "尚缺") || !strings.Contains(r.Toast, long.Number) {
		t.Fatalf("empty submit: %s %s", r.ToastKind, r.Toast)
	}
	for _, who := range []string{"p:zhou-ym", lgOffice} {
		r := f.click(t, who, "summary.part.submit", sumParams("lingbao", "part", "report"), cards.Values{"body": {"代填"}})
		if r.ToastKind != "error" {
			t.Errorf("%s filled 灵宝's report: %s", who, r.Toast)
		}
	}
	if txt := lastText(f.say(t, "p:zhou-ym", "", "总结 灵宝")); !strings.Contains(txt, "无权") && !strings.Contains(txt, "抱歉") {
		t.Errorf("义马 saw 灵宝's package: %s", txt)
	}

	// The report as text; a case without a file is kept but not counted.
	f.clickFiles(t, lgLiaison, "summary.part.submit", sumParams("lingbao", "part", "report"), cards.Values{"body": {"工作情况和成效"}})
	f.clickFiles(t, lgLiaison, "summary.part.submit", sumParams("lingbao", "part", "case", "seq", "1"),
		cards.Values{"title": {"案例一"}, "body": {"经过"}}, "现场照片.jpg")
	r = f.clickFiles(t, lgLiaison, "summary.part.submit", sumParams("lingbao", "part", "case", "seq", "2"),
		cards.Values{"title": {"案例二"}, "body": {"经过"}})
	if r.ToastKind != "warning" || !strings.Contains(r.Toast, "还没有附件") {
		t.Fatalf("case without file: %s %s", r.ToastKind, r.Toast)
	}
	r = f.click(t, lgLiaison, "summary.submit", sumParams("lingbao"), nil)
	wantContains(t, "refusal", r.Toast, "典型案例2的附件", "已齐 1 个", long.Number, "整改台账")
	// A case with neither text nor title is bad input: refused, nothing kept.
	r = f.clickFiles(t, lgLiaison, "summary.part.submit", sumParams("lingbao", "part", "case", "seq", "3"), cards.Values{"body": {""}})
	if r.ToastKind != "error" {
		t.Errorf("empty case accepted: %s", r.Toast)
	}

	// A file sent now (no caption) attaches to 典型案例2, the part last opened.
	pending := f.pendingCount(t)
	out := f.sendFiles(t, lgLiaison, "", photo("案例二处罚决定书.jpg"))
	wantContains(t, "file routed", out, "记入", "典型案例2")
	if f.pendingCount(t) != pending {
		t.Error("the file also became pending evidence")
	}

	// Ledger confirmed, then changed: confirm again.
	r = f.click(t, lgLiaison, "summary.ledger.confirm", sumParams("lingbao"), nil)
	if r.ToastKind != "success" {
		t.Fatalf("confirm: %s", r.Toast)
	}
	if sent := f.h.Deliver(); len(sent) == 0 || !strings.Contains(sentText(sent[len(sent)-1]), "整改台账-灵宝") {
		t.Errorf("ledger file not sent: %v", sent)
	}
	f.addItem(t, "lingbao", "确认后新增的问题", "2026-12-25")
	r = f.click(t, lgLiaison, "summary.submit", sumParams("lingbao"), nil)
	wantContains(t, "stale ledger", r.Toast, "确认后台账有变动")
	f.click(t, lgLiaison, "summary.ledger.confirm", sumParams("lingbao"), nil)

	// The long-term item's note; an empty note is refused.
	if r := f.click(t, lgLiaison, "summary.note.submit", sumParams("lingbao", "item", fmt.Sprint(long.ID)), cards.Values{"effect": {""}}); r.ToastKind != "error" {
		t.Errorf("empty note: %s", r.Toast)
	}
	if r := f.click(t, lgLiaison, "summary.note.submit", sumParams("lingbao", "item", fmt.Sprint(other.ID)), cards.Values{"effect": {"x"}}); r.ToastKind != "error" {
		t.Errorf("note on another unit's item: %s", r.Toast)
	}
	f.click(t, lgLiaison, "summary.note.submit", sumParams("lingbao", "item", fmt.Sprint(long.ID)),
		cards.Values{"effect": {"已完成一期整治"}, "measures": {"每季度复查"}})
	// The 专题报告 as a file only.
	f.clickFiles(t, lgLiaison, "summary.part.submit", sumParams("lingbao", "part", "accountability"), cards.Values{"body": {""}}, "专题报告.pdf")

	r = f.click(t, lgLeader, "summary.submit", sumParams("lingbao"), nil)
	if r.ToastKind != "success" || !strings.Contains(cardText(r.Card), "材料齐全") {
		t.Fatalf("submit: %s %s %s", r.ToastKind, r.Toast, cardText(r.Card))
	}
	m, err := f.st.MilestoneByKey(f.ctx, f.camp.ID, "summary")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.MilestoneSubmissionOf(f.ctx, m.ID, f.unit(t, "lingbao").ID); err != nil {
		t.Errorf("milestone not done: %v", err)
	}
	r = f.click(t, lgLiaison, "summary.submit", sumParams("lingbao"), nil)
	if r.ToastKind != "error" || !strings.Contains(r.Toast, "无需重复提交") {
		t.Errorf("second submission: %s %s", r.ToastKind, r.Toast)
	}
	if r := f.click(t, lgLiaison, "summary.part.submit", sumParams("lingbao", "part", "report"), cards.Values{"body": {"改"}}); r.ToastKind != "error" {
		t.Errorf("edit after completion: %s", r.Toast)
	}
	if r := f.click(t, lgLiaison, "summary.reopen", sumParams("lingbao"), nil); r.ToastKind != "error" {
		t.Errorf("liaison reopened: %s", r.Toast)
	}
	over := lastText(f.say(t, lgOffice, "", "总结 情况"))
	wantContains(t, "overview", over, "总结材料报送情况", "已提交 1/4", "灵宝市交通运输局**：已提交", "义马市交通运输局**：尚缺")
	if r := f.click(t, lgOffice, "summary.reopen", sumParams("lingbao"), nil); r.ToastKind != "success" {
		t.Fatalf("reopen: %s", r.Toast)
	}
	if _, err := f.st.MilestoneSubmissionOf(f.ctx, m.ID, f.unit(t, "lingbao").ID); err == nil {
		t.Error("milestone still done after reopening")
	}
	var n int
	if err := f.st.DB().QueryRow(f.ctx, `SELECT count(*) FROM audit_log WHERE entity = 'summary_package' AND entity_id = 'summary:lingbao'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Errorf("audit rows of the package: %d", n)
	}

	// The old milestone form does not bypass the package.
	if r := f.click(t, lgLiaison, "milestone.submit", sumParams("lingbao"), cards.Values{"note": {"已报送"}}); r.ToastKind != "error" {
		t.Errorf("milestone.submit bypassed the package: %s", r.Toast)
	}
}

// TestSummaryExport: zhenggai milestone export writes a folder per unit
// with the parts' texts, files, the ledger and a manifest.
func TestSummaryExport(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	camp, _ := applyCampaignFile(t, ctx, st, demoFile, nil)
	h := newDemoHarness(t, st)
	f := &lgFixture{ctx: ctx, st: st, h: h, camp: camp}
	f.addItem(t, "lingbao", "执法记录仪未全程开启", "2026-12-20")
	f.fillPackage(t, lgLiaison, "lingbao")
	f.click(t, lgLiaison, "summary.submit", sumParams("lingbao"), nil)
	dir := t.TempDir()
	n, err := ExportMilestone(ctx, st, "summary", dir)
	if err != nil || n != 4 {
		t.Fatalf("export: %d %v", n, err)
	}
	lb := filepath.Join(dir, "01-灵宝市交通运输局")
	for _, name := range []string{"01-总结报告.md", "02-整改台账.xlsx", "03-现阶段成效和长期举措.md", "04-典型案例1-规范执法记录仪使用.md",
		"04-典型案例1-规范执法记录仪使用-附件1-案例一.pdf", "04-典型案例2-清理罚款票据-附件1-案例二.jpg", "05-追责问责和容错免责专题报告.md", "清单.md"} {
		if _, err := os.Stat(filepath.Join(lb, name)); err != nil {
			t.Errorf("missing %s: %v", name, err)
		}
	}
	rows := sheetRowsFile(t, filepath.Join(lb, "02-整改台账.xlsx"))
	if len(rows) < 2 || !strings.Contains(strings.Join(rows[1], "|"), "执法记录仪未全程开启") {
		t.Errorf("ledger rows: %v", rows)
	}
	manifest, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, "manifest", string(manifest), `"complete": true`, "02-义马市交通运输局", "总结报告")
	list, _ := os.ReadFile(filepath.Join(dir, "02-义马市交通运输局", "清单.md"))
	wantContains(t, "unstarted unit", string(list), "未开始", "尚缺")
	if _, err := ExportMilestone(ctx, st, "plan", dir); err == nil {
		t.Error("a plain milestone exported")
	}
}

func sheetRowsFile(t *testing.T, path string) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sheetRows(t, data)
}

// TestSummaryReminderNamesParts: the reminders before the summary
// milestone name, for each unit, the parts it still lacks.
func TestSummaryReminderNamesParts(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	f := newPlanFixture(t, ctx, st, "../deploy/campaigns/demo.yaml")
	lf := &lgFixture{ctx: ctx, st: st, h: newDemoHarness(t, st), camp: f.camp}
	lf.clickFiles(t, lgLiaison, "summary.part.submit", sumParams("lingbao", "part", "report"), cards.Values{"body": {"工作情况"}})
	now := at("2027-01-07", "09:05") // T-10 of 2027-01-17
	f.h.Clock.Set(now)
	if _, err := f.sched.Tick(ctx, now); err != nil {
		t.Fatal(err)
	}
	var lb, ym string
	f.h.Deliver()
	for _, s := range f.h.Adapter.Sent() {
		txt := sentText(s)
		if !strings.Contains(txt, "节点提醒") || !strings.Contains(txt, "总结报告（附整改台账") {
			continue
		}
		switch s.To.UserID {
		case "p:li-lb":
			lb = txt
		case "p:zhou-ym":
			ym = txt
		}
	}
	wantContains(t, "灵宝's reminder", lb, "尚缺", "整改台账（待确认）", "典型案例", "追责问责和容错免责专题报告", "填写总结材料")
	if _, after, _ := strings.Cut(lb, "尚缺"); strings.Contains(after, "总结报告；") {
		t.Errorf("灵宝's reminder names the report it sent: %s", lb)
	}
	wantContains(t, "义马's reminder", ym, "**尚缺**：总结报告；整改台账")
}

func lastText(sent []bottest.Sent) string {
	if len(sent) == 0 {
		return ""
	}
	return sentText(sent[len(sent)-1])
}
