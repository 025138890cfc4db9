package handlers

import (
	"testing"
	"time"
)

func d(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestWorkdays(t *testing.T) {
	t.Parallel()
	cases := []struct {
		day  string
		work bool
	}{
		{"2023-04-23", true},  // Sunday, 调休 for May Day
		{"2023-05-01", false}, // 劳动节
		{"2023-05-03", false},
		{"2023-05-06", true},  // Saturday, 调休
		{"2023-06-22", false}, // 端午节
		{"2023-06-23", false},
		{"2023-06-25", true},  // Sunday, 调休
		{"2023-09-29", false}, // 中秋节
		{"2023-10-06", false},
		{"2023-10-07", true}, // Saturday, 调休
		{"2023-10-08", true}, // Sunday, 调休
		{"2023-10-09", true},
		{"2023-10-14", false}, // plain Saturday
		{"2026-10-01", false}, // 2026 National Day
		{"2026-11-26", true},
		{"2027-02-08", false}, // 2027 Spring Festival
	}
	for _, c := range cases {
		if got := isWorkday(d(c.day)); got != c.work {
			t.Errorf("isWorkday(%s) = %v, want %v", c.day, got, c.work)
		}
	}
	if got := onOrBeforeWorkday(d("2023-06-23")); !got.Equal(d("2023-06-21")) {
		t.Errorf("onOrBeforeWorkday(06-23) = %s", got.Format(time.DateOnly))
	}
	if got := nextWorkday(d("2023-06-23")); !got.Equal(d("2023-06-25")) {
		t.Errorf("nextWorkday(06-23) = %s", got.Format(time.DateOnly))
	}
	if got := addWorkdays(d("2023-09-28"), 2); !got.Equal(d("2023-10-08")) {
		t.Errorf("addWorkdays(09-28, 2) = %s", got.Format(time.DateOnly))
	}
}
