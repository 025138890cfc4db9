package handlers

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"zhenggai/cards"
	"zhenggai/store"
	"zhenggai/store/storetest"
)

// TestMonthlyReportTypedPeriod types what a reminder's 填报月报 button
// types on a platform without callbacks (月报 2026-11): the form of that
// period, not the oldest owed one; a period outside the campaign and a unit
// the asker may not edit are refused; the office picks the unit by name.
func TestMonthlyReportTypedPeriod(t *testing.T) {
	f := newLgFixture(t)
	sent := f.say(t, lgLiaison, "", "月报 2026-11")
	wantContains(t, "typed period", sentText(sent[0]), "月报 · 2026年11月")
	if form := sent[0].Message.Card.Form(); form == nil || form.Submit.Params["period"] != "2026-11" || form.Submit.Params["unit"] != "lingbao" {
		t.Fatalf("typed period form %+v", sent[0].Message.Card)
	}
	sent = f.say(t, lgLiaison, "", "月报 2031-01")
	wantContains(t, "outside the campaign", sentText(sent[0]), "不是本次专项整治的报送期")
	sent = f.say(t, lgLiaison, "", "月报 2026-11 义马")
	wantContains(t, "another unit", sentText(sent[0]), "抱歉")
	sent = f.say(t, lgOffice, "", "月报 2026-11 灵宝")
	wantContains(t, "office names the unit", sentText(sent[0]), "月报 · 2026年11月", "灵宝市交通运输局")
}

// TestMonthlyReportOpenAndOwed walks a liaison's 月报 on 2026-12-03: the
// open period (2026年12月) with the four owed ones offered as 补报 buttons;
// typing a button's label, 月报 11月 and 补报 11月 pick November; a period
// outside the campaign and garbage are refused and change nothing; two
// submissions of one period at once file it once; after the window closes
// only the owed ones are offered, and then nothing.
func TestMonthlyReportOpenAndOwed(t *testing.T) {
	// A pool-backed store: the two submissions below run on two connections.
	ctx := context.Background()
	st := store.New(storetest.TestSchema(ctx, t))
	camp, _ := applyCampaignFile(t, ctx, st, demoFile, nil)
	f := &lgFixture{ctx: ctx, st: st, h: newDemoHarness(t, st), camp: camp}
	f.h.Deliver()
	lb := f.unit(t, "lingbao")
	f.h.Clock.Set(at("2026-12-03", "10:00"))
	sent := f.say(t, lgLiaison, "", "月报")
	wantContains(t, "typed 月报", sentText(sent[0]), "月报 · 2026年12月", "截止：**12月23日（周三）**（还有 20 天）",
		"另有 **4** 期月报尚未报送", "[补报 2026年8月（逾期 104 天）]", "[补报 2026年11月（逾期 10 天）]")
	if form := sent[0].Message.Card.Form(); form == nil || form.Submit.Params["period"] != "2026-12" {
		t.Fatalf("open period form %+v", sent[0].Message.Card)
	}
	for _, typed := range []string{"补报 2026年11月（逾期 10 天）", "月报 11月", "补报 11月", "月报 2026年11月", "月报 2026/11"} {
		sent = f.say(t, lgLiaison, "", typed)
		if form := sent[0].Message.Card.Form(); form == nil || form.Submit.Params["period"] != "2026-11" {
			t.Errorf("%q: %s", typed, sentText(sent[0]))
		}
	}
	for typed, want := range map[string]string{
		"月报 2026-05": "2026年5月不是本次专项整治的报送期。本次专项整治的报送期为2026年8月至2027年1月。",
		"补报 5月":      "5月不是本次专项整治的报送期",
		"月报 2026-13": "不是有效的月份",
		"月报 第11期报告":  "没有理解“第11期报告”",
		"月报 随便写写":    "未找到单位“随便写写”",
	} {
		sent = f.say(t, lgLiaison, "", typed)
		wantContains(t, typed, sentText(sent[0]), want)
	}
	if done, _ := f.st.ReportedPeriods(f.ctx, lb.ID, []string{"2026-05", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"}); len(done) != 0 {
		t.Fatalf("refusals filed %v", done)
	}

	// The liaison and the leader submit November at once: one report, one
	// audit row.
	p := map[string]string{"unit": "lingbao", "period": "2026-11"}
	vals := cards.Values{"summary": {"十一月补报"}, "confirm": {"confirmed"}}
	var wg sync.WaitGroup
	toasts := make([]string, 2)
	start := make(chan struct{})
	for i, user := range []string{lgLiaison, lgLeader} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r, err := f.h.Click(user, "", "report.submit", p, vals)
			if err == nil && r != nil {
				toasts[i] = r.Toast
			}
		}()
	}
	close(start)
	wg.Wait()
	if won := slices.Index(toasts, "月报已报送（逾期）"); won < 0 || toasts[1-won] == toasts[won] || !strings.Contains(toasts[1-won], "已报送") {
		t.Errorf("concurrent toasts %q", toasts)
	}
	m, err := f.st.MonthlyReportOf(f.ctx, lb.ID, "2026-11")
	if err != nil || m.OnTime {
		t.Fatalf("november %+v %v", m, err)
	}
	if acts := f.auditActions(t, "monthly_report", m.ID); len(acts) != 1 {
		t.Errorf("audit %v", acts)
	}
	f.h.Deliver()
	sent = f.say(t, lgLiaison, "", "月报")
	wantContains(t, "after 补报", sentText(sent[0]), "月报 · 2026年12月", "另有 **3** 期")
	if strings.Contains(sentText(sent[0]), "补报 2026年11月") {
		t.Errorf("November still offered: %s", sentText(sent[0]))
	}

	// The window's last due day is 2027-01-22 (the 23rd is a Saturday).
	f.h.Clock.Set(at("2027-01-25", "10:00"))
	sent = f.say(t, lgLiaison, "", "月报")
	text := sentText(sent[0])
	wantContains(t, "window closed", text, "报送期已结束", "补报 2026年12月（逾期 33 天）", "补报 2027年1月（逾期 3 天）")
	if sent[0].Message.Card.Form() != nil {
		t.Errorf("a form after the window: %s", text)
	}
	for _, per := range []string{"2026-08", "2026-09", "2026-10", "2026-12", "2027-01"} {
		r := f.click(t, lgLiaison, "report.submit", map[string]string{"unit": "lingbao", "period": per}, vals)
		wantContains(t, "补报 "+per, r.Toast, "月报已报送（逾期）")
	}
	f.h.Deliver()
	sent = f.say(t, lgLiaison, "", "月报")
	wantContains(t, "all filed", sentText(sent[0]), "月报已全部报送", "报送期已结束")
}
