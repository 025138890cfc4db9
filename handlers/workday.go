package handlers

import (
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
)

// Workdays follow the official Chinese calendar: weekends and public
// holidays are days off, and the 调休 weekends (2023-10-07/08 after National
// Day) are working days. The tables come from lunar-go's HolidayUtil, which
// carries the State Council's notices from 2001 to 2027; outside them only
// weekends are days off.
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

// isWorkday reports whether day is a working day.
func isWorkday(day time.Time) bool {
	if h := HolidayUtil.GetHolidayByYmd(day.Year(), int(day.Month()), day.Day()); h != nil {
		return h.IsWork()
	}
	wd := day.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// onOrBeforeWorkday returns day when it is a workday, else the workday
// before it: where a reminder for a day off moves.
func onOrBeforeWorkday(day time.Time) time.Time {
	for i := 0; i < 30 && !isWorkday(day); i++ {
		day = day.AddDate(0, 0, -1)
	}
	return day
}

// nextWorkday returns the first workday strictly after day: where a notice
// for "the day after" a deadline lands.
func nextWorkday(day time.Time) time.Time {
	day = day.AddDate(0, 0, 1)
	for i := 0; i < 30 && !isWorkday(day); i++ {
		day = day.AddDate(0, 0, 1)
	}
	return day
}

// addWorkdays returns the n-th workday after day (n >= 0; n = 0 is day).
func addWorkdays(day time.Time, n int) time.Time {
	for range n {
		day = nextWorkday(day)
	}
	return day
}
