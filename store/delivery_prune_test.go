package store_test

import (
	"context"
	"testing"
	"time"

	"zhenggai/store/storetest"
)

// TestPruneDeliveries: with the clock moved past the retention, delivered
// rows whose key can never be planned again go; undelivered rows and keys
// the planner may still produce stay.
func TestPruneDeliveries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	sent := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	rows := []struct {
		key   any // nil: no key
		state string
		gone  bool
	}{
		{nil, "sent", true},
		{nil, "pending", false},
		{nil, "failed", false},
		{"ereq-msg:7:1772355600000000000", "sent", true},
		{"monthly:2026-02:lingbao:T-3:p:li-y", "sent", true},
		{"monthly:2026-02:lingbao:T-3:p:li-x", "superseded", true},
		{"monthly:2026-04:lingbao:T-3:p:li-y", "sent", false}, // its period is not two months past
		{"item:42:2026-02-27:soon:p:li-y", "sent", true},
		{"item:43:2026-05-01:soon:p:li-y", "sent", false}, // sent early, its deadline is within the retention
		{"item-escalation:2026-03-02:office:c:sim:g:office", "sent", true},
		{"digest-office:smx:2026-03-01:fp:ab12:p:lu-xm", "sent", true},
		{"audit-anchor:smx:2026-03-01:c:sim:g:office", "sent", true},
		{"milestone:plan:lingbao:T-3:p:li-y", "sent", false},        // no day of its own
		{"ereq:Q-2026-0007:w1772355600:late:p:wang", "sent", false}, // planned while the request waits
		{"monthly:2026-02:lingbao:T-3:p:li-z", "pending", false},
	}
	for _, r := range rows {
		if _, err := st.DB().Exec(ctx, `INSERT INTO deliveries (key, platform, payload, state, sent_at)
			VALUES ($1, 'sim', '{}', $2, CASE WHEN $2 IN ('sent', 'superseded') THEN $3::timestamptz END)`, r.key, r.state, sent); err != nil {
			t.Fatal(err)
		}
	}
	// Within the retention nothing goes.
	if n, err := st.PruneDeliveries(ctx, sent.Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("before the cutoff: %d pruned, %v", n, err)
	}
	cutoff := time.Date(2026, 4, 15, 0, 0, 0, 0, time.UTC)
	if _, err := st.PruneDeliveries(ctx, cutoff); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		var n int
		if err := st.DB().QueryRow(ctx, `SELECT count(*) FROM deliveries WHERE key IS NOT DISTINCT FROM $1 AND state = $2`, r.key, r.state).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if gone := n == 0; gone != r.gone {
			t.Errorf("%v (%s): pruned %v, want %v", r.key, r.state, gone, r.gone)
		}
	}
}
