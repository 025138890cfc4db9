package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server is the one HTTP server: each adapter's callbacks, /healthz,
// /readyz, /metrics, and whatever else main mounts (the simulator).
type Server struct {
	bot  *Bot
	mux  *http.ServeMux
	srv  *http.Server
	log  *slog.Logger
	addr string
}

// NewServer returns a server on addr with every adapter's callbacks mounted.
func NewServer(addr string, b *Bot) *Server {
	s := &Server{bot: b, mux: http.NewServeMux(), log: b.log, addr: addr}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(b.metrics.Registry, promhttp.HandlerOpts{}))
	for _, a := range b.Adapters() {
		if m, ok := a.(CallbackMounter); ok {
			m.Mount(s.mux, b)
		}
	}
	s.srv = &http.Server{
		Addr:              addr,
		Handler:           s.mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	return s
}

// Mux returns the server's mux, to mount more handlers before Start.
func (s *Server) Mux() *http.ServeMux { return s.mux }

// Listen binds the address and returns the listener; Serve uses it. Binding
// first lets main print the real address (":0" in tests).
func (s *Server) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return nil, fmt.Errorf("bot: listen on %s: %w", s.addr, err)
	}
	return ln, nil
}

// Serve serves on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("bot: serve: %w", err)
	}
	return nil
}

// Shutdown stops accepting requests and waits for those in flight.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.srv.Shutdown(ctx)
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// readiness is the body of /readyz.
type readiness struct {
	Ready       bool                  `json:"ready"`
	Database    string                `json:"database"`
	Connections map[string]connStatus `json:"connections,omitempty"`
}

type connStatus struct {
	Connected    bool    `json:"connected"`
	LastFrameAge float64 `json:"last_frame_age_seconds,omitempty"`
	Detail       string  `json:"detail,omitempty"`
}

// readyz pings Postgres and reports each long connection. It answers 503
// when the database does not answer, and only then: a replica whose
// connection to one platform is down still serves the others, their
// callbacks and the outbox, and the platform hands its events to the other
// replicas' connections. The adapters keep the connections' metrics.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	out := readiness{Ready: true, Database: "ok"}
	if err := s.bot.store.Ping(ctx); err != nil {
		out.Ready, out.Database = false, "down"
	}
	for _, a := range s.bot.Adapters() {
		hr, ok := a.(HealthReporter)
		if !ok {
			continue
		}
		h := hr.Health()
		cs := connStatus{Connected: h.Connected, Detail: h.Detail}
		if !h.LastFrame.IsZero() {
			cs.LastFrameAge = time.Since(h.LastFrame).Seconds()
		}
		if out.Connections == nil {
			out.Connections = map[string]connStatus{}
		}
		out.Connections[string(a.Platform())] = cs
	}
	w.Header().Set("Content-Type", "application/json")
	if !out.Ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(out)
}
