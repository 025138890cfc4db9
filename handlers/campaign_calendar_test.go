package handlers

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"zhenggai/store/storetest"
)

// withCalendar returns the demo campaign file with campaign.holidays and
// campaign.workdays lines added.
func withCalendar(t *testing.T, lines string) []byte {
	t.Helper()
	data, err := os.ReadFile("../deploy/campaigns/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(data), "  request_answer_hours: 24\n", "  request_answer_hours: 24\n"+lines, 1)
	if s == string(data) {
		t.Fatal("demo.yaml has no request_answer_hours line to add after")
	}
	return []byte(s)
}

func TestCampaignFileCalendarDays(t *testing.T) {
	t.Parallel()
	f, err := ParseCampaignFile("demo.yaml", withCalendar(t, "  holidays: [2028-01-26, 2028-01-27]\n  workdays: [2028-01-22]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := dateStrings(f.Campaign.Holidays); strings.Join(got, " ") != "2028-01-26 2028-01-27" {
		t.Errorf("holidays %v", got)
	}
	for _, c := range []struct{ lines, want string }{
		{"  holidays: [2028-02-30]\n", `"2028-02-30" is not a date`},
		{"  holidays: [2028-01-26, 2028-01-26]\n", "lists 2028-01-26 twice"},
		{"  holidays: [2028-01-22]\n  workdays: [2028-01-22]\n", "2028-01-22 is in both"},
		{"  workdays: [2028-01-25]\n", "2028-01-25 (星期二) is a working day already"},
		{"  holiday: [2028-01-26]\n", `unknown key "holiday"`},
	} {
		_, err := ParseCampaignFile("demo.yaml", withCalendar(t, c.lines))
		if !errors.Is(err, ErrBadCampaignFile) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "demo.yaml:") {
			t.Errorf("%q: got %v, want %q with its line", c.lines, err, c.want)
		}
	}
}

// TestCampaignHolidayMovesReminders: a holiday the campaign file declares
// moves the reminders like the library's: with 2026-11-23 (the November due
// date, a Monday) declared off, the T-0 reminder goes out on Friday the
// 20th, where otherwise T-1 would; and doctor's gap check names the years
// past the library that declare nothing.
func TestCampaignHolidayMovesReminders(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name     string
		holidays []Date
		want     string
	}{
		{"library", nil, "monthly:2026-11:T-1"},
		{"declared", []Date{{Time: d("2026-11-23")}}, "monthly:2026-11:T-0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := storetest.TestStore(ctx, t)
			f := newPlanFixture(t, ctx, st, "../deploy/campaigns/demo.yaml")
			if c.holidays != nil {
				f.camp, _ = applyCampaignFile(t, ctx, st, "../deploy/campaigns/demo.yaml", func(f *CampaignFile) { f.Campaign.Holidays = c.holidays })
			}
			got := summarize(f.tick(t, at("2026-11-20", "09:00")), true)
			if !strings.Contains(got, c.want+"=") {
				t.Errorf("on 2026-11-20 got %q, want %s", got, c.want)
			}
		})
	}

	st := storetest.TestStore(ctx, t)
	camp, _ := applyCampaignFile(t, ctx, st, "../deploy/campaigns/demo.yaml", func(f *CampaignFile) {
		f.Campaign.MonthlyReport.Until = Date{Time: d("2029-06-30")}
		f.Campaign.Holidays = []Date{{Time: d("2028-01-26")}}
	})
	gap, err := CalendarGap(ctx, st, camp)
	if err != nil {
		t.Fatal(err)
	}
	var want []int
	for y := libraryLastYear + 1; y <= 2029; y++ {
		if y != 2028 {
			want = append(want, y)
		}
	}
	if !slices.Equal(gap, want) || len(want) == 0 {
		t.Errorf("gap %v, want %v", gap, want)
	}
	if text := CalendarGapText(gap); !strings.Contains(text, "campaign.holidays") {
		t.Errorf("gap text %q", text)
	}
	camp.Settings.MonthlyReport.Until = "2027-01-31"
	camp.Settings.Holidays = nil
	if gap, _ := CalendarGap(ctx, st, camp); len(gap) != 0 {
		t.Errorf("the demo (until 2027) has a gap %v", gap)
	}
}
