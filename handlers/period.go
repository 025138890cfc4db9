package handlers

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"zhenggai/bot"
	"zhenggai/store"
)

// Report periods, one rule everywhere (DESIGN 4.1). A period's due day is
// monthly_report.due_day of its month moved to the workday before when it
// is a day off (the campaign's calendar: holidays, 调休 and the campaign
// file's own days). The open period on a day is the earliest period of the
// reporting window whose due day is that day or later; earlier periods
// without a report are owed (补报). After the window's last due day there
// is no open period, only owed ones. A typed 月报, 报送情况, the digests,
// the monthly export and the reminders all read this rule.

// reportPeriod is one period of the campaign's monthly reports.
type reportPeriod struct {
	period string    // 2026-11
	due    time.Time // civil due day, on a workday
}

// label renders the period as 2026年11月.
func (p reportPeriod) label() string { return periodLabel(p.period) }

// campaignPeriods returns c's report periods, oldest first, with their due
// days moved to workdays.
func campaignPeriods(c *store.Campaign) []reportPeriod {
	periods, dues := reportPeriods(c)
	cal := calendarOf(c)
	out := make([]reportPeriod, len(periods))
	for i, p := range periods {
		out[i] = reportPeriod{period: p, due: cal.onOrBeforeWorkday(dues[i])}
	}
	return out
}

// periodStanding is where the periods stand on a day, for one unit (owed
// and openDone read its reports) or for the campaign (only open).
type periodStanding struct {
	all      []reportPeriod
	open     reportPeriod // zero once the window has closed
	hasOpen  bool
	openDone bool           // the unit has reported the open period
	owed     []reportPeriod // earlier periods without a report, oldest first
}

// standingOn applies the rule on day for the campaign as a whole: the
// open period, nothing owed.
func standingOn(c *store.Campaign, day time.Time) periodStanding {
	return standingOf(c, day, nil, false)
}

// unitStandingOn applies the rule on day for a unit that has reported the
// periods in reported (nil is none).
func unitStandingOn(c *store.Campaign, day time.Time, reported map[string]bool) periodStanding {
	return standingOf(c, day, reported, true)
}

func standingOf(c *store.Campaign, day time.Time, reported map[string]bool, unit bool) periodStanding {
	st := periodStanding{all: campaignPeriods(c)}
	for _, p := range st.all {
		if !p.due.Before(day) {
			st.open, st.hasOpen, st.openDone = p, true, reported[p.period]
			break
		}
		if unit && !reported[p.period] {
			st.owed = append(st.owed, p)
		}
	}
	return st
}

// find returns the period named p.
func (st periodStanding) find(p string) (reportPeriod, bool) {
	for _, x := range st.all {
		if x.period == p {
			return x, true
		}
	}
	return reportPeriod{}, false
}

// windowLabel renders the reporting window: 2026年8月至2027年1月.
func (st periodStanding) windowLabel() string {
	if len(st.all) == 0 {
		return ""
	}
	return st.all[0].label() + "至" + st.all[len(st.all)-1].label()
}

// owedLabel renders an owed period as its 补报 button says it:
// 补报 2026年11月（逾期 10 天）.
func owedLabel(p reportPeriod, day time.Time) string {
	return fmt.Sprintf("补报 %s（逾期 %d 天）", p.label(), int(civil(day).Sub(p.due).Hours()/24))
}

// typedPeriodRe is a period typed after 月报 or 补报: 2026-11, 2026/11,
// 2026.11, 2026年11月, 11月, 8月份; a button's own label may follow it in
// brackets (补报 2026年11月（逾期 10 天）).
var typedPeriodRe = regexp.MustCompile(`^(?:(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:月份?)?|(\d{1,2})\s*月份?)\s*(?:[（(][^）)]*[）)])?(?:\s+|$)`)

// parseTypedPeriod reads a period at the start of args. It returns the
// period, the rest of args, and whether args starts with one; a period
// that is not the campaign's is a refusal that names the window.
// A month without a year is the campaign's period of that month nearest to
// day.
func parseTypedPeriod(st periodStanding, day time.Time, args string) (reportPeriod, string, bool, error) {
	args = strings.TrimSpace(args)
	m := typedPeriodRe.FindStringSubmatch(args)
	if m == nil {
		return reportPeriod{}, args, false, nil
	}
	rest := strings.TrimSpace(args[len(m[0]):])
	window := "本次专项整治没有配置月报。"
	if len(st.all) > 0 {
		window = "本次专项整治的报送期为" + st.windowLabel() + "。"
	}
	if m[3] != "" {
		month, _ := strconv.Atoi(m[3])
		var best reportPeriod
		found := false
		for _, p := range st.all {
			t, _ := time.Parse("2006-01", p.period)
			if int(t.Month()) != month {
				continue
			}
			if !found || absDays(p.due, day) < absDays(best.due, day) {
				best, found = p, true
			}
		}
		if !found {
			return reportPeriod{}, rest, true, bot.Refuse("%d月不是本次专项整治的报送期。%s", month, window)
		}
		return best, rest, true, nil
	}
	year, _ := strconv.Atoi(m[1])
	month, _ := strconv.Atoi(m[2])
	if month < 1 || month > 12 {
		return reportPeriod{}, rest, true, bot.Refuse("“%s”不是有效的月份，请按“2026-11”或“11月”写明。", strings.TrimSpace(m[0]))
	}
	p, ok := st.find(fmt.Sprintf("%04d-%02d", year, month))
	if !ok {
		return reportPeriod{}, rest, true, bot.Refuse("%d年%d月不是本次专项整治的报送期。%s", year, month, window)
	}
	return p, rest, true, nil
}

func absDays(a, b time.Time) int {
	d := int(civil(a).Sub(civil(b)).Hours() / 24)
	return max(d, -d)
}

// reportHelpLine is the help's line about 月报: what a typed 月报 opens.
func reportHelpLine(c *store.Campaign) string {
	due := "截止日"
	if d := c.Settings.MonthlyReport.DueDay; d > 0 {
		due = fmt.Sprintf("每月%d日截止，遇节假日提前到此前的工作日", d)
	}
	return "**月报**：报送当前一期阶段性工作进展情况（" + due + "），并列出待补报的往期；“月报 11月”或“补报 11月”报送指定的一期"
}

// ReportDue is a report period (YYYY-MM) and its due day, on a workday.
type ReportDue struct {
	Period string
	Due    time.Time // civil day, in UTC as civil() makes it
}

// ReportDues returns c's report periods, oldest first, with their due days
// moved to workdays by the rule above, for code outside handlers that plays
// a campaign (the demo's history).
func ReportDues(c *store.Campaign) []ReportDue {
	ps := campaignPeriods(c)
	out := make([]ReportDue, len(ps))
	for i, p := range ps {
		out[i] = ReportDue{Period: p.period, Due: p.due}
	}
	return out
}

// WorkdayOnOrBefore returns day when it is a workday on c's calendar
// (holidays off, 调休 days on), else the workday before it.
func WorkdayOnOrBefore(c *store.Campaign, day time.Time) time.Time {
	return calendarOf(c).onOrBeforeWorkday(civil(day))
}
