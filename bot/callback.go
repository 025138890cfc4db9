package bot

import (
	"encoding/json"
	"log/slog"
	"net/http"
)

// Rejecter refuses a callback: it counts the refusal in
// zhenggai_events_rejected_total{platform,reason}, logs a warning (never the
// body) and answers status.
type Rejecter func(w http.ResponseWriter, r *http.Request, status int, reason string, err error)

// NewRejecter returns the Rejecter of platform p's callbacks, counting in
// the dispatcher's metrics (or fallback when it has none).
func NewRejecter(p Platform, d Dispatcher, fallback *Metrics, log *slog.Logger) Rejecter {
	metrics := fallback
	if m, ok := d.(interface{ Metrics() *Metrics }); ok && m.Metrics() != nil {
		metrics = m.Metrics()
	}
	return func(w http.ResponseWriter, r *http.Request, status int, reason string, err error) {
		if metrics != nil {
			metrics.EventsRejected.WithLabelValues(string(p), reason).Inc()
		}
		log.WarnContext(r.Context(), "Callback rejected", slog.String("path", r.URL.Path), slog.String("reason", reason),
			slog.String("remote", r.RemoteAddr), slog.Any("error", err))
		http.Error(w, http.StatusText(status), status)
	}
}

// WriteJSON answers a callback with v as JSON.
func WriteJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}
