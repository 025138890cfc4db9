package handlers

import (
	"testing"
	"time"
)

func TestAddWorkingHours(t *testing.T) {
	cases := []struct {
		start string
		hours int
		want  string
	}{
		// Thursday 10:00 + 24 working hours = three working days later.
		{"2026-11-26 10:00", 24, "2026-12-01 10:00"},
		{"2026-11-26 10:00", 2, "2026-11-26 12:00"},
		{"2026-11-26 11:00", 2, "2026-11-26 14:00"}, // over lunch
		{"2026-11-26 20:00", 1, "2026-11-27 10:00"}, // evening: next morning
		{"2026-11-27 17:00", 2, "2026-11-30 10:00"}, // Friday over the weekend
		{"2026-11-28 10:00", 0, "2026-11-28 10:00"},
		// National Day 2026: October 1–7 off; 2026-09-30 (Wed) 17:00 + 2h.
		{"2026-09-30 17:00", 2, "2026-10-08 10:00"},
	}
	for _, c := range cases {
		got := addWorkingHours(nil, at(c.start[:10], c.start[11:]), c.hours, shanghai)
		if want := at(c.want[:10], c.want[11:]); !got.Equal(want) {
			t.Errorf("%s + %dh = %s, want %s", c.start, c.hours, got.In(shanghai).Format(time.DateTime), c.want)
		}
	}
}
