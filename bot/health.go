package bot

import (
	"sync"
	"time"
)

// Health is the state of an adapter's long connection.
type Health struct {
	Connected bool
	LastFrame time.Time
	Detail    string
}

// ConnHealth is a long connection's state, kept by its adapter as the
// connection comes up, goes down and receives frames. Each change also
// sets the platform's metrics (zhenggai_long_connection_up and
// zhenggai_long_connection_last_frame_timestamp_seconds), so they are
// current whether or not anything asks /readyz. Safe for concurrent use;
// metrics may be nil.
type ConnHealth struct {
	platform Platform
	metrics  *Metrics

	mu        sync.Mutex
	connected bool
	lastFrame time.Time
	detail    string
}

// NewConnHealth returns the state of platform's connection, connected or
// not to begin with (a webhook mode has nothing to lose: connected).
func NewConnHealth(platform Platform, metrics *Metrics, connected bool, detail string) *ConnHealth {
	h := &ConnHealth{platform: platform, metrics: metrics}
	h.mu.Lock()
	h.connected, h.detail = connected, detail
	h.setUp()
	h.mu.Unlock()
	return h
}

// Set records the connection up or down, with a detail for /readyz; a
// connection coming up counts as a frame.
func (h *ConnHealth) Set(connected bool, detail string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.connected, h.detail = connected, detail
	h.setUp()
	if connected {
		h.frame(time.Now())
	}
}

// Frame records a frame (an event, a callback, the server's ping) at t.
func (h *ConnHealth) Frame(t time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.frame(t)
}

// Health returns the connection's state.
func (h *ConnHealth) Health() Health {
	h.mu.Lock()
	defer h.mu.Unlock()
	return Health{Connected: h.connected, LastFrame: h.lastFrame, Detail: h.detail}
}

func (h *ConnHealth) setUp() {
	if h.metrics != nil {
		v := 0.0
		if h.connected {
			v = 1
		}
		h.metrics.ConnectionUp.WithLabelValues(string(h.platform)).Set(v)
	}
}

func (h *ConnHealth) frame(t time.Time) {
	h.lastFrame = t
	if h.metrics != nil {
		h.metrics.LastFrame.WithLabelValues(string(h.platform)).Set(float64(t.UnixNano()) / 1e9)
	}
}
