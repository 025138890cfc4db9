package bot

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"zhenggai/store"
)

// queueCollector reports the delivery queue and the scheduler from Postgres
// on every scrape, so that every replica reports the same, database-wide
// figures (alert on max() across replicas). The alerts they serve are in
// deploy/k8s/monitoring/prometheusrule.yaml.
type queueCollector struct {
	store *store.Store
	clock Clock
	log   *slog.Logger

	up, queued, oldestDue, leaseExpiry, lastRun, files, fileBytes *prometheus.Desc
}

// NewQueueCollector returns a Prometheus collector of the delivery queue
// (zhenggai_deliveries_queued, zhenggai_deliveries_oldest_due_seconds) and
// the scheduler (zhenggai_scheduler_lease_expiry_timestamp_seconds,
// zhenggai_scheduler_last_run_timestamp_seconds), read from st on each
// scrape with a 2 s timeout. Register it on the bot's registry:
//
//	b.Metrics().Registry.MustRegister(bot.NewQueueCollector(st, b.Clock(), log))
func NewQueueCollector(st *store.Store, clock Clock, log *slog.Logger) prometheus.Collector {
	if clock == nil {
		clock = SystemClock{}
	}
	if log == nil {
		log = slog.Default()
	}
	return &queueCollector{
		store: st, clock: clock, log: log,
		up: prometheus.NewDesc("zhenggai_queue_stats_up",
			"1 when the queue figures below could be read from Postgres.", nil, nil),
		queued: prometheus.NewDesc("zhenggai_deliveries_queued",
			"Deliveries waiting (pending, sending) or given up on (failed), database-wide.", []string{"state"}, nil),
		oldestDue: prometheus.NewDesc("zhenggai_deliveries_oldest_due_seconds",
			"How long the longest-waiting due delivery has been due; 0 when none is.", nil, nil),
		leaseExpiry: prometheus.NewDesc("zhenggai_scheduler_lease_expiry_timestamp_seconds",
			"When the scheduler leader's lease runs out (Unix time); 0 when no replica holds it.", nil, nil),
		lastRun: prometheus.NewDesc("zhenggai_scheduler_last_run_timestamp_seconds",
			"When a schedule occurrence was last planned or skipped (Unix time); 0 when never.", nil, nil),
		files: prometheus.NewDesc("zhenggai_files_stored",
			"Files (佐证 and attachments) stored in Postgres.", nil, nil),
		fileBytes: prometheus.NewDesc("zhenggai_files_bytes",
			"Total size of the stored files' content, in bytes.", nil, nil),
	}
}

// Describe sends the collector's descriptors.
func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.up, c.queued, c.oldestDue, c.leaseExpiry, c.lastRun, c.files, c.fileBytes} {
		ch <- d
	}
}

// Collect reads the figures; when Postgres does not answer it reports only
// zhenggai_queue_stats_up 0, so that the scrape itself still succeeds.
func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := c.store.OutboxStats(ctx, c.clock.Now())
	if err != nil {
		c.log.Warn("Queue metrics unavailable", slog.Any("error", err))
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	for state, n := range map[string]int{store.DeliveryPending: st.Pending, store.DeliverySending: st.Sending,
		store.DeliveryFailed: st.Failed} {
		ch <- prometheus.MustNewConstMetric(c.queued, prometheus.GaugeValue, float64(n), state)
	}
	ch <- prometheus.MustNewConstMetric(c.oldestDue, prometheus.GaugeValue, st.OldestDue.Seconds())
	ch <- prometheus.MustNewConstMetric(c.leaseExpiry, prometheus.GaugeValue, unixSeconds(st.LeaseExpires))
	ch <- prometheus.MustNewConstMetric(c.lastRun, prometheus.GaugeValue, unixSeconds(st.LastRun))
	if fs, err := c.store.Files(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(c.files, prometheus.GaugeValue, float64(fs.Count))
		ch <- prometheus.MustNewConstMetric(c.fileBytes, prometheus.GaugeValue, float64(fs.Bytes))
	}
}

func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixMilli()) / 1000
}
