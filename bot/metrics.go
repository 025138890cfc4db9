package bot

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the bot's Prometheus metrics, on a registry of their own.
type Metrics struct {
	Registry         *prometheus.Registry
	EventsReceived   *prometheus.CounterVec
	EventsDuplicate  *prometheus.CounterVec
	EventsRejected   *prometheus.CounterVec
	HandlerSeconds   *prometheus.HistogramVec
	DeliveriesSent   *prometheus.CounterVec
	DeliveriesFailed *prometheus.CounterVec
	// FilesFetched counts inbound file downloads by outcome: ok, retry
	// (failed, tried again later) and lost (the platform will not serve it).
	FilesFetched *prometheus.CounterVec
	// ConnectionUp and LastFrame report long connections; their adapters
	// set them (ConnHealth).
	ConnectionUp *prometheus.GaugeVec
	LastFrame    *prometheus.GaugeVec
}

// NewMetrics registers the metrics on reg; nil makes a new registry with
// the Go and process collectors.
func NewMetrics(reg *prometheus.Registry) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m := &Metrics{
		Registry: reg,
		EventsReceived: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zhenggai_events_received_total", Help: "Inbound events decoded, by platform and kind.",
		}, []string{"platform", "kind"}),
		EventsDuplicate: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zhenggai_events_duplicate_total", Help: "Inbound events dropped as duplicates.",
		}, []string{"platform"}),
		EventsRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zhenggai_events_rejected_total", Help: "Callbacks refused (bad signature, stale, undecodable).",
		}, []string{"platform", "reason"}),
		HandlerSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "zhenggai_handler_seconds", Help: "Time to handle one event, transaction included.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"platform", "kind"}),
		DeliveriesSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zhenggai_deliveries_sent_total", Help: "Outbound messages sent.",
		}, []string{"platform"}),
		DeliveriesFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zhenggai_deliveries_failed_total", Help: "Outbound send attempts that failed.",
		}, []string{"platform", "permanent"}),
		FilesFetched: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zhenggai_files_fetched_total", Help: "Inbound file downloads, by platform and outcome (ok, retry, lost).",
		}, []string{"platform", "outcome"}),
		ConnectionUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "zhenggai_long_connection_up", Help: "1 when the platform's long connection is up.",
		}, []string{"platform"}),
		LastFrame: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "zhenggai_long_connection_last_frame_timestamp_seconds", Help: "When the long connection last received a frame (Unix time).",
		}, []string{"platform"}),
	}
	reg.MustRegister(m.EventsReceived, m.EventsDuplicate, m.EventsRejected, m.HandlerSeconds,
		m.DeliveriesSent, m.DeliveriesFailed, m.FilesFetched, m.ConnectionUp, m.LastFrame)
	return m
}
