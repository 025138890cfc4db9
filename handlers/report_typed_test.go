package handlers

import "testing"

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
