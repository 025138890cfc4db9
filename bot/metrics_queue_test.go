package bot

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"zhenggai/store"
	"zhenggai/store/storetest"
)

// gauges gathers reg into "name{label=value}" → value.
func gauges(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(labels)
			name := mf.GetName()
			if len(labels) > 0 {
				name += "{" + strings.Join(labels, ",") + "}"
			}
			out[name] = m.GetGauge().GetValue()
		}
	}
	return out
}

func TestQueueCollector(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	now := time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC)
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewQueueCollector(st, NewFixedClock(now), nil))

	g := gauges(t, reg)
	for name, want := range map[string]float64{
		"zhenggai_queue_stats_up": 1, "zhenggai_deliveries_oldest_due_seconds": 0,
		"zhenggai_deliveries_queued{state=pending}": 0, "zhenggai_deliveries_queued{state=failed}": 0,
		"zhenggai_scheduler_last_run_timestamp_seconds": 0,
	} {
		if got, ok := g[name]; !ok || got != want {
			t.Errorf("empty queue: %s = %v (present %v), want %v", name, got, ok, want)
		}
	}

	// Two due 10 and 3 minutes ago, one due in an hour, one given up on.
	for i, due := range []time.Duration{-10 * time.Minute, -3 * time.Minute, time.Hour, -time.Hour} {
		key := "k" + string(rune('a'+i))
		d := &store.Delivery{Key: &key, Platform: "sim", ChatID: "d:p:x", Payload: []byte(`{"text":"x"}`), NextAttemptAt: now.Add(due)}
		if _, err := st.EnqueueDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
		if i == 3 {
			if err := st.FailDelivery(ctx, d.ID, "gone"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if ok, err := st.AcquireLease(ctx, "scheduler", "replica-a", 30*time.Second); err != nil || !ok {
		t.Fatalf("lease: %v %v", ok, err)
	}
	got, err := st.OutboxStats(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if got.Pending != 3 || got.Failed != 1 || got.Sending != 0 || got.OldestDue != 10*time.Minute {
		t.Errorf("stats = %+v, want 3 pending, 1 failed, oldest due 10m", got)
	}
	if got.LeaseExpires.IsZero() || !got.LastRun.IsZero() {
		t.Errorf("lease %v, last run %v: want a lease and no run", got.LeaseExpires, got.LastRun)
	}
	g = gauges(t, reg)
	for name, want := range map[string]float64{
		"zhenggai_deliveries_oldest_due_seconds":    600,
		"zhenggai_deliveries_queued{state=pending}": 3, "zhenggai_deliveries_queued{state=sending}": 0,
		"zhenggai_deliveries_queued{state=failed}": 1,
	} {
		if g[name] != want {
			t.Errorf("%s = %v, want %v", name, g[name], want)
		}
	}
	if g["zhenggai_scheduler_lease_expiry_timestamp_seconds"] < float64(got.LeaseExpires.Unix()) {
		t.Errorf("lease expiry metric %v, want %v", g["zhenggai_scheduler_lease_expiry_timestamp_seconds"], got.LeaseExpires.Unix())
	}
}
