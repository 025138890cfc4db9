// Command dash measures the web 看板: it generates the campaign of
// deploy/loadkit (1,000 units, 50,000 ledger items, 500 leaders, 2,000
// enterprises) in a scratch schema, serves the dashboard over HTTP on
// loopback, logs the office in through a link, and prints the latency of
// each page over many requests, sequential and concurrent.
//
//	go run ./deploy/bench/dash [-db URL] [-n 300] [-conc 4] [-units 1000] [-items 50000]
//
// The database defaults to TEST_DATABASE_URL or the local test database; the
// scratch schema is dropped at the end.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"zhenggai/bot"
	"zhenggai/deploy/loadkit"
	"zhenggai/handlers"
	"zhenggai/handlers/dash"
	"zhenggai/store"
)

func main() {
	db := flag.String("db", cmp.Or(os.Getenv("TEST_DATABASE_URL"), "postgres://postgres@127.0.0.1:5432/zhenggai_test?sslmode=disable"), "Postgres URL")
	n := flag.Int("n", 300, "requests per page and concurrency")
	conc := flag.Int("conc", 4, "concurrent clients of the second round")
	units := flag.Int("units", 1000, "units")
	items := flag.Int("items", 50000, "ledger items")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the pages' round (server and client: one process) to this file")
	only := flag.String("only", "", "measure only the pages whose path starts with this")
	flag.DurationVar(&overviewTTL, "overview-ttl", -1, "the overview cache's TTL (-1ns: no cache, every request computes it; 0: the default 15s)")
	flag.Parse()
	cpuProfile, onlyPages = *profile, *only
	if err := run(context.Background(), *db, *n, *conc, loadkit.Size{Units: *units, Items: *items, Leaders: 500, Enterprises: 2000}); err != nil {
		fmt.Fprintln(os.Stderr, "dash bench:", err)
		os.Exit(1)
	}
}

var (
	cpuProfile, onlyPages string
	overviewTTL           time.Duration
)

func run(ctx context.Context, url string, n, conc int, size loadkit.Size) error {
	schema := fmt.Sprintf("bench_dash_%d", time.Now().UnixNano())
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return err
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	cfg.MaxConns = 8
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		return err
	}
	defer pool.Exec(context.WithoutCancel(ctx), "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE") //nolint:errcheck
	st := store.New(pool)
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	t0 := time.Now()
	if err := loadkit.Generate(ctx, st, size); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	if _, err := pool.Exec(ctx, "ANALYZE"); err != nil {
		return err
	}
	fmt.Printf("campaign: %d units, %d ledger items, %d leaders, %d enterprises, generated in %v\n",
		size.Units, size.Items, size.Leaders, size.Enterprises, time.Since(t0).Round(time.Millisecond))

	// The generated campaign's calendar is 2023's: look at it on a day of
	// its reporting window.
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2023, 6, 20, 10, 0, 0, 0, loc)
	mux := http.NewServeMux()
	dash.New(dash.Config{Store: st, Clock: bot.NewFixedClock(now), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		LoginRate: 1000, LoginBurst: 1000, OverviewTTL: overviewTTL}).Mount(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	login := func(person string) (*http.Client, error) {
		link, _, err := handlers.DashboardLinkFor(ctx, st, person, srv.URL, now)
		if err != nil {
			return nil, err
		}
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		resp, err := c.Get(link)
		if err != nil {
			return nil, err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("login %s: %d", person, resp.StatusCode)
		}
		return c, nil
	}
	office, err := login("liaison-0")
	if err != nil {
		return err
	}
	leader, err := login("leader-2") // leader-1 leads the office unit too
	if err != nil {
		return err
	}
	pages := []struct {
		who  string
		c    *http.Client
		path string
	}{
		{"office", office, "/dash/"},
		{"leader", leader, "/dash/"},
		{"office", office, "/dash/unit/unit-7"},
		{"office", office, "/dash/unit/unit-7?state=open&q=%E9%97%AE%E9%A2%98&sort=due&desc=1"},
		{"office", office, "/dash/item/N-77"},
		{"office", office, "/dash/requests"},
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Printf("\n%-8s %-62s %5s %4s %8s %8s %8s %8s %9s\n", "who", "page", "n", "conc", "p50", "p90", "p99", "max", "bytes")
	for _, p := range pages {
		if !strings.HasPrefix(p.path, onlyPages) {
			continue
		}
		for _, k := range []int{1, conc} {
			lat, bytes, err := measure(p.c, srv.URL+p.path, n, k)
			if err != nil {
				return fmt.Errorf("%s: %w", p.path, err)
			}
			fmt.Printf("%-8s %-62s %5d %4d %8s %8s %8s %8s %9d\n", p.who, p.path, n, k,
				pct(lat, 50), pct(lat, 90), pct(lat, 99), pct(lat, 100), bytes)
		}
	}
	// Where the overview's time goes: each query it makes, alone.
	c, err := st.CurrentCampaign(ctx)
	if err != nil {
		return err
	}
	for _, q := range []struct {
		what string
		do   func() error
	}{
		{"units", func() error { _, err := st.Units(ctx, c.ID); return err }},
		{"unit stats (lights)", func() error {
			_, err := st.DashUnitStats(ctx, c.ID, nil, store.DashLightCuts{Day: now, Soon: now.AddDate(0, 0, 7), Stall: now.AddDate(0, 0, -14), TZ: "Asia/Shanghai"})
			return err
		}},
		{"trends", func() error { _, err := st.DashTrends(ctx, c.ID, nil, "Asia/Shanghai"); return err }},
		{"reports of the period", func() error { _, err := st.MonthlyReportsOfPeriod(ctx, c.ID, "2023-06"); return err }},
		{"missing reports", func() error { _, err := st.MissingReports(ctx, c.ID, []string{"2023-05"}); return err }},
		{"whole overview (data)", func() error {
			p, err := st.PersonByKey(ctx, "liaison-0")
			if err != nil {
				return err
			}
			roles, err := st.RolesOf(ctx, c.ID, p.ID)
			if err != nil {
				return err
			}
			_, err = handlers.DashboardOverview(ctx, st, c, handlers.Viewer{Person: p, Roles: roles}, now)
			return err
		}},
	} {
		var lat []time.Duration
		for range 30 {
			t := time.Now()
			if err := q.do(); err != nil {
				return fmt.Errorf("%s: %w", q.what, err)
			}
			lat = append(lat, time.Since(t))
		}
		slices.Sort(lat)
		fmt.Printf("  %-24s p50 %8s  max %8s\n", q.what, pct(lat, 50), pct(lat, 100))
	}

	// The office's whole ledger workbook, once.
	t1 := time.Now()
	resp, err := office.Get(srv.URL + "/dash/export.xlsx")
	if err != nil {
		return err
	}
	nb, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	fmt.Printf("\nexport.xlsx of every unit (%d items): %d bytes in %v (status %d)\n", size.Items, nb, time.Since(t1).Round(time.Millisecond), resp.StatusCode)
	return nil
}

// measure gets url n times from k clients at once (after 10 warm-up
// requests) and returns the latencies and the page's size.
func measure(c *http.Client, url string, n, k int) ([]time.Duration, int64, error) {
	get := func() (int64, error) {
		resp, err := c.Get(url)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		nb, err := io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("status %d", resp.StatusCode)
		}
		return nb, err
	}
	for range 10 {
		if _, err := get(); err != nil {
			return nil, 0, err
		}
	}
	var mu sync.Mutex
	var lat []time.Duration
	var size int64
	var firstErr error
	var wg sync.WaitGroup
	jobs := make(chan struct{}, n)
	for range n {
		jobs <- struct{}{}
	}
	close(jobs)
	for range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				t := time.Now()
				nb, err := get()
				d := time.Since(t)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				lat, size = append(lat, d), nb
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.Sort(lat)
	return lat, size, firstErr
}

// pct is the p-th percentile of sorted latencies.
func pct(lat []time.Duration, p int) string {
	if len(lat) == 0 {
		return "-"
	}
	i := min(len(lat)-1, (len(lat)*p+99)/100-1)
	return fmt.Sprintf("%.1fms", float64(lat[max(i, 0)].Microseconds())/1000)
}
