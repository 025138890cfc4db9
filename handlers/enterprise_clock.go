package handlers

import (
	"time"

	"zhenggai/store"
)

// The answer clock of an enterprise request counts working hours on
// workdays (request_answer_hours of the campaign file): 09:00–12:00 and
// 13:00–18:00 in the campaign's time zone, eight hours a day, on the days
// isWorkday calls working days (weekends and public holidays off, 调休
// weekends on). A message that comes in the evening starts its clock the
// next working morning.

// workingSpans are the working periods of a day, in minutes after midnight.
var workingSpans = [][2]int{{9 * 60, 12 * 60}, {13 * 60, 18 * 60}}

// defaultAutocloseDays is how long an answered request waits for the
// enterprise's rating before it closes itself (request_autoclose_days).
const defaultAutocloseDays = 7

// autocloseDays is the campaign's request_autoclose_days.
func autocloseDays(c *store.Campaign) int {
	if c == nil || c.Settings.RequestAutocloseDays <= 0 {
		return defaultAutocloseDays
	}
	return c.Settings.RequestAutocloseDays
}

// defaultAnswerHours applies when the campaign file gives none.
const defaultAnswerHours = 24

// answerHours is the campaign's answer clock in working hours.
func answerHours(c *store.Campaign) int {
	if c == nil || c.Settings.RequestAnswerHours <= 0 {
		return defaultAnswerHours
	}
	return c.Settings.RequestAnswerHours
}

// addWorkingHours returns the instant at which hours working hours have
// passed since start, in loc, on cal's workdays.
func addWorkingHours(cal *calendar, start time.Time, hours int, loc *time.Location) time.Time {
	if hours <= 0 {
		return start
	}
	remaining := time.Duration(hours) * time.Hour
	t := start.In(loc)
	for range 3700 { // ten years of days: a bound, never reached
		y, m, d := t.Date()
		if cal.isWorkday(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)) {
			for _, sp := range workingSpans {
				from := time.Date(y, m, d, sp[0]/60, sp[0]%60, 0, 0, loc)
				to := time.Date(y, m, d, sp[1]/60, sp[1]%60, 0, 0, loc)
				if t.Before(from) {
					t = from
				}
				if !t.Before(to) {
					continue
				}
				if avail := to.Sub(t); remaining <= avail {
					return t.Add(remaining)
				} else {
					remaining -= avail
					t = to
				}
			}
		}
		t = time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	}
	return t
}
