package handlers

import (
	"testing"
	"time"

	"zhenggai/store"
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
	var lib *calendar // the library's tables alone
	for _, c := range cases {
		if got := lib.isWorkday(d(c.day)); got != c.work {
			t.Errorf("isWorkday(%s) = %v, want %v", c.day, got, c.work)
		}
	}
	if got := lib.onOrBeforeWorkday(d("2023-06-23")); !got.Equal(d("2023-06-21")) {
		t.Errorf("onOrBeforeWorkday(06-23) = %s", got.Format(time.DateOnly))
	}
	if got := lib.nextWorkday(d("2023-06-23")); !got.Equal(d("2023-06-25")) {
		t.Errorf("nextWorkday(06-23) = %s", got.Format(time.DateOnly))
	}
	if got := lib.addWorkdays(d("2023-09-28"), 2); !got.Equal(d("2023-10-08")) {
		t.Errorf("addWorkdays(09-28, 2) = %s", got.Format(time.DateOnly))
	}
}

// TestCampaignCalendar: days the campaign file declares win over the
// library (a 2028 Spring Festival and its 调休 Saturday), days it does not
// declare fall back to it, and the library's last year is found.
func TestCampaignCalendar(t *testing.T) {
	t.Parallel()
	if libraryLastYear < 2027 {
		t.Fatalf("libraryLastYear = %d", libraryLastYear)
	}
	if calendarOf(&store.Campaign{}) != nil {
		t.Error("a campaign without days of its own has a calendar")
	}
	cal := calendarOf(&store.Campaign{Settings: store.CampaignSettings{
		Holidays: []string{"2028-01-26", "2028-01-27", "2028-01-28"},
		Workdays: []string{"2028-01-22", "2023-10-14"},
	}})
	for day, work := range map[string]bool{
		"2028-01-26": false, // a Wednesday declared off
		"2028-01-22": true,  // a Saturday declared a workday
		"2028-01-25": true,  // an undeclared Tuesday
		"2028-01-29": false, // an undeclared Saturday
		"2023-10-14": true,  // declared over the library's plain Saturday
		"2023-10-02": false, // the library's National Day, not declared
	} {
		if got := cal.isWorkday(d(day)); got != work {
			t.Errorf("isWorkday(%s) = %v, want %v", day, got, work)
		}
	}
	if got := cal.nextWorkday(d("2028-01-25")); !got.Equal(d("2028-01-31")) {
		t.Errorf("nextWorkday(2028-01-25) = %s, want 2028-01-31 (Monday after the declared holiday and the weekend)", got.Format(time.DateOnly))
	}
	if got := cal.onOrBeforeWorkday(d("2028-01-28")); !got.Equal(d("2028-01-25")) {
		t.Errorf("onOrBeforeWorkday(2028-01-28) = %s", got.Format(time.DateOnly))
	}
}
