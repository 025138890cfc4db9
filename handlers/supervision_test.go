package handlers

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store"
	"zhenggai/store/storetest"
)

// issueNotice has the office issue a notice about an item through the
// form, and returns it.
func (f *lgFixture) issueNotice(t *testing.T, it *store.LedgerItem, colour, due string) *store.SupervisionNotice {
	t.Helper()
	r := f.click(t, lgOffice, "notice.issue", map[string]string{"unit": "lingbao", "item": strconv.FormatInt(it.ID, 10)},
		cards.Values{"colour": {colour}, "text": {"请报告整改情况及下一步措施"}, "due": {due}})
	if r.ToastKind != "success" {
		t.Fatalf("issue: %s %s", r.ToastKind, r.Toast)
	}
	number := strings.Fields(r.Toast)[1]
	n, err := f.st.SupervisionNoticeByNumber(f.ctx, f.camp.ID, number)
	if err != nil {
		t.Fatalf("notice %s: %v", number, err)
	}
	return n
}

func (f *lgFixture) notice(t *testing.T, n *store.SupervisionNotice) *store.SupervisionNotice {
	t.Helper()
	x, err := f.st.SupervisionNoticeByID(f.ctx, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// TestSupervisionNoticeLife walks a 督办单 as its users do: the office
// opens the form from the item (the colour defaults from the light), issues
// it; the liaison and the leader get it; the other unit's liaison and the
// office cannot sign it; the liaison signs (the time recorded), answers
// with a file; the office is told and closes it; the unit is told. Every
// step is audited; stale clicks change nothing.
func TestSupervisionNoticeLife(t *testing.T) {
	f := newLgFixture(t)
	it := f.addItem(t, "lingbao", "执法记录仪未全程开启", "2026-11-20") // overdue on 11-26

	// The office opens the item and finds 督办; the liaison does not.
	card := f.click(t, lgOffice, "item.show", ref(it), nil).Card
	wantContains(t, "office's item card", cardText(card), "[督办]", "🔴 红灯（已逾期 6 天）")
	if strings.Contains(cardText(f.click(t, lgLiaison, "item.show", ref(it), nil).Card), "[督办]") {
		t.Error("the liaison's item card offers 督办")
	}
	form := f.click(t, lgOffice, "notice.form", map[string]string{"item": strconv.FormatInt(it.ID, 10)}, nil).Card
	if ff := form.Form().Field("colour"); ff == nil || ff.Default != store.NoticeRed {
		t.Fatalf("colour default: %+v", ff)
	}
	wantContains(t, "typed 督办", sentText(f.say(t, lgOffice, "", "督办 "+it.Number)[0]), "签发督办单", "<colour><text><due>")
	if r, _ := f.h.Click(lgLiaison, "", "notice.issue", map[string]string{"unit": "lingbao", "item": strconv.FormatInt(it.ID, 10)},
		cards.Values{"colour": {"red"}, "text": {"x"}, "due": {"2026-12-01"}}); r == nil || r.ToastKind != "error" || !strings.Contains(r.Toast, "只有市局专项整治办公室") {
		t.Errorf("liaison issued: %+v", r)
	}
	if r, _ := f.h.Click(lgOffice, "", "notice.issue", map[string]string{"unit": "lingbao", "item": strconv.FormatInt(it.ID, 10)},
		cards.Values{"colour": {"purple"}, "text": {""}, "due": {"2026-11-01"}}); r == nil || r.ToastKind != "error" || !strings.Contains(r.Toast, "督办类别") || !strings.Contains(r.Toast, "督办要求") {
		t.Errorf("bad form: %+v", r)
	}

	n := f.issueNotice(t, it, store.NoticeRed, "2026-12-01")
	if n.Number != "DB-2026-001" || n.State != store.NoticeIssued {
		t.Fatalf("issued %s %s", n.Number, n.State)
	}
	sent := f.h.Deliver()
	for _, who := range []string{lgLiaison, lgLeader} {
		got := sentTo(sent, who)
		if len(got) != 1 {
			t.Fatalf("%s got %d messages", who, len(got))
		}
		wantContains(t, who, sentText(got[0]), "督办单 DB-2026-001 · 红色督办", it.Number, "[签收]", "2026-12-01")
	}
	if n2 := f.issueNotice(t, it, store.NoticeBlue, "2026-12-03"); n2.Number != "DB-2026-002" {
		t.Errorf("second number %s", n2.Number)
	}
	f.h.Deliver()

	// Others cannot sign.
	for _, who := range []string{lgYimaLiais, lgOffice} {
		r, err := f.h.Click(who, "", "notice.sign", noticeParams(n), nil)
		if err != nil || r.ToastKind != "error" || !strings.Contains(r.Toast, "只有该单位的联络人或领导") {
			t.Errorf("%s signed: %+v %v", who, r, err)
		}
	}
	f.h.Clock.Advance(90 * 60e9)
	r := f.click(t, lgLiaison, "notice.sign", noticeParams(n), nil)
	wantContains(t, "sign", r.Toast+cardText(r.Card), "已签收", "签收:李晓燕 2026-11-26 11:30", "[答复]")
	// The leader's card is now stale: his click shows the state.
	r = f.click(t, lgLeader, "notice.sign", noticeParams(n), nil)
	if r.ToastKind != "warning" || !strings.Contains(r.Toast, "已签收") {
		t.Errorf("second sign: %s %s", r.ToastKind, r.Toast)
	}
	wantContains(t, "office told of the sign", sentText(sentTo(f.h.Deliver(), lgOffice)[0]), "灵宝市交通运输局 李晓燕 已签收督办单 DB-2026-001")

	n = f.notice(t, n)
	form = f.click(t, lgLiaison, "notice.answer.form", noticeParams(n), nil).Card
	wantContains(t, "answer form", cardText(form), "<text>")
	if r, _ := f.h.Click(lgLiaison, "", "notice.answer.submit", noticeParams(n), cards.Values{"text": {""}}); r == nil || r.ToastKind != "error" {
		t.Errorf("empty answer accepted: %+v", r)
	}
	ev := &bot.Event{ID: "ev-answer", Kind: bot.KindCardAction, Platform: bot.Sim, Chat: bot.Chat{ID: "d:" + lgLiaison, Kind: bot.Direct},
		Sender: bot.User{ID: lgLiaison}, At: f.h.Clock.Now(), Files: []bot.File{{Name: "整改报告.pdf", MIME: "application/pdf", Content: []byte("%PDF-1.4 report")}},
		Action: &bot.Action{Name: "notice.answer.submit", Params: noticeParams(n), Form: cards.Values{"text": {"已约谈当事执法人员，整改报告附后"}}}}
	ev.Message = bot.MessageRef{Platform: bot.Sim, ChatID: ev.Chat.ID, MessageID: "card-ev-answer"}
	r, err := f.h.Bot.Dispatch(context.Background(), ev)
	if err != nil || r.ToastKind != "success" {
		t.Fatalf("answer: %+v %v", r, err)
	}
	n = f.notice(t, n)
	if n.State != store.NoticeAnswered || n.AnswerFileID == nil || n.Answer == "" {
		t.Fatalf("answered: %+v", n)
	}
	office := sentTo(f.h.Deliver(), lgOffice)
	if len(office) != 1 {
		t.Fatalf("office got %d", len(office))
	}
	wantContains(t, "office told of the answer", sentText(office[0]), "已答复督办单", "已约谈当事执法人员", "（附件已存档）", "[办结督办单]")

	// Only the office closes.
	if r, _ := f.h.Click(lgLeader, "", "notice.close", noticeParams(n), nil); r == nil || r.ToastKind != "error" {
		t.Errorf("leader closed: %+v", r)
	}
	r = f.click(t, lgOffice, "notice.close", noticeParams(n), nil)
	wantContains(t, "close", r.Toast+cardText(r.Card), "已办结", "卢旭明 于")
	sent = f.h.Deliver()
	for _, who := range []string{lgLiaison, lgLeader} {
		if got := sentTo(sent, who); len(got) != 1 || !strings.Contains(sentText(got[0]), "已办结督办单 DB-2026-001") {
			t.Errorf("%s not told of the close: %v", who, got)
		}
	}
	if r := f.click(t, lgOffice, "notice.close", noticeParams(f.notice(t, n)), nil); r.ToastKind != "warning" {
		t.Errorf("closed twice: %s", r.Toast)
	}
	if got := strings.Join(f.auditActions(t, "supervision_notice", n.ID), ","); got != "issue,sign,answer,close" {
		t.Errorf("audit: %s", got)
	}

	// 督办单 lists the open ones: the unit's people theirs, the office all,
	// 义马 none.
	wantContains(t, "liaison's list", sentText(f.say(t, lgLiaison, "", "督办单")[0]), "DB-2026-002", "未办结 1 件")
	wantContains(t, "yima's list", sentText(f.say(t, lgYimaLiais, "", "督办单")[0]), "没有未办结的督办单")
	wantContains(t, "office: typed number", sentText(f.say(t, lgOffice, "", "督办 DB-2026-001")[0]), "已办结")

	// The ledger export carries the notices in their own sheet.
	var file []byte
	for _, s := range f.say(t, lgOffice, "", "导出台账 灵宝") {
		if s.Message.File != nil {
			file = s.Message.File.Content
		}
	}
	x, err := excelize.OpenReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows(noticeSheet)
	if err != nil || len(rows) != 3 {
		t.Fatalf("notice sheet: %v %v", rows, err)
	}
	wantContains(t, "notice sheet", strings.Join(rows[2], "|"), "DB-2026-001|灵宝市交通运输局|红色|"+it.Number, "已办结|李晓燕|2026-11-26 11:30|已约谈当事执法人员")
}

// TestSupervisionNoticeUnitAndReport: a notice about a unit as a whole and
// one about a report it owes; bad arguments are refused with a message.
func TestSupervisionNoticeUnitAndReport(t *testing.T) {
	f := newLgFixture(t)
	form := sentText(f.say(t, lgOffice, "", "督办 灵宝 2026-10")[0])
	wantContains(t, "report duty", form, "2026年10月月报报送", "🔴 红灯（2026年10月月报未报送）")
	wantContains(t, "unit", sentText(f.say(t, lgOffice, "", "督办 义马")[0]), "义马市交通运输局专项整治工作")
	for text, want := range map[string]string{
		"督办":             "请发送“督办 问题编号”",
		"督办 灵宝 2030-01":  "不是本次专项整治的月报月份",
		"督办 灵宝 十月":       "月份“十月”无效",
		"督办 LB-2026-099": "未找到问题 LB-2026-099",
		"督办 火星":          "未找到单位",
		"督办 DB-2026-404": "未找到督办单",
		"督办 市局专项整治办公室":   "不能发给市局专项整治办公室本身",
	} {
		wantContains(t, text, sentText(f.say(t, lgOffice, "", text)[0]), want)
	}
	r := f.click(t, lgOffice, "notice.issue", map[string]string{"unit": "lingbao", "period": "2026-10"},
		cards.Values{"colour": {"red"}, "text": {"请立即补报10月月报"}, "due": {"2026-11-30"}})
	if r.ToastKind != "success" {
		t.Fatalf("report notice: %s", r.Toast)
	}
	n, err := f.st.SupervisionNoticeByNumber(f.ctx, f.camp.ID, "DB-2026-001")
	if err != nil || n.Period != "2026-10" || n.ItemID != nil {
		t.Fatalf("report notice: %+v %v", n, err)
	}

	// Typed labels without a number: the asker's only notice waiting.
	f.h.Deliver()
	wantContains(t, "typed 签收", sentText(f.say(t, lgLiaison, "", "签收")[0]), "已签收督办单 DB-2026-001")
	wantContains(t, "typed 签收 again", sentText(f.say(t, lgLiaison, "", "签收")[0]), "没有需要签收的督办单")
	wantContains(t, "typed 答复", sentText(sentTo(f.say(t, lgLiaison, "", "答复 已于11月27日补报"), lgLiaison)[0]), "已答复")
	wantContains(t, "typed 办结督办单", sentText(sentTo(f.say(t, lgOffice, "", "办结督办单"), lgOffice)[0]), "已办结")
	if got := strings.Join(f.auditActions(t, "supervision_notice", n.ID), ","); got != "issue,sign,answer,close" {
		t.Errorf("audit: %s", got)
	}
}

// TestSupervisionNoticeEscalation moves the clock: a notice issued on
// Thursday 2026-11-26 and never signed reminds the liaison on Friday, the
// leader on Monday and the office's head on Wednesday, once each; once its
// reply deadline (Friday 12-04) passes unanswered, the reply ladder runs
// from the next Monday, though signed meanwhile; an answered one stops.
func TestSupervisionNoticeEscalation(t *testing.T) {
	f := newLgFixture(t)
	it := f.addItem(t, "lingbao", "执法记录仪未全程开启", "2026-11-20")
	n := f.issueNotice(t, it, store.NoticeRed, "2026-12-04")
	quiet := f.issueNotice(t, it, store.NoticeBlue, "2026-12-04")
	f.h.Deliver()
	f.click(t, lgLiaison, "notice.sign", noticeParams(quiet), nil)
	quiet = f.notice(t, quiet)
	f.click(t, lgLiaison, "notice.answer.submit", noticeParams(quiet), cards.Values{"text": {"已办理"}})
	pf := &planFixture{st: f.st, h: f.h, camp: f.camp,
		sched: bot.NewScheduler(bot.SchedulerConfig{Bot: f.h.Bot, Planner: NewPlanner(Deps{}), ID: "test"})}
	tick := func(day string) []string {
		var keys []string
		for _, k := range pf.tick(t, at(day, "09:30")) {
			if rest, ok := strings.CutPrefix(k, fmt.Sprintf("notice:%d:", n.ID)); ok {
				keys = append(keys, rest)
			}
		}
		return keys
	}
	want := map[string]string{
		"2026-11-26": "",
		"2026-11-27": "sign:overdue:p:li-lb",
		"2026-11-28": "", // Saturday
		"2026-11-30": "sign:leader:p:liu-lb",
		"2026-12-01": "",
		"2026-12-02": "sign:office:p:zhao-office",
		"2026-12-03": "",
		"2026-12-04": "",
		"2026-12-07": "reply:overdue:p:li-lb",
		"2026-12-08": "reply:leader:p:liu-lb",
		"2026-12-10": "reply:office:p:zhao-office",
	}
	days := make([]string, 0, len(want))
	for d := range want {
		days = append(days, d)
	}
	sort.Strings(days)
	for _, d := range days {
		if d == "2026-12-03" {
			f.h.Clock.Set(at(d, "10:00"))
			f.click(t, lgLiaison, "notice.sign", noticeParams(f.notice(t, n)), nil)
		}
		got := strings.Join(tick(d), " ")
		if got != want[d] {
			t.Errorf("%s: got %q, want %q", d, got, want[d])
		}
	}
	// The liaison's escalation is a card naming the notice.
	var card string
	for _, s := range f.h.Deliver() {
		if strings.Contains(cardText(s.Message.Card), "督办单催办 · DB-2026-001") {
			card = cardText(s.Message.Card)
		}
	}
	wantContains(t, "escalation card", card, "答复期限 2026-12-04 已过", "[查看督办单]")
	// A re-run of a day sends nothing again.
	if _, err := f.st.DB().Exec(f.ctx, `DELETE FROM scheduler_runs`); err != nil {
		t.Fatal(err)
	}
	if got := tick("2026-12-10"); len(got) != 0 {
		t.Errorf("re-run sent %v", got)
	}
}

// TestSupervisionNoticeConcurrentSign: the liaison and the leader sign at
// once; one signs, the other is shown the signed card; one audit row.
func TestSupervisionNoticeConcurrentSign(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.TestSchema(ctx, t))
	camp, _ := applyCampaignFile(t, ctx, st, demoFile, nil)
	f := &lgFixture{ctx: ctx, st: st, h: newDemoHarness(t, st), camp: camp}
	it := f.addItem(t, "lingbao", "执法记录仪未全程开启", "2026-11-20")
	n := f.issueNotice(t, it, store.NoticeRed, "2026-12-04")
	var wg sync.WaitGroup
	toasts := make([]string, 2)
	for i, who := range []string{lgLiaison, lgLeader} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := f.h.Click(who, "", "notice.sign", noticeParams(n), nil)
			if err != nil {
				t.Error(err)
				return
			}
			toasts[i] = r.ToastKind
		}()
	}
	wg.Wait()
	sort.Strings(toasts)
	if strings.Join(toasts, ",") != "success,warning" {
		t.Errorf("toasts %v", toasts)
	}
	if got := strings.Join(f.auditActions(t, "supervision_notice", n.ID), ","); got != "issue,sign" {
		t.Errorf("audit: %s", got)
	}
}
