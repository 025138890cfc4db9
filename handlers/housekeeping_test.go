package handlers

import (
	"context"
	"testing"
	"time"

	"zhenggai/store/storetest"
)

// TestHousekeepingNeverResends walks the seed's whole campaign (about 190
// days) day by day with the clock, planning and delivering at 08:30 and
// 09:00 and housekeeping every day, so that delivered rows are pruned once
// they are past the retention: no reminder key is ever queued twice, rows
// are pruned, and the keys that have no day of their own are kept.
func TestHousekeepingNeverResends(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	f := newPlanFixture(t, ctx, st, "../deploy/campaigns/sanmenxia-2023.yaml")
	f.addItem(t, "lingbao", "LB-2023-001", "2023-05-30", "张伟")
	f.addItem(t, "yima", "YM-2023-001", "2023-09-28", "")

	seen := map[string]string{}
	count := func(where string) (n int) {
		t.Helper()
		if err := st.DB().QueryRow(ctx, `SELECT count(*) FROM deliveries `+where).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var queued int
	for d := at("2023-04-28", "08:30"); !d.After(at("2023-11-01", "08:30")); d = d.AddDate(0, 0, 1) {
		for _, now := range []time.Time{d, d.Add(30 * time.Minute)} {
			f.h.Clock.Set(now)
			for _, k := range f.tick(t, now) {
				if first, dup := seen[k]; dup {
					t.Errorf("%s: key %s queued again (first on %s)", now.Format(time.DateOnly), k, first)
				}
				seen[k] = now.Format(time.DateOnly)
				queued++
			}
			f.h.Deliver()
		}
		f.h.Bot.Housekeep(ctx)
	}
	left := count("")
	if queued < 300 || left >= queued {
		t.Fatalf("%d keys queued, %d rows left: nothing was pruned", queued, left)
	}
	// The first months' reminders are gone; the milestones' are all kept.
	if n := count(`WHERE key LIKE 'monthly:2023-05:%' OR key LIKE 'item:%:2023-05-30:%' OR key LIKE 'digest%:2023-05-%'`); n != 0 {
		t.Errorf("%d rows of May's keys left after their retention", n)
	}
	if n := count(`WHERE key LIKE 'monthly:2023-10:%'`); n == 0 {
		t.Error("October's report reminders were pruned within their retention")
	}
	var milestones int
	for k := range seen {
		if len(k) > 10 && k[:10] == "milestone:" {
			milestones++
		}
	}
	if n := count(`WHERE key LIKE 'milestone:%'`); n != milestones || n == 0 {
		t.Errorf("%d milestone rows left of %d queued: keys without a day of their own must stay", n, milestones)
	}
	t.Logf("%d keys queued over the campaign, %d rows left", queued, left)
}

// TestHousekeepingForgetsExpiredDashLinks: the hourly housekeeping deletes
// 看板 login links past their ten minutes; a fresh one stays.
func TestHousekeepingForgetsExpiredDashLinks(t *testing.T) {
	f := newLgFixture(t)
	p, err := f.st.PersonByKey(f.ctx, "lu-xm")
	if err != nil {
		t.Fatal(err)
	}
	now := f.h.Clock.Now()
	if err := f.st.CreateDashToken(f.ctx, f.camp.ID, p.ID, "old-token", now.Add(-time.Hour), now.Add(-50*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := f.st.CreateDashToken(f.ctx, f.camp.ID, p.ID, "new-token", now, now.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	f.h.Bot.Housekeep(f.ctx)
	var n int
	if err := f.st.DB().QueryRow(f.ctx, `SELECT count(*) FROM dash_tokens`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d dashboard tokens left after housekeeping, want the fresh one", n)
	}
}
