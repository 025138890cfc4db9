package bot_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"zhenggai/bot"
	"zhenggai/store"
	"zhenggai/store/storetest"
)

// connAdapter is a platform with a long connection, kept in a ConnHealth.
type connAdapter struct {
	p    bot.Platform
	conn *bot.ConnHealth
}

func (a connAdapter) Platform() bot.Platform { return a.p }
func (a connAdapter) Send(context.Context, bot.Target, *bot.Message) (bot.MessageRef, error) {
	return bot.MessageRef{}, nil
}
func (a connAdapter) Health() bot.Health { return a.conn.Health() }

// TestConnHealthMetrics: the adapter's ConnHealth sets the metrics as the
// connection changes, with nobody asking /readyz.
func TestConnHealthMetrics(t *testing.T) {
	t.Parallel()
	m := bot.NewMetrics(nil)
	h := bot.NewConnHealth(bot.Feishu, m, false, "")
	up := m.ConnectionUp.WithLabelValues("feishu")
	if v := value(t, up); v != 0 {
		t.Errorf("before connecting: up %v", v)
	}
	h.Set(true, "")
	if v := value(t, up); v != 1 {
		t.Errorf("connected: up %v", v)
	}
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	h.Frame(at)
	if v := value(t, m.LastFrame.WithLabelValues("feishu")); v != float64(at.Unix()) {
		t.Errorf("last frame %v, want %d", v, at.Unix())
	}
	h.Set(false, "reconnecting")
	if v := value(t, up); v != 0 {
		t.Errorf("reconnecting: up %v", v)
	}
	if got := h.Health(); got.Connected || got.Detail != "reconnecting" || !got.LastFrame.Equal(at) {
		t.Errorf("health %+v", got)
	}
	bot.NewConnHealth(bot.DingTalk, nil, true, "http mode").Set(false, "x") // no metrics: nothing to set
}

// TestReadyz: /readyz is the database. A long connection that is down is
// reported in the body (and by its metric) and the replica stays ready for
// the other platforms; a database that does not answer makes it unready.
func TestReadyz(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := bot.NewMetrics(nil)
	ready := func(st *store.Store) (int, map[string]any) {
		t.Helper()
		b, err := bot.New(bot.Config{Store: st, Router: bot.NewRouter(), Metrics: m})
		if err != nil {
			t.Fatal(err)
		}
		b.AddAdapter(connAdapter{bot.Feishu, bot.NewConnHealth(bot.Feishu, m, false, "reconnecting")})
		up := bot.NewConnHealth(bot.DingTalk, m, false, "")
		up.Set(true, "")
		b.AddAdapter(connAdapter{bot.DingTalk, up})
		w := httptest.NewRecorder()
		bot.NewServer("127.0.0.1:0", b).Mux().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		var body map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("body %q: %v", w.Body.String(), err)
		}
		return w.Code, body
	}
	code, body := ready(storetest.TestStore(ctx, t))
	conns, _ := body["connections"].(map[string]any)
	feishu, _ := conns["feishu"].(map[string]any)
	dingtalk, _ := conns["dingtalk"].(map[string]any)
	if code != http.StatusOK || body["ready"] != true || body["database"] != "ok" ||
		feishu["connected"] != false || feishu["detail"] != "reconnecting" || dingtalk["connected"] != true {
		t.Errorf("one connection down: %d %v", code, body)
	}
	if v := value(t, m.ConnectionUp.WithLabelValues("feishu")); v != 0 {
		t.Errorf("feishu up %v", v)
	}

	pool, err := pgxpool.New(ctx, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	code, body = ready(store.New(pool))
	if code != http.StatusServiceUnavailable || body["ready"] != false || body["database"] != "down" {
		t.Errorf("database down: %d %v", code, body)
	}
	if !strings.Contains(scrape(t, m), `zhenggai_long_connection_up{platform="dingtalk"} 1`) {
		t.Error("metrics lack dingtalk's connection")
	}
}

func scrape(t *testing.T, m *bot.Metrics) string {
	t.Helper()
	w := httptest.NewRecorder()
	promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return w.Body.String()
}

// value reads a gauge.
func value(t *testing.T, g prometheus.Gauge) float64 {
	t.Helper()
	var m dto.Metric
	if err := g.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetGauge().GetValue()
}
