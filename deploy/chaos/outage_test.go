package chaos

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"zhenggai/deploy/loadkit"
	"zhenggai/deploy/testgate"
)

// cluster is a private Postgres for one test, so it can be stopped.
type cluster struct {
	bin, data, port string
	as              []string // runuser -u postgres -- when root
}

// newCluster initialises and starts a Postgres cluster in a temporary
// directory, listening on 127.0.0.1 on a free port, with trust auth.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(dirs) == 0 {
		testgate.Missing(t, "no Postgres server binaries in /usr/lib/postgresql/*/bin (apt-get install postgresql; deploy/pg.sh installs them): the outage test starts and stops its own cluster")
	}
	sort.Strings(dirs)
	c := &cluster{bin: filepath.Dir(dirs[len(dirs)-1])}
	addr, err := loadkit.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	c.port = addr[strings.LastIndexByte(addr, ':')+1:]
	parent, err := os.MkdirTemp("", "zhenggai-outage-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	c.data = filepath.Join(parent, "data")
	if os.Geteuid() == 0 {
		// Postgres refuses to run as root.
		pg, err := user.Lookup("postgres")
		if err != nil {
			testgate.Missing(t, "no postgres user to run the outage test's cluster as (this runs as root, which Postgres refuses; apt-get install postgresql creates the user)")
		}
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		if err := os.Chmod(parent, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(c.data, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(c.data, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.as = []string{"runuser", "-u", "postgres", "--"}
	}
	c.run(t, "initdb", "-D", c.data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8")
	c.start(t)
	t.Cleanup(func() { c.ctl(t, "stop", "-m", "immediate") })
	return c
}

func (c *cluster) run(t *testing.T, tool string, args ...string) {
	t.Helper()
	argv := append(append(append([]string{}, c.as...), filepath.Join(c.bin, tool)), args...)
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", tool, err, out)
	}
}

func (c *cluster) ctl(t *testing.T, args ...string) {
	t.Helper()
	c.run(t, "pg_ctl", append([]string{"-D", c.data, "-w", "-t", "60"}, args...)...)
}

func (c *cluster) start(t *testing.T) {
	t.Helper()
	c.ctl(t, "-l", filepath.Join(c.data, "server.log"), "-o",
		fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %s -k %s -c fsync=off -c max_connections=100", c.port, c.data), "start")
}

func (c *cluster) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%s/%s?sslmode=disable", c.port, db)
}

// TestDatabaseOutage stops Postgres for 10 s (30 s in the long variant)
// while callbacks arrive at 100 a second. While it is down every callback
// is answered 5xx within a second, so the platform retries, and /readyz
// answers 503; within 5 s of its return callbacks are answered 200 again
// and /readyz is green; after the platform's redeliveries every callback
// has had its effect exactly once and the outbox drains.
func TestDatabaseOutage(t *testing.T) {
	ctx := context.Background()
	phase := stopwatch(t)
	pg := newCluster(t)
	phase("cluster")
	dbURL, pool := freshDatabase(t, pg.url("postgres"), "zhenggai_outage")
	fake := loadkit.StartFakeFeishu()
	defer fake.Close()
	phase("prepared")
	proc := startBot(t, dbURL, fake, "bot")
	phase("started")
	w, err := loadkit.LoadWorkload(ctx, pool, "outage")
	if err != nil {
		t.Fatal(err)
	}
	pool.Close() // the test's own pool would only see the outage too

	// The long variant stops it for 30 s, the way a crash does (immediate:
	// no checkpoint, crash recovery at start).
	outage, mode := 10*time.Second, "fast"
	if long() {
		outage, mode = 30*time.Second, "immediate"
	}
	rate, conns := 150, 20
	before, after := 2*time.Second, 7*time.Second
	var (
		mu   sync.Mutex
		outs []loadkit.Outcome
	)
	sender := loadkit.NewSender(proc.BaseURL(), conns)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sender.Run(ctx, rate, before+outage+after, conns, w.Next, func(o loadkit.Outcome) {
			if o.OK() {
				w.Applied(o.Call)
			}
			mu.Lock()
			outs = append(outs, o)
			mu.Unlock()
		})
	}()

	// readyz is polled every 100 ms throughout.
	type probe struct {
		at     time.Time
		status int
		took   time.Duration
	}
	var probes []probe
	probing := make(chan struct{})
	probed := make(chan struct{})
	go func() {
		defer close(probed)
		c := &http.Client{Timeout: 2 * time.Second}
		for {
			t0 := time.Now()
			code, _ := loadkit.Status(ctx, c, proc.BaseURL()+"/readyz")
			probes = append(probes, probe{t0, code, time.Since(t0)})
			select {
			case <-probing:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()

	time.Sleep(before)
	pg.ctl(t, "stop", "-m", mode)
	down := time.Now()
	time.Sleep(outage)
	restart := time.Now() // pg_ctl -w returns once it accepts connections
	pg.start(t)
	up := time.Now()
	<-done
	phase("load done")
	close(probing)
	<-probed

	// While down (pg_ctl -w returned: the server is gone): every callback
	// answered, 5xx, within a second.
	var during, failedFast, recovered, afterUp int
	var slowest time.Duration
	var firstOK, lastFailed time.Duration = -1, -1 // after the return
	for _, o := range outs {
		if o.At.After(up) {
			if o.OK() && (firstOK < 0 || o.At.Sub(up) < firstOK) {
				firstOK = o.At.Sub(up)
			}
			if !o.OK() {
				lastFailed = max(lastFailed, o.At.Sub(up))
			}
		}
		switch {
		case o.At.After(down) && o.At.Before(restart):
			during++
			if o.Status >= 500 && o.Latency < time.Second {
				failedFast++
			} else if during-failedFast <= 5 {
				t.Errorf("during the outage: %s answered %d after %v (%v)", o.Call.EventID, o.Status, o.Latency, o.Err)
			}
			slowest = max(slowest, o.Latency)
		case o.At.After(up.Add(5 * time.Second)):
			afterUp++
			if o.OK() {
				recovered++
			} else if afterUp-recovered <= 5 {
				t.Errorf("5 s after the database returned: %s answered %d (%v)", o.Call.EventID, o.Status, o.Err)
			}
		}
	}
	if during == 0 || failedFast != during {
		t.Errorf("during the outage %d of %d callbacks failed fast", failedFast, during)
	}
	if afterUp == 0 || recovered != afterUp {
		t.Errorf("from 5 s after the database returned, %d of %d callbacks answered 200", recovered, afterUp)
	}
	var red, green time.Duration = -1, -1
	var slowProbe time.Duration // while down
	for _, p := range probes {
		if p.at.After(down) && p.at.Before(restart) {
			slowProbe = max(slowProbe, p.took)
		}
		if red < 0 && p.at.After(down) && p.status == http.StatusServiceUnavailable {
			red = p.at.Sub(down)
		}
		if green < 0 && p.at.After(up) && p.status == http.StatusOK {
			green = p.at.Sub(up)
		}
	}
	if red < 0 || red > 2*time.Second {
		t.Errorf("/readyz turned red %v after the database stopped; want within 2 s", red)
	}
	if slowProbe > 2*time.Second {
		t.Errorf("/readyz took %v to answer while the database was down; want at most 2 s", slowProbe)
	}
	if green < 0 || green > 5*time.Second {
		t.Errorf("/readyz turned green %v after the database returned; want within 5 s", green)
	}

	// The platform redelivers what failed; then nothing is lost or doubled.
	var unanswered []*loadkit.Call
	answered := map[string]bool{}
	for _, o := range outs {
		if o.OK() {
			answered[o.Call.EventID] = true
		}
	}
	calls := uniqueCalls(outs)
	for _, c := range calls {
		if !answered[c.EventID] {
			unanswered = append(unanswered, c)
		}
	}
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if left, err := loadkit.NewSender(proc.BaseURL(), 8).Redeliver(rctx, unanswered, 200*time.Millisecond); err != nil {
		t.Fatalf("%d calls still refused after a minute: %v", len(left), err)
	}
	phase("redelivered")
	_, pool = reopen(t, dbURL)
	drain := 30 * time.Second
	if long() {
		drain = 4 * time.Minute // the outbox's lease
	}
	orphans := waitDrained(t, pool, drain, !long())
	phase("outbox drained")
	checkEffects(t, pool, calls)
	var sent int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM deliveries WHERE state = 'sent'`).Scan(&sent); err != nil {
		t.Fatal(err)
	}
	if fake.Messages() != sent {
		t.Errorf("the platform made %d messages for %d sent deliveries", fake.Messages(), sent)
	}
	t.Logf("outage %v (stop -m %s) under %d/s: %d callbacks during it, all 5xx, the slowest answer %v; /readyz red %v after the stop (answers within %v), "+
		"green %v after the return; callbacks answered 200 again from %v after the return (the last failure after it: %s); "+
		"%d callbacks redelivered, %d in all applied once; %d sends orphaned by the outage sent again once their lease ran out "+
		"(%d sends for %d messages)", outage, mode, rate, during, slowest.Round(time.Millisecond), red.Round(time.Millisecond), slowProbe.Round(time.Millisecond),
		green.Round(time.Millisecond), firstOK.Round(time.Millisecond), since(lastFailed),
		len(unanswered), len(calls), orphans, fake.Sends(), fake.Messages())
}

// since formats a delay after an event; negative is "none".
func since(d time.Duration) string {
	if d < 0 {
		return "none"
	}
	return d.Round(time.Millisecond).String()
}
