package handlers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"zhenggai/store"
)

// The campaign file's holidays and workdays (campaign.holidays,
// campaign.workdays) extend the calendar library past its last year
// (workday.go). This file checks them and tells when a campaign needs them.

// checkCalendarDays reports a day listed twice, a day both off and on, and a
// workday that is one already (only a weekend or a holiday can be made a
// workday).
func checkCalendarDays(c *CampaignDoc, bad func(line int, format string, args ...any)) {
	seen := map[time.Time]string{}
	for _, l := range []struct {
		name string
		days []Date
	}{{"holidays", c.Holidays}, {"workdays", c.Workdays}} {
		for _, d := range l.days {
			if prev, dup := seen[d.Time]; dup {
				if prev == l.name {
					bad(d.Line, "campaign.%s lists %s twice", l.name, d.Format(time.DateOnly))
				} else {
					bad(d.Line, "%s is in both campaign.holidays and campaign.workdays", d.Format(time.DateOnly))
				}
				continue
			}
			seen[d.Time] = l.name
			if l.name == "workdays" && (*calendar)(nil).isWorkday(d.Time) {
				bad(d.Line, "campaign.workdays: %s (%s) is a working day already; list only the weekends and holidays that become working days (调休)",
					d.Format(time.DateOnly), weekdayNames[d.Weekday()])
			}
		}
	}
}

var weekdayNames = [...]string{"星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"}

// dateStrings renders dates as 2006-01-02, sorted.
func dateStrings(ds []Date) []string {
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.Format(time.DateOnly))
	}
	slices.Sort(out)
	return out
}

// CalendarGap returns, for doctor and campaign apply, the years of c's
// calendar (from the monthly reports' start to its last report or
// milestone) that the calendar library does not cover and the campaign file
// declares no holiday in: their holidays would be missed and reminders land
// on days off. Empty when there is none.
func CalendarGap(ctx context.Context, st *store.Store, c *store.Campaign) ([]int, error) {
	last, err := time.Parse(time.DateOnly, c.Settings.MonthlyReport.Until)
	if err != nil {
		last = time.Time{}
	}
	ms, err := st.Milestones(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if d := civil(m.DueOn); d.After(last) {
			last = d
		}
	}
	declared := map[int]bool{}
	for _, h := range c.Settings.Holidays {
		if t, err := time.Parse(time.DateOnly, h); err == nil {
			declared[t.Year()] = true
		}
	}
	var gap []int
	for y := libraryLastYear + 1; y <= last.Year(); y++ {
		if !declared[y] {
			gap = append(gap, y)
		}
	}
	return gap, nil
}

// CalendarGapText says in one line what a gap means and how to close it.
func CalendarGapText(years []int) string {
	ys := make([]string, len(years))
	for i, y := range years {
		ys[i] = fmt.Sprint(y)
	}
	return fmt.Sprintf("the campaign runs into %s, past the holiday tables (they end in %d), and its file declares no holidays there: "+
		"add that year's days off and 调休 workdays from the State Council's notice as campaign.holidays and campaign.workdays",
		strings.Join(ys, ", "), libraryLastYear)
}
