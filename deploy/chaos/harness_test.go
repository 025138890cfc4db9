package chaos

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"zhenggai/deploy/loadkit"
	"zhenggai/store/storetest"
)

// campaignSize is the generated campaign of these tests: small enough to
// generate in a second, with every kind of callback of the full benchmark.
// Each progress form goes to another open item (a second form for an item
// with the card's old version would rightly be refused as stale): the
// long runs' thousands of forms need more items.
func campaignSize() loadkit.Size {
	s := loadkit.Size{Units: 50, Items: 2000, Leaders: 20, Enterprises: 100}
	if long() {
		s.Items = 20000
	}
	return s
}

// long reports whether the long variants run (ZG_CHAOS_LONG=1).
func long() bool { return os.Getenv("ZG_CHAOS_LONG") != "" }

var build struct {
	once sync.Once
	bin  string
	err  error
}

// binary builds the bot once per test run, as deploy/Dockerfile does.
func binary(t *testing.T) string {
	t.Helper()
	build.once.Do(func() {
		root, err := loadkit.ModuleRoot()
		if err != nil {
			build.err = err
			return
		}
		dir, err := os.MkdirTemp("", "zhenggai-chaos-")
		if err != nil {
			build.err = err
			return
		}
		build.bin, build.err = loadkit.Build(context.Background(), root, dir)
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.bin
}

// freshDatabase creates a database of its own for a test on the server at
// adminURL (dropped at the end) with the generated campaign in it.
func freshDatabase(t *testing.T, adminURL, name string) (string, *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	dbURL, err := loadkit.FreshDatabase(ctx, adminURL, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if conn, err := pgx.Connect(ctx, adminURL); err == nil {
			_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
			conn.Close(ctx)
		}
	})
	if err := loadkit.Prepare(ctx, dbURL, campaignSize()); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return dbURL, pool
}

// sharedServer is the URL of the test server's postgres database.
func sharedServer(t *testing.T) string {
	u, err := url.Parse(storetest.TestDatabaseURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/postgres"
	return u.String()
}

// startBot starts `zhenggai serve` in Feishu webhook mode against fake.
func startBot(t *testing.T, dbURL string, fake *loadkit.FakeFeishu, name string) *loadkit.Process {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	p, err := loadkit.Start(context.Background(), binary(t), loadkit.FeishuEnv(dbURL, fake.URL(), os.Environ()), logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.Stop(30 * time.Second)
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("%s's log:\n%s", name, tail(string(b), 40))
			}
		}
	})
	return p
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// checkEffects checks that every call has had its effect exactly once: its
// dedupe row; a progress form its progress update; an enterprise message
// its message in the request; a 台账 query its one reply.
func checkEffects(t *testing.T, pool *pgxpool.Pool, calls []*loadkit.Call) {
	t.Helper()
	ctx := context.Background()
	var ids, markers, kinds []string
	for _, c := range calls {
		ids = append(ids, c.EventID)
		markers = append(markers, c.Marker)
		kinds = append(kinds, c.Kind)
	}
	rows, err := pool.Query(ctx, `
		SELECT c.id, c.kind,
		       (SELECT count(*) FROM inbound_events e WHERE e.platform = 'feishu' AND e.event_id = c.id),
		       CASE c.kind
		         WHEN 'progress' THEN (SELECT count(*) FROM progress_updates p WHERE p.text = c.marker)
		         WHEN 'enterprise' THEN (SELECT count(*) FROM request_messages m WHERE m.direction = 'in' AND m.message_id = c.id AND strpos(m.text, c.marker) > 0)
		         ELSE (SELECT count(*) FROM deliveries d WHERE d.payload->>'reply_to' = c.id)
		       END
		FROM unnest($1::text[], $2::text[], $3::text[]) AS c(id, marker, kind)`, ids, markers, kinds)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	bad := 0
	for rows.Next() {
		var id, kind string
		var seen, effects int
		if err := rows.Scan(&id, &kind, &seen, &effects); err != nil {
			t.Fatal(err)
		}
		if seen != 1 || effects != 1 {
			bad++
			if bad <= 10 {
				t.Errorf("%s %s: dedupe rows %d, effects %d; want 1 and 1", kind, id, seen, effects)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if bad > 0 {
		t.Errorf("%d of %d calls without exactly one effect", bad, len(calls))
	}
}

// waitDrained waits until the outbox has nothing left to send. With
// expireStuck, deliveries left "sending" and unchanged for two seconds while
// nothing else is due are taken as orphaned (their worker's record of the
// send failed) and their lease is expired (expireLeases) instead of waiting
// minutes for it; it returns how many were.
func waitDrained(t *testing.T, pool *pgxpool.Pool, limit time.Duration, expireStuck bool) int {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(limit)
	var stuck []int64
	var stuckSince time.Time
	expired := 0
	for {
		var pending int
		var sending []int64
		if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE state = 'pending'),
			coalesce(array_agg(id ORDER BY id) FILTER (WHERE state = 'sending'), '{}')
			FROM deliveries WHERE state IN ('pending', 'sending')`).Scan(&pending, &sending); err != nil {
			t.Fatal(err)
		}
		if pending == 0 && len(sending) == 0 {
			return expired
		}
		switch {
		case !expireStuck || pending > 0 || !slices.Equal(sending, stuck):
			stuck, stuckSince = sending, time.Now()
		case time.Since(stuckSince) > 2*time.Second:
			expired += expireLeases(t, pool, stuck)
			stuck = nil
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries pending and %d sending after %v", pending, len(sending), limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// expireLeases ends the outbox's lease on deliveries left "sending" by a
// worker that can no longer record their outcome (a killed bot; a send
// whose record failed while the database was down): the clock moved past
// the lease, without the test waiting minutes for it. ids nil means every
// such delivery (only when no bot is running). It returns how many it
// released.
func expireLeases(t *testing.T, pool *pgxpool.Pool, ids []int64) int {
	t.Helper()
	tag, err := pool.Exec(context.Background(), `UPDATE deliveries SET next_attempt_at = now()
		WHERE state = 'sending' AND ($1::bigint[] IS NULL OR id = ANY($1))`, ids)
	if err != nil {
		t.Fatal(err)
	}
	return int(tag.RowsAffected())
}

// uniqueCalls returns each call once, in the order first sent.
func uniqueCalls(outs []loadkit.Outcome) []*loadkit.Call {
	seen := map[string]bool{}
	var out []*loadkit.Call
	for _, o := range outs {
		if !seen[o.Call.EventID] {
			seen[o.Call.EventID] = true
			out = append(out, o.Call)
		}
	}
	return out
}

// stopwatch logs each phase of a test with the time since the stopwatch
// started, so a slow run says where its time went.
func stopwatch(t *testing.T) func(phase string) {
	t0 := time.Now()
	return func(phase string) { t.Logf("%6.1fs %s", time.Since(t0).Seconds(), phase) }
}

func dbName(t *testing.T) string {
	return fmt.Sprintf("zg_%s_%d", strings.ToLower(t.Name()), time.Now().UnixNano()%1e9)
}

// reopen connects a new pool to dbURL.
func reopen(t *testing.T, dbURL string) (string, *pgxpool.Pool) {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return dbURL, pool
}
