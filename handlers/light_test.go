package handlers

import (
	"strings"
	"testing"
	"time"

	"zhenggai/store"
)

// lightCampaign is the seed's calendar (reports due on the 23rd from
// 2023-05-11 to 2023-10-31) with N = 5 and M = 10 workdays.
func lightCampaign() *store.Campaign {
	return &store.Campaign{Timezone: "Asia/Shanghai", Settings: store.CampaignSettings{
		MonthlyReport:      store.MonthlyReportSettings{DueDay: 23, From: "2023-05-11", Until: "2023-10-31"},
		RequestAnswerHours: 24,
		Supervision:        store.SupervisionSettings{SoonWorkdays: 5, StallWorkdays: 10},
	}}
}

func civilDay(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// TestLightItem moves a clock across National Day 2023 (9-29 … 10-06 off,
// the 调休 weekend 10-07/08 worked): the rule counts workdays, so an item
// due on Monday 10-09 is yellow from Tuesday 9-26 (five workdays ahead,
// though thirteen calendar days), and an item last updated on 9-20 is not
// stalled until 10-10 (ten workdays, twenty calendar days).
func TestLightItem(t *testing.T) {
	c := lightCampaign()
	lr, loc := lightRuleOf(c), c.Location()
	progressAt := at("2023-09-20", "10:00")
	cases := []struct {
		name   string
		item   store.LedgerItem
		day    string
		want   Light
		reason string
	}{
		{"far from deadline", store.LedgerItem{DueOn: civilDay("2023-10-09"), Status: store.ItemInProgress, ProgressAt: &progressAt}, "2023-09-25", LightGreen, "按期推进"},
		{"five workdays ahead across the holiday", store.LedgerItem{DueOn: civilDay("2023-10-09"), Status: store.ItemInProgress, ProgressAt: &progressAt}, "2023-09-26", LightYellow, "还有 13 天"},
		{"on a holiday", store.LedgerItem{DueOn: civilDay("2023-10-09"), Status: store.ItemInProgress, ProgressAt: &progressAt}, "2023-10-03", LightYellow, "还有 6 天"},
		{"deadline day", store.LedgerItem{DueOn: civilDay("2023-10-09"), Status: store.ItemInProgress, ProgressAt: &progressAt}, "2023-10-09", LightYellow, "今天截止"},
		{"the day after", store.LedgerItem{DueOn: civilDay("2023-10-09"), Status: store.ItemInProgress, ProgressAt: &progressAt}, "2023-10-10", LightRed, "已逾期 1 天"},
		{"overdue while 申请销号", store.LedgerItem{DueOn: civilDay("2023-10-09"), Status: store.ItemCloseRequested}, "2023-10-12", LightRed, "已逾期 3 天"},
		{"closed past its deadline", store.LedgerItem{DueOn: civilDay("2023-10-09"), Status: store.ItemClosed}, "2023-10-12", LightGreen, "已销号"},
		{"nine workdays without progress", store.LedgerItem{DueOn: civilDay("2023-12-29"), Status: store.ItemInProgress, ProgressAt: &progressAt}, "2023-10-09", LightGreen, "按期推进"},
		{"ten workdays without progress", store.LedgerItem{DueOn: civilDay("2023-12-29"), Status: store.ItemLongTerm, ProgressAt: &progressAt}, "2023-10-10", LightYellow, "10 个工作日无进展"},
		{"never updated: counted from its creation", store.LedgerItem{DueOn: civilDay("2023-12-29"), Status: store.ItemInProgress, CreatedAt: progressAt}, "2023-10-11", LightYellow, "11 个工作日无进展"},
		{"stalled but waiting for 销号", store.LedgerItem{DueOn: civilDay("2023-12-29"), Status: store.ItemCloseRequested, ProgressAt: &progressAt}, "2023-10-20", LightGreen, "申请销号中"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := lr.item(&tc.item, civilDay(tc.day), loc)
			if got.Light != tc.want || got.Reason != tc.reason {
				t.Errorf("%s on %s: got %s（%s）, want %s（%s）", tc.name, tc.day, got.Light, got.Reason, tc.want, tc.reason)
			}
		})
	}

	// N and M come from the campaign file; a smaller N turns the same item
	// yellow later.
	c.Settings.Supervision = store.SupervisionSettings{SoonWorkdays: 1, StallWorkdays: 30}
	it := &store.LedgerItem{DueOn: civilDay("2023-10-09"), Status: store.ItemInProgress, ProgressAt: &progressAt}
	if got := lightRuleOf(c).item(it, civilDay("2023-10-07"), loc); got.Light != LightGreen {
		t.Errorf("N=1 on the 调休 Saturday 10-07: %s, want green (10-09 is two workdays on)", got.Label())
	}
	if got := lightRuleOf(c).item(it, civilDay("2023-10-08"), loc); got.Light != LightYellow {
		t.Errorf("N=1 on the 调休 Sunday 10-08: %s, want yellow", got.Label())
	}
	if got := lightRuleOf(c).item(&store.LedgerItem{DueOn: civilDay("2023-12-29"), ProgressAt: &progressAt}, civilDay("2023-10-20"), loc); got.Light != LightGreen {
		t.Errorf("M=30: %s, want green", got.Label())
	}
}

// TestLightUnit: September 2023's report is due Saturday the 23rd, moved
// to Friday the 22nd. A unit without it is yellow in the five workdays
// before, red from Saturday on; its worst item counts too.
func TestLightUnit(t *testing.T) {
	c := lightCampaign()
	lr, loc := lightRuleOf(c), c.Location()
	all := map[string]bool{"2023-05": true, "2023-06": true, "2023-07": true, "2023-08": true}
	withSept := map[string]bool{"2023-05": true, "2023-06": true, "2023-07": true, "2023-08": true, "2023-09": true}
	late := &store.LedgerItem{DueOn: civilDay("2023-09-01"), Status: store.ItemInProgress}
	soon := &store.LedgerItem{DueOn: civilDay("2023-09-20"), Status: store.ItemInProgress, CreatedAt: at("2023-09-14", "09:00")}
	cases := []struct {
		name     string
		reported map[string]bool
		items    []*store.LedgerItem
		day      string
		want     Light
		reason   string
	}{
		{"six workdays before", all, nil, "2023-09-14", LightGreen, "按期推进"},
		{"five workdays before", all, nil, "2023-09-15", LightYellow, "2023年9月月报还有 7 天"},
		{"moved due day", all, nil, "2023-09-22", LightYellow, "2023年9月月报今天截止"},
		{"Saturday the 23rd: owed", all, nil, "2023-09-23", LightRed, "2023年9月月报未报送"},
		{"Monday the 25th: owed", all, nil, "2023-09-25", LightRed, "2023年9月月报未报送"},
		{"reported", withSept, nil, "2023-09-25", LightGreen, "按期推进"},
		{"reported, an item due soon", withSept, []*store.LedgerItem{soon}, "2023-09-18", LightYellow, "临期或滞后问题 1 项"},
		{"reported, an item overdue", withSept, []*store.LedgerItem{soon, late}, "2023-09-25", LightRed, "逾期问题 2 项"},
		{"owed and overdue", all, []*store.LedgerItem{late}, "2023-09-25", LightRed, "2023年9月月报未报送，逾期问题 1 项"},
		{"an earlier month owed", map[string]bool{"2023-05": true, "2023-06": true, "2023-07": true}, nil, "2023-09-01", LightRed, "2023年8月月报未报送"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			day := civilDay(tc.day)
			got := lr.unit(tc.items, reportStateOf(c, tc.reported, day), day, loc)
			if got.Light != tc.want || got.Reason != tc.reason {
				t.Errorf("%s on %s: got %s（%s）, want %s（%s）", tc.name, tc.day, got.Light, got.Reason, tc.want, tc.reason)
			}
		})
	}
	if got := campaignLight([]LightReason{{Light: LightGreen}, {Light: LightYellow}, {Light: LightRed}, {Light: LightRed}}); got.Light != LightRed || got.Reason != "红灯单位 2 个" {
		t.Errorf("campaign: %s", got.Label())
	}
	if got := campaignLight([]LightReason{{Light: LightGreen}}); got.Light != LightGreen {
		t.Errorf("campaign: %s", got.Label())
	}
}

// TestLightRequest: a request that came on Thursday 2023-09-28 at 17:00,
// the eve of the holiday, has 24 working hours: 1 h that evening, then the
// 调休 weekend (8 h each) and 7 h of Monday 10-09 (till 17:00). Half the clock has run
// at noon on Sunday 10-08; it is late after 17:00 on 10-09.
func TestLightRequest(t *testing.T) {
	c := lightCampaign()
	lr := lightRuleOf(c)
	since := at("2023-09-28", "17:00")
	q := &store.EnterpriseRequest{State: store.RequestOpen, WaitingSince: &since}
	cases := []struct {
		now  time.Time
		want Light
	}{
		{at("2023-10-02", "10:00"), LightGreen}, // a holiday: the clock stands
		{at("2023-10-07", "17:00"), LightGreen},
		{at("2023-10-08", "11:59"), LightGreen},
		{at("2023-10-08", "12:01"), LightYellow},
		{at("2023-10-09", "16:59"), LightYellow},
		{at("2023-10-09", "17:01"), LightRed},
	}
	for _, tc := range cases {
		if got := lr.request(q, c, tc.now); got.Light != tc.want {
			t.Errorf("at %s: %s, want %s", tc.now.Format(time.DateTime), got.Label(), tc.want.Mark())
		}
	}
	answered := &store.EnterpriseRequest{State: store.RequestAnswered}
	if got := lr.request(answered, c, at("2023-10-20", "10:00")); got.Light != LightGreen {
		t.Errorf("answered: %s", got.Label())
	}
}

// TestLightColumn: the export's 红黄绿灯 column is filled with the light's
// colour.
func TestLightColumn(t *testing.T) {
	c := lightCampaign()
	f, err := ledgerFile(c, nil, []*store.LedgerItem{
		{Number: "LB-2023-001", DueOn: civilDay("2023-09-01"), Status: store.ItemInProgress},
		{Number: "LB-2023-002", DueOn: civilDay("2023-12-29"), Status: store.ItemInProgress, CreatedAt: at("2023-09-20", "10:00")},
	})
	if err != nil {
		t.Fatal(err)
	}
	items := []*store.LedgerItem{
		{DueOn: civilDay("2023-09-01"), Status: store.ItemInProgress},
		{DueOn: civilDay("2023-12-29"), Status: store.ItemInProgress, CreatedAt: at("2023-09-20", "10:00")},
	}
	if err := addLightColumn(f, c, items, civilDay("2023-10-10")); err != nil {
		t.Fatal(err)
	}
	for cell, want := range map[string]string{"P1": "红黄绿灯", "P2": "红灯（已逾期 39 天）", "P3": "黄灯（10 个工作日无进展）"} {
		if got, _ := f.GetCellValue(ledgerSheet, cell); got != want {
			t.Errorf("%s = %q, want %q", cell, got, want)
		}
	}
	for cell, want := range map[string]string{"P2": LightRed.Fill(), "P3": LightYellow.Fill()} {
		id, _ := f.GetCellStyle(ledgerSheet, cell)
		st, err := f.GetStyle(id)
		if err != nil || len(st.Fill.Color) == 0 || !strings.EqualFold(strings.TrimPrefix(st.Fill.Color[0], "#"), want) {
			t.Errorf("%s fill %+v %v, want %s", cell, st, err, want)
		}
	}
}
