package handlers

import (
	"strings"
	"testing"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store"
)

// TestFlaggedItemReview walks a 挂牌督办 item: the office flags it (the
// unit is told, the card shows it), the liaison asks for 销号, the leader
// approves — the item does not close but waits for the office's 复核; the
// office sends it back once, then passes it; every step is audited; the
// flag cannot be lifted while a 复核 waits, and lifting it is audited.
func TestFlaggedItemReview(t *testing.T) {
	f := newLgFixture(t)
	it := f.addItem(t, "lingbao", "执法记录仪未全程开启", "2026-12-20")
	if r, _ := f.h.Click(lgLeader, "", "flag.set", ref(it), nil); r == nil || r.ToastKind != "error" {
		t.Errorf("leader flagged: %+v", r)
	}
	r := f.click(t, lgOffice, "flag.set", ref(it), nil)
	wantContains(t, "flag", r.Toast+cardText(r.Card), "已挂牌督办", "🚩", "[取消挂牌]")
	sent := f.h.Deliver()
	for _, who := range []string{lgLiaison, lgLeader} {
		if got := sentTo(sent, who); len(got) != 1 || !strings.Contains(sentText(got[0]), "挂牌督办") {
			t.Errorf("%s not told: %v", who, got)
		}
		if got := sentTo(sent, who); len(got) == 1 && (strings.Contains(sentText(got[0]), "[督办]") || strings.Contains(sentText(got[0]), "[取消挂牌]")) {
			t.Errorf("%s was sent the office's buttons: %s", who, sentText(got[0]))
		}
	}
	if r := f.click(t, lgOffice, "flag.set", ref(f.item(t, it.Number)), nil); r.ToastKind != "error" || !strings.Contains(r.Toast, "已在挂牌督办中") {
		t.Errorf("flagged twice: %s", r.Toast)
	}

	close := func() {
		t.Helper()
		f.click(t, lgLiaison, "item.close.submit", ref(f.item(t, it.Number)), cards.Values{"result": {"已整改到位"}})
		q, err := f.st.PendingRequestOfItem(f.ctx, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		f.h.Deliver()
		r := f.click(t, lgLeader, "approval.approve", requestParams(q), nil)
		wantContains(t, "leader's approval", r.Toast+cardText(r.Card), "待办公室复核")
		if got := f.item(t, it.Number); got.Status != store.ItemCloseRequested || got.ClosedAt != nil {
			t.Fatalf("closed without 复核: %s", got.Status)
		}
		sent := f.h.Deliver()
		wantContains(t, "office's review card", sentText(sentTo(sent, lgOffice)[0]), "销号复核 · "+it.Number, "[复核通过][退回整改]")
		wantContains(t, "liaison told", sentText(sentTo(sent, lgLiaison)[0]), "待市局专项整治办公室复核后销号")
	}
	close()
	if r := f.click(t, lgOffice, "flag.unset", ref(f.item(t, it.Number)), nil); r.ToastKind != "error" || !strings.Contains(r.Toast, "请先复核") {
		t.Errorf("unflagged during review: %s", r.Toast)
	}
	if r, _ := f.h.Click(lgLeader, "", "flag.review.approve", ref(f.item(t, it.Number)), nil); r == nil || r.ToastKind != "error" {
		t.Errorf("leader reviewed: %+v", r)
	}
	f.click(t, lgOffice, "flag.review.reject.submit", ref(f.item(t, it.Number)), cards.Values{"reason": {"佐证材料不全"}})
	if got := f.item(t, it.Number); got.Status != store.ItemInProgress {
		t.Fatalf("after 退回: %s", got.Status)
	}
	wantContains(t, "liaison told of 退回", sentText(sentTo(f.h.Deliver(), lgLiaison)[0]), "复核未通过", "佐证材料不全")

	close()
	// The office types its 复核.
	wantContains(t, "typed 复核通过", sentText(sentTo(f.say(t, lgOffice, "", "复核通过 "+it.Number), lgOffice)[0]), "复核通过，已销号")
	if got := f.item(t, it.Number); got.Status != store.ItemClosed || got.ClosedAt == nil {
		t.Fatalf("after 复核: %s", got.Status)
	}
	if r := f.click(t, lgOffice, "flag.review.approve", ref(f.item(t, it.Number)), nil); r.ToastKind != "warning" {
		t.Errorf("reviewed twice: %s", r.Toast)
	}
	r = f.click(t, lgOffice, "flag.unset", ref(f.item(t, it.Number)), nil)
	if r.ToastKind != "success" {
		t.Errorf("unflag: %s", r.Toast)
	}
	if got := strings.Join(f.auditActions(t, "flagged_item", it.ID), ","); got != "flag,review_requested,review_reject,review_requested,review_close,unflag" {
		t.Errorf("flag audit: %s", got)
	}
	if got := strings.Join(f.auditActions(t, "ledger_item", it.ID), ","); got != "request_close,review_reject,request_close,review_close" {
		t.Errorf("item audit: %s", got)
	}
}

// TestFlaggedItemOfficeApproves: the office's own approval of a flagged
// item's 销号 is its 复核: the item closes at once.
func TestFlaggedItemOfficeApproves(t *testing.T) {
	f := newLgFixture(t)
	it := f.addItem(t, "lingbao", "执法记录仪未全程开启", "2026-12-20")
	f.click(t, lgOffice, "flag.set", ref(it), nil)
	f.click(t, lgLiaison, "item.close.submit", ref(f.item(t, it.Number)), cards.Values{"result": {"已整改到位"}})
	q, err := f.st.PendingRequestOfItem(f.ctx, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.click(t, lgOffice, "approval.approve", requestParams(q), nil)
	if got := f.item(t, it.Number); got.Status != store.ItemClosed {
		t.Errorf("office approval: %s", got.Status)
	}
}

// TestFlaggedItemWeeklyDuty moves the clock week by week: a flagged item
// without progress in the last seven days is reminded on the week's first
// workday, once; a progress update skips the next week.
func TestFlaggedItemWeeklyDuty(t *testing.T) {
	f := newLgFixture(t)
	it := f.addItem(t, "lingbao", "执法记录仪未全程开启", "2027-01-29")
	f.click(t, lgOffice, "flag.set", ref(it), nil) // Thursday 2026-11-26
	pf := &planFixture{st: f.st, h: f.h, camp: f.camp,
		sched: bot.NewScheduler(bot.SchedulerConfig{Bot: f.h.Bot, Planner: NewPlanner(Deps{}), ID: "test"})}
	weekly := func(day string) string {
		var out []string
		for _, k := range pf.tick(t, at(day, "09:30")) {
			if strings.HasPrefix(k, "flag:") && strings.Contains(k, ":week:") {
				out = append(out, k[strings.Index(k, ":week:")+1:])
			}
		}
		return strings.Join(out, " ")
	}
	for _, c := range []struct{ day, want string }{
		{"2026-11-27", ""},                      // Friday: not a week's first workday
		{"2026-11-30", ""},                      // flagged four days ago
		{"2026-12-01", ""},                      // Tuesday
		{"2026-12-07", "week:2026-W50:p:li-lb"}, // eleven days without progress
		{"2026-12-08", ""},                      // once a week
		{"2026-12-14", ""},                      // progress on 12-08
		{"2026-12-21", "week:2026-W52:p:li-lb"},
	} {
		if c.day == "2026-12-14" {
			f.h.Clock.Set(at("2026-12-08", "15:00"))
			f.click(t, lgLiaison, "item.progress.submit", ref(f.item(t, it.Number)), cards.Values{"text": {"已约谈"}, "status": {store.ItemInProgress}})
		}
		if got := weekly(c.day); got != c.want {
			t.Errorf("%s: %q, want %q", c.day, got, c.want)
		}
	}
}

// TestFirstWorkdayOfWeek: the weekly duty's day in National Day week
// 2023 is the 调休 Saturday 10-07.
func TestFirstWorkdayOfWeek(t *testing.T) {
	cal := calendarOf(lightCampaign())
	for day, want := range map[string]bool{"2023-09-25": true, "2023-09-26": false, "2023-10-02": false,
		"2023-10-06": false, "2023-10-07": true, "2023-10-08": false, "2023-10-09": true} {
		if got := cal.firstWorkdayOfWeek(civilDay(day)); got != want {
			t.Errorf("%s: %v, want %v", day, got, want)
		}
	}
}
