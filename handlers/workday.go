package handlers

import (
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"

	"zhenggai/store"
)

// Workdays follow the official Chinese calendar: weekends and public
// holidays are days off, and the 调休 weekends (2023-10-07/08 after National
// Day) are working days. The tables come from lunar-go's HolidayUtil, which
// carries the State Council's notices from 2001 to 2027 (libraryLastYear);
// the campaign file adds the days of later notices (campaign.holidays and
// campaign.workdays), which win over the library. Outside both only
// weekends are days off, and doctor warns of a campaign that runs there.
//
// A "day" here is a civil date: midnight UTC of that date, whatever the
// campaign's time zone (see dayOf).

// dayOf returns the civil date of t in loc.
func dayOf(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// civil returns the civil date of a date column (pgx scans date as UTC
// midnight already; this drops any clock part).
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// calendar is a campaign's working calendar: the library's tables and the
// campaign file's own days off and 调休 workdays. The nil calendar is the
// library alone.
type calendar struct {
	off, work map[time.Time]bool
}

// calendarOf returns c's calendar; nil (the library alone) when c declares
// no days of its own.
func calendarOf(c *store.Campaign) *calendar {
	if c == nil || len(c.Settings.Holidays)+len(c.Settings.Workdays) == 0 {
		return nil
	}
	cal := &calendar{off: map[time.Time]bool{}, work: map[time.Time]bool{}}
	for _, list := range []struct {
		days []string
		into map[time.Time]bool
	}{{c.Settings.Holidays, cal.off}, {c.Settings.Workdays, cal.work}} {
		for _, s := range list.days {
			if t, err := time.Parse(time.DateOnly, s); err == nil {
				list.into[t] = true
			}
		}
	}
	return cal
}

// isWorkday reports whether day is a working day.
func (cal *calendar) isWorkday(day time.Time) bool {
	if cal != nil {
		if cal.work[day] {
			return true
		}
		if cal.off[day] {
			return false
		}
	}
	if h := HolidayUtil.GetHolidayByYmd(day.Year(), int(day.Month()), day.Day()); h != nil {
		return h.IsWork()
	}
	wd := day.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// onOrBeforeWorkday returns day when it is a workday, else the workday
// before it: where a reminder for a day off moves.
func (cal *calendar) onOrBeforeWorkday(day time.Time) time.Time {
	for i := 0; i < 30 && !cal.isWorkday(day); i++ {
		day = day.AddDate(0, 0, -1)
	}
	return day
}

// nextWorkday returns the first workday strictly after day: where a notice
// for "the day after" a deadline lands.
func (cal *calendar) nextWorkday(day time.Time) time.Time {
	day = day.AddDate(0, 0, 1)
	for i := 0; i < 30 && !cal.isWorkday(day); i++ {
		day = day.AddDate(0, 0, 1)
	}
	return day
}

// addWorkdays returns the n-th workday after day (n >= 0; n = 0 is day).
func (cal *calendar) addWorkdays(day time.Time, n int) time.Time {
	for range n {
		day = cal.nextWorkday(day)
	}
	return day
}

// libraryLastYear is the last year lunar-go's tables cover: the newest year
// with a holiday in them.
var libraryLastYear = func() int {
	last := 0
	for y := 2001; y < 2200; y++ {
		if HolidayUtil.GetHolidaysByYear(y).Len() > 0 {
			last = y
		}
	}
	return last
}()
