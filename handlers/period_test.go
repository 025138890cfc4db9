package handlers

import (
	"slices"
	"strings"
	"testing"
	"time"

	"zhenggai/store"
)

// TestPeriodRuleYear walks the period rule over a whole campaign year:
// the due day (23) moves to the workday before over a weekend, the Spring
// Festival (back to the 调休 Saturday 2026-02-14), a holiday the campaign
// file declares (2026-03-23) and not over a 调休 workday it declares
// (2026-05-23); the open period is the earliest whose due day is today or
// later; earlier unreported periods are owed; after the window only owed.
func TestPeriodRuleYear(t *testing.T) {
	c := &store.Campaign{Settings: store.CampaignSettings{
		MonthlyReport: store.MonthlyReportSettings{DueDay: 23, From: "2026-01-01", Until: "2026-12-31"},
		Holidays:      []string{"2026-03-23"},
		Workdays:      []string{"2026-05-23"},
	}}
	wantDues := []string{"2026-01-23", "2026-02-14", "2026-03-20", "2026-04-23", "2026-05-23", "2026-06-23",
		"2026-07-23", "2026-08-21", "2026-09-23", "2026-10-23", "2026-11-23", "2026-12-23"}
	var dues []string
	for _, p := range campaignPeriods(c) {
		dues = append(dues, p.due.Format(time.DateOnly))
	}
	if !slices.Equal(dues, wantDues) {
		t.Fatalf("due days\n got %v\nwant %v", dues, wantDues)
	}
	reported := map[string]bool{"2026-01": true, "2026-03": true}
	for _, tc := range []struct {
		day, open string
		owed      []string
	}{
		{"2025-12-01", "2026-01", nil},
		{"2026-01-23", "2026-01", nil},
		{"2026-01-24", "2026-02", nil},
		{"2026-02-14", "2026-02", nil},
		{"2026-02-15", "2026-03", []string{"2026-02"}},
		{"2026-03-20", "2026-03", []string{"2026-02"}},
		{"2026-03-21", "2026-04", []string{"2026-02"}},
		{"2026-05-23", "2026-05", []string{"2026-02", "2026-04"}},
		{"2026-08-21", "2026-08", []string{"2026-02", "2026-04", "2026-05", "2026-06", "2026-07"}},
		{"2026-08-22", "2026-09", []string{"2026-02", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08"}},
		{"2026-12-23", "2026-12", []string{"2026-02", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"}},
		{"2026-12-24", "", []string{"2026-02", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"}},
	} {
		day, _ := time.Parse(time.DateOnly, tc.day)
		st := unitStandingOn(c, day, reported)
		var owed []string
		for _, p := range st.owed {
			owed = append(owed, p.period)
		}
		if st.open.period != tc.open || st.hasOpen != (tc.open != "") || !slices.Equal(owed, tc.owed) {
			t.Errorf("%s: open %q (%v) owed %v, want open %q owed %v", tc.day, st.open.period, st.hasOpen, owed, tc.open, tc.owed)
		}
		if whole := standingOn(c, day); whole.open != st.open || len(whole.owed) > 0 {
			t.Errorf("%s: campaign standing %+v", tc.day, whole)
		}
	}
	st := unitStandingOn(c, mustDay("2026-12-03"), nil)
	if got := owedLabel(st.owed[len(st.owed)-1], mustDay("2026-12-03")); got != "补报 2026年11月（逾期 10 天）" {
		t.Errorf("owed label %q", got)
	}
}

// TestParseTypedPeriod reads what people type after 月报 and 补报.
func TestParseTypedPeriod(t *testing.T) {
	c := &store.Campaign{Settings: store.CampaignSettings{
		MonthlyReport: store.MonthlyReportSettings{DueDay: 23, From: "2026-08-11", Until: "2027-01-31"}}}
	day := mustDay("2026-12-03")
	st := standingOn(c, day)
	for _, tc := range []struct {
		in, period, rest string
		ok               bool
		refused          string
	}{
		{in: "", ok: false},
		{in: "灵宝", rest: "灵宝"},
		{in: "2026-11", period: "2026-11", ok: true},
		{in: "2026-11 灵宝", period: "2026-11", rest: "灵宝", ok: true},
		{in: "2026/9", period: "2026-09", ok: true},
		{in: "2026年11月", period: "2026-11", ok: true},
		{in: "11月", period: "2026-11", ok: true},
		{in: "8月份", period: "2026-08", ok: true},
		{in: "2026年10月份", period: "2026-10", ok: true},
		{in: "1月 义马", period: "2027-01", rest: "义马", ok: true},
		{in: "2026年11月（逾期 10 天）", period: "2026-11", ok: true},
		{in: "2026-05", ok: true, refused: "2026年5月不是本次专项整治的报送期。本次专项整治的报送期为2026年8月至2027年1月。"},
		{in: "5月", ok: true, refused: "5月不是本次专项整治的报送期"},
		{in: "2026-13", ok: true, refused: "不是有效的月份"},
		{in: "2026-11abc", rest: "2026-11abc"},
	} {
		p, rest, ok, err := parseTypedPeriod(st, day, tc.in)
		if tc.refused != "" {
			if err == nil || !strings.Contains(err.Error(), tc.refused) {
				t.Errorf("%q: err %v, want %q", tc.in, err, tc.refused)
			}
			continue
		}
		if err != nil || ok != tc.ok || p.period != tc.period || rest != tc.rest {
			t.Errorf("%q: %q %q %v %v, want %q %q %v", tc.in, p.period, rest, ok, err, tc.period, tc.rest, tc.ok)
		}
	}
}

func mustDay(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}
