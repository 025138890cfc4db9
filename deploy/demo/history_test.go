package demo

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"zhenggai/handlers"
	"zhenggai/store"
	"zhenggai/store/storetest"
)

func apply(t *testing.T, ctx context.Context, st *store.Store, path string) *store.Campaign {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := handlers.ParseCampaignFile(path, data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := handlers.ApplyCampaign(ctx, st, f, store.System); err != nil {
		t.Fatal(err)
	}
	c, err := st.CurrentCampaign(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// TestLoadPlaysAHistory: on 2026-12-06 the demo has a dozen items in every
// state, four months of reports (义马 once late, the 支队 once late, 卢氏
// owing November), an answered and rated request and a waiting one; a
// second load and a real campaign are refused.
func TestLoadPlaysAHistory(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	c := apply(t, ctx, st, "../campaigns/demo.yaml")
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, shanghai)
	res, err := Load(ctx, st, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Items != 13 || res.Requests != 2 || res.Reports != 15 || res.Clues != 3 {
		t.Fatalf("played %+v", res)
	}
	items, err := st.LedgerItems(ctx, c.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	byStatus := map[string]int{}
	overdue := 0
	for _, it := range items {
		byStatus[it.Status]++
		if it.Status != store.ItemClosed && it.DueOn.Before(time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)) {
			overdue++
		}
	}
	want := map[string]int{store.ItemClosed: 3, store.ItemCloseRequested: 2, store.ItemLongTerm: 1, store.ItemInProgress: 7}
	for k, v := range want {
		if byStatus[k] != v {
			t.Errorf("%s: %d items, want %d (all: %v)", k, byStatus[k], v, byStatus)
		}
	}
	if overdue != 1 {
		t.Errorf("%d overdue items, want 1", overdue)
	}
	unit := func(key string) int64 {
		u, err := st.UnitByKey(ctx, c.ID, key)
		if err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	got, err := st.ReportedPeriods(ctx, unit("lushi"), []string{"2026-08", "2026-09", "2026-10", "2026-11"})
	if err != nil {
		t.Fatal(err)
	}
	if !got["2026-10"] || got["2026-11"] {
		t.Errorf("卢氏 reported %v, want up to October and owing November", got)
	}
	late, err := st.MonthlyReportOf(ctx, unit("yima"), "2026-09")
	if err != nil {
		t.Fatal(err)
	}
	if late.OnTime {
		t.Errorf("义马's September report is on time, want late")
	}
	onTime, err := st.MonthlyReportOf(ctx, unit("lingbao"), "2026-11")
	if err != nil || !onTime.OnTime {
		t.Errorf("灵宝's November report: %+v, %v", onTime, err)
	}
	var reqs []*store.EnterpriseRequest
	for _, n := range []string{"QY-2026-0001", "QY-2026-0002"} {
		q, err := st.EnterpriseRequestByNumber(ctx, c.ID, n)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		reqs = append(reqs, q)
	}
	states := map[string]int{}
	for _, q := range reqs {
		states[q.State]++
		if q.State == store.RequestClosed && (q.Rating == nil || *q.Rating != store.RatingSatisfied) {
			t.Errorf("closed request %s not rated 满意: %v", q.Number, q.Rating)
		}
	}
	if states[store.RequestClosed] != 1 || states[store.RequestOpen] != 1 {
		t.Errorf("requests by state %v", states)
	}
	clues, err := st.Clues(ctx, c.ID, store.ClueFilter{}, time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	clueStates := map[string]int{}
	for _, x := range clues {
		clueStates[x.State]++
	}
	if clueStates[store.ClueConverted] != 1 || clueStates[store.ClueNew] != 1 || clueStates[store.ClueAnswered] != 1 {
		t.Errorf("clues by state %v", clueStates)
	}
	// The chats read as they were lived: the group of 灵宝 holds the
	// liaison's words and the bot's cards, at the history's instants.
	ms, err := st.SimMessages(ctx, handlers.SimGroupChat("lingbao"), 500)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < 20 || !ms[0].CreatedAt.Before(now.AddDate(0, -2, 0)) {
		t.Errorf("灵宝's group has %d messages, first at %v", len(ms), ms[0].CreatedAt)
	}
	if _, err := Load(ctx, st, now, nil); !errors.Is(err, ErrNotEmpty) {
		t.Errorf("second load: %v, want ErrNotEmpty", err)
	}
}

// TestLoadRefusesARealCampaign: the bureau's own campaign is never played
// into.
func TestLoadRefusesARealCampaign(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	apply(t, ctx, st, "../campaigns/sanmenxia-2023.yaml")
	if _, err := Load(ctx, st, time.Date(2023, 9, 1, 10, 0, 0, 0, shanghai), nil); !errors.Is(err, ErrNotDemo) {
		t.Fatalf("load into sanmenxia: %v, want ErrNotDemo", err)
	}
}

// TestLoadLaterInTheCampaign: the same history, relative to another today.
func TestLoadLaterInTheCampaign(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	apply(t, ctx, st, "../campaigns/demo.yaml")
	res, err := Load(ctx, st, time.Date(2027, 1, 12, 9, 0, 0, 0, shanghai), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Items != 13 || res.Reports != 19 {
		t.Fatalf("played %+v", res)
	}
}

// TestLoadOnEveryDayOfTheCampaign: whatever today is, the history plays:
// steps that fall on days off move to the workday before, and steps that
// depend on each other keep their order when they land on the same day.
func TestLoadOnEveryDayOfTheCampaign(t *testing.T) {
	if testing.Short() {
		t.Skip("plays the history many times")
	}
	ctx := context.Background()
	for day := time.Date(2026, 9, 20, 9, 0, 0, 0, shanghai); day.Before(time.Date(2027, 2, 10, 0, 0, 0, 0, shanghai)); day = day.AddDate(0, 0, 3) {
		t.Run(day.Format(time.DateOnly), func(t *testing.T) {
			st := storetest.TestStore(ctx, t) // rolled back when the subtest ends
			apply(t, ctx, st, "../campaigns/demo.yaml")
			if _, err := Load(ctx, st, day, nil); err != nil {
				t.Fatalf("today %s: %v", day.Format(time.DateOnly), err)
			}
		})
	}
}
