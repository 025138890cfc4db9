// Command load measures the bot under callback load against this machine's
// own limit. It creates a database zhenggai_bench (and zhenggai_pgbench) on
// the local Postgres, generates a campaign of 1,000 units, 50,000 ledger
// items, 500 leaders and 2,000 enterprises, starts a fake Feishu Open API
// and the bot (built as deploy/Dockerfile builds it) in Feishu webhook mode,
// then sends signed, encrypted callbacks from many connections at rising
// rates: 70% messages (台账 queries, enterprise messages) and 30% progress
// form submits. Per rate it prints throughput, p50/p99/max ack latency,
// errors, the bot's RSS and CPU. It measures delivery to the fake platform
// and runs `pgbench -N` with the same client count, and prints the ratio of
// sustained callbacks per second to pgbench's transactions per second.
//
//	bash deploy/bench/load/run.sh            # starts Postgres when needed
//	go run ./deploy/bench/load [-rates 250,500,1000,2000] [-step 10s] [-conns 32]
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"zhenggai/bot"
	"zhenggai/deploy/loadkit"
)

type options struct {
	admin     string
	rates     []int
	step      time.Duration
	conns     int
	size      loadkit.Size
	delivery  int
	keep      bool
	pgbench   bool
	keepGoing bool
	pool      int
	cpuprof   string
}

func main() {
	var o options
	rates := flag.String("rates", "250,500,1000,1500,2000,3000", "callback rates to try, per second, rising")
	flag.StringVar(&o.admin, "db", cmp.Or(os.Getenv("BENCH_ADMIN_URL"), "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"), "URL of any database on the Postgres to use")
	flag.DurationVar(&o.step, "step", 10*time.Second, "how long each rate runs")
	flag.IntVar(&o.conns, "conns", 32, "connections (and pgbench clients)")
	flag.IntVar(&o.size.Units, "units", loadkit.FullSize.Units, "units")
	flag.IntVar(&o.size.Items, "items", loadkit.FullSize.Items, "ledger items")
	flag.IntVar(&o.size.Leaders, "leaders", loadkit.FullSize.Leaders, "leaders")
	flag.IntVar(&o.size.Enterprises, "enterprises", loadkit.FullSize.Enterprises, "enterprises")
	flag.IntVar(&o.delivery, "deliveries", 20000, "messages queued at once for the delivery measurement (0 skips it)")
	flag.IntVar(&o.pool, "pool", 0, "the bot's pool_max_conns (0: the bot's default)")
	flag.StringVar(&o.cpuprof, "cpuprofile", "", "write the bot's CPU profile of each rate to this path + .<rate> (go tool pprof reads it)")
	flag.BoolVar(&o.pgbench, "pgbench", true, "measure pgbench -N")
	flag.BoolVar(&o.keepGoing, "all-rates", false, "try every rate even after one is not sustained")
	flag.Parse()
	for _, r := range strings.Split(*rates, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(r))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "load: bad rate %q\n", r)
			os.Exit(2)
		}
		o.rates = append(o.rates, n)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	root, err := loadkit.ModuleRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "zhenggai-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	durability, err := loadkit.Durability(ctx, o.admin)
	if err != nil {
		return err
	}
	fmt.Printf("machine: %d cores; Postgres at %s (%s)\n", runtime.NumCPU(), redact(o.admin), durability)
	dbURL, err := loadkit.FreshDatabase(ctx, o.admin, "zhenggai_bench")
	if err != nil {
		return err
	}
	t0 := time.Now()
	if err := loadkit.Prepare(ctx, dbURL, o.size); err != nil {
		return err
	}
	fmt.Printf("campaign: %d units, %d ledger items, %d leaders, %d enterprises, generated in %v\n",
		o.size.Units, o.size.Items, o.size.Leaders, o.size.Enterprises, time.Since(t0).Round(time.Millisecond))

	bin, err := loadkit.Build(ctx, root, tmp)
	if err != nil {
		return err
	}
	fake := loadkit.StartFakeFeishu()
	defer fake.Close()
	botURL := dbURL
	if o.pool > 0 {
		u, err := url.Parse(dbURL)
		if err != nil {
			return err
		}
		q := u.Query()
		q.Set("pool_max_conns", strconv.Itoa(o.pool))
		u.RawQuery = q.Encode()
		botURL = u.String()
	}
	env := loadkit.FeishuEnv(botURL, fake.URL(), os.Environ())
	pprofAddr := ""
	if o.cpuprof != "" {
		if pprofAddr, err = loadkit.FreeAddr(); err != nil {
			return err
		}
		env = append(env, "PPROF_ADDR="+pprofAddr)
	}
	logPath := filepath.Join(os.TempDir(), "zhenggai-bench-bot.log")
	_ = os.Remove(logPath)
	proc, err := loadkit.Start(ctx, bin, env, logPath)
	if err != nil {
		return err
	}
	defer proc.Stop(30 * time.Second) //nolint:errcheck
	fmt.Printf("bot: pid %d on %s (log %s)\n", proc.Pid(), proc.Addr, logPath)

	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	w, err := loadkit.LoadWorkload(ctx, pool, fmt.Sprintf("b%d", time.Now().Unix()))
	if err != nil {
		return err
	}
	sender := loadkit.NewSender(proc.BaseURL(), o.conns)

	// Warm up: connections, prepared statements, the token.
	sender.Run(ctx, 100, 2*time.Second, o.conns, w.Next, nil)
	if err := waitDrained(ctx, pool, 30*time.Second); err != nil {
		return err
	}
	time.Sleep(2 * time.Second)
	idle, err := proc.Usage()
	if err != nil {
		return err
	}
	fmt.Printf("bot idle after warm-up: RSS %s\n\n", mb(idle.RSS))

	fmt.Printf("%-7s %9s %9s %8s %8s %8s %7s %6s %9s %7s %7s %7s\n", "rate/s", "sent", "ok/s", "p50", "p99", "max", "errors", "late", "RSS max", "CPU", "pg CPU", "gen CPU")
	var sustained float64
	var sustainedRate int
	var best *loadkit.Step
	for _, rate := range o.rates {
		if ctx.Err() != nil {
			break
		}
		var peak atomic.Int64
		stopSampling := sample(proc, &peak)
		var profiled sync.WaitGroup
		if pprofAddr != "" {
			profiled.Go(func() {
				if err := fetchProfile(ctx, pprofAddr, o.step, fmt.Sprintf("%s.%d", o.cpuprof, rate)); err != nil {
					fmt.Fprintln(os.Stderr, "load: profile:", err)
				}
			})
		}
		u0, _ := proc.Usage()
		pg0, _ := loadkit.CommandCPU("postgres")
		g0 := selfCPU()
		st := sender.Run(ctx, rate, o.step, o.conns, w.Next, func(out loadkit.Outcome) {
			if out.OK() {
				w.Applied(out.Call)
			}
		})
		u1, _ := proc.Usage()
		pg1, _ := loadkit.CommandCPU("postgres")
		g1 := selfCPU()
		stopSampling()
		profiled.Wait()
		cpu := float64(u1.CPU-u0.CPU) / float64(st.Elapsed) * 100
		share := func(d time.Duration) float64 { return float64(d) / float64(st.Elapsed) * 100 }
		fmt.Printf("%-7d %9d %9.0f %8s %8s %8s %7d %6d %9s %6.0f%% %6.0f%% %6.0f%%\n", rate, st.Sent, st.Throughput(),
			ms(st.Percentile(0.5)), ms(st.Percentile(0.99)), ms(st.Max()), st.Failed, st.Late, mb(peak.Load()), cpu,
			share(pg1-pg0), share(g1-g0))
		ok := st.Failed == 0 && st.Late == 0 && st.Throughput() >= 0.95*float64(rate) && st.Percentile(0.99) < time.Second
		if ok {
			sustained, sustainedRate, best = st.Throughput(), rate, st
		}
		if err := waitDrained(ctx, pool, 2*time.Minute); err != nil {
			return err
		}
		if !ok && !o.keepGoing {
			break
		}
	}
	fmt.Printf("\nsustained: %.0f callbacks/s (highest rate with no error, nothing late, p99 < 1 s: %d/s)\n", sustained, sustainedRate)
	if best != nil {
		for _, kind := range []string{loadkit.KindLedger, loadkit.KindEnterprise, loadkit.KindProgress} {
			k := best.Only(kind)
			fmt.Printf("  at %d/s, %-10s %5d calls  p50 %s  p99 %s\n", sustainedRate, kind, len(k.Outcomes), ms(k.Percentile(0.5)), ms(k.Percentile(0.99)))
		}
	}

	if o.delivery > 0 {
		rate, err := measureDelivery(ctx, pool, fake, o.delivery)
		if err != nil {
			return err
		}
		fmt.Printf("delivery: %d queued messages sent to the fake Feishu (no rate limit) at %.0f messages/s\n", o.delivery, rate)
	}
	if o.pgbench {
		tps, err := pgbench(ctx, o.admin, o.conns, o.step)
		if err != nil {
			return err
		}
		fmt.Printf("pgbench -N -c %d -j %d -T %d: %.0f tps\n", o.conns, runtime.NumCPU(), int(o.step.Seconds()), tps)
		fmt.Printf("ratio: sustained callbacks/s ÷ pgbench -N tps = %.2f\n", sustained/tps)
	}
	return nil
}

// sample records the bot's peak RSS every 100 ms until the returned
// function is called.
func sample(p *loadkit.Process, peak *atomic.Int64) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if u, err := p.Usage(); err == nil && u.RSS > peak.Load() {
				peak.Store(u.RSS)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// waitDrained waits until the outbox holds nothing pending.
func waitDrained(ctx context.Context, pool *pgxpool.Pool, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM deliveries WHERE state IN ('pending', 'sending')`).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d deliveries still pending after %v", n, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// measureDelivery queues n messages at once, each to its own recipient
// (Feishu's 5 QPS per user applies), and times the bot sending them to the
// fake Feishu, which has no rate limit (the bot runs with
// FEISHU_SEND_RATE=0).
func measureDelivery(ctx context.Context, pool *pgxpool.Pool, fake *loadkit.FakeFeishu, n int) (float64, error) {
	payload, err := json.Marshal(&bot.Message{Text: "基准测试消息"})
	if err != nil {
		return 0, err
	}
	before := fake.Messages()
	t0 := time.Now()
	if _, err := pool.Exec(ctx, `INSERT INTO deliveries (platform, chat_id, user_id, payload, subject, next_attempt_at)
		SELECT 'feishu', '', 'ou_bench_' || g, $1, 'bench', now() FROM generate_series(1, $2) g`, payload, n); err != nil {
		return 0, err
	}
	for fake.Messages()-before < n {
		if time.Since(t0) > 5*time.Minute {
			return 0, fmt.Errorf("delivery: %d of %d sent after 5 minutes", fake.Messages()-before, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return float64(n) / time.Since(t0).Seconds(), nil
}

// fetchProfile saves the bot's CPU profile over d.
func fetchProfile(ctx context.Context, addr string, d time.Duration, path string) error {
	secs := max(1, int(d.Seconds())-1)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

var tpsLine = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

// pgbench initialises a pgbench database and runs the simple-update
// workload with clients clients for d.
func pgbench(ctx context.Context, admin string, clients int, d time.Duration) (float64, error) {
	url, err := loadkit.FreshDatabase(ctx, admin, "zhenggai_pgbench")
	if err != nil {
		return 0, err
	}
	if out, err := exec.CommandContext(ctx, "pgbench", "-i", "-q", "-s", "10", url).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("pgbench -i: %w\n%s", err, out)
	}
	out, err := exec.CommandContext(ctx, "pgbench", "-N", "-c", strconv.Itoa(clients), "-j", strconv.Itoa(runtime.NumCPU()),
		"-T", strconv.Itoa(int(d.Seconds())), url).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pgbench -N: %w\n%s", err, out)
	}
	m := tpsLine.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("pgbench printed no tps:\n%s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// selfCPU is this process's CPU time so far (the load generator's).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}

func mb(b int64) string { return fmt.Sprintf("%.0f MB", float64(b)/(1<<20)) }

func redact(u string) string {
	if i := strings.Index(u, "@"); i > 0 {
		if j := strings.Index(u, "://"); j > 0 && j < i {
			return u[:j+3] + "…" + u[i:]
		}
	}
	return u
}
