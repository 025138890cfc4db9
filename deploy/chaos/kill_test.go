package chaos

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"zhenggai/bot"
	"zhenggai/deploy/loadkit"
	"zhenggai/handlers"
	"zhenggai/store"
)

// TestKillNineUnderLoad kills the bot with SIGKILL while callbacks arrive
// and a burst of planned reminders is being delivered, restarts it, and
// redelivers what was not answered 200, as the platform would (plus a
// sample of what was: an ack lost on the way). Every callback then has had
// its effect exactly once, every reminder key has one delivery, sent, and
// the fake Feishu shows one message per delivery (a send cut by the kill
// is sent again under the same uuid). The long variant (ZG_CHAOS_LONG=1)
// kills five times in a row (four more under load alone) at 400/s and
// waits for the outbox's real lease instead of expiring it.
func TestKillNineUnderLoad(t *testing.T) {
	ctx := context.Background()
	phase := stopwatch(t)
	dbURL, pool := freshDatabase(t, sharedServer(t), dbName(t))
	fake := loadkit.StartFakeFeishu()
	defer fake.Close()
	// A far-away platform: a burst of reminders takes a second or so to
	// send, so the kill finds sends in flight.
	fake.SetLatency(50 * time.Millisecond)
	planner := bot.NewScheduler(bot.SchedulerConfig{Bot: mustBot(t, store.New(pool)),
		Planner: handlers.NewPlanner(handlers.Deps{Logger: quiet()}), Logger: quiet()})
	// The generated campaign's reminder day (2023-06-20): the June
	// report's T-3 reminders, the milestones' and the day's digests.
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2023, 6, 20, 9, 0, 0, 0, shanghai)

	proc := startBot(t, dbURL, fake, "bot-0")
	w, err := loadkit.LoadWorkload(ctx, pool, "kill")
	if err != nil {
		t.Fatal(err)
	}
	phase("campaign generated, bot started")
	// Each round sends for a while, kills the bot and goes on sending to
	// the dead port for a second.
	kills, rate, conns, lead := 1, 250, 24, time.Second
	if long() {
		kills, rate, conns, lead = 5, 400, 32, 3*time.Second
	}
	var (
		mu   sync.Mutex
		outs []loadkit.Outcome
	)
	record := func(o loadkit.Outcome) {
		if o.OK() {
			w.Applied(o.Call)
		}
		mu.Lock()
		outs = append(outs, o)
		mu.Unlock()
	}
	for k := range kills {
		sender := loadkit.NewSender(proc.BaseURL(), conns)
		loadCtx, stopLoad := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			sender.Run(loadCtx, rate, time.Minute, conns, w.Next, record)
		}()
		time.Sleep(lead)
		if k == 0 {
			// A second into the load, a reminder day is planned (as the
			// scheduler's leader would); the bot picks it up within a
			// second and is killed once a quarter of it has been sent.
			planned, sentBefore := planReminders(t, planner, pool, day)
			sent := waitReminders(t, pool, sentBefore+planned/4, 15*time.Second)
			proc.Kill()
			if sent >= sentBefore+planned {
				t.Fatalf("all %d reminders were sent before the kill; it tests nothing", planned)
			}
			phase(fmt.Sprintf("kill 1: %d of %d reminders sent", sent-sentBefore, planned))
		} else {
			// Later kills (long run) land among replies being sent.
			proc.Kill()
			phase(fmt.Sprintf("kill %d", k+1))
		}
		time.Sleep(time.Second) // callbacks meet a dead port, as Feishu's would
		stopLoad()
		<-done
		if !long() {
			// The dead bot's claimed deliveries wait for their lease
			// (minutes) before a live worker takes them again: the short
			// run lets it run out now instead of waiting.
			expireLeases(t, pool, nil)
		}
		proc = startBot(t, dbURL, fake, fmt.Sprintf("bot-%d", k+1))
	}
	phase("restarted")

	// Redeliver what got no 200, and a tenth of what did.
	var unanswered, resend []*loadkit.Call
	answered := map[string]bool{}
	for _, o := range outs {
		if o.OK() {
			answered[o.Call.EventID] = true
		}
	}
	calls := uniqueCalls(outs)
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range calls {
		if !answered[c.EventID] {
			unanswered = append(unanswered, c)
		} else if rng.IntN(10) == 0 {
			resend = append(resend, c)
		}
	}
	if len(unanswered) == 0 {
		t.Fatal("no callback went unanswered: the kill came too late to test anything")
	}
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if left, err := loadkit.NewSender(proc.BaseURL(), 8).Redeliver(rctx, append(unanswered, resend...), 200*time.Millisecond); err != nil {
		t.Fatalf("%d calls still refused after a minute: %v", len(left), err)
	}
	phase("redelivered")
	drain := 30 * time.Second
	if long() {
		drain = 4 * time.Minute // the outbox's lease, from the last kill
	}
	waitDrained(t, pool, drain, false)
	phase("outbox drained")

	checkEffects(t, pool, calls)

	// Reminders: each key once in the outbox, sent. Each sent delivery
	// made at least one message, so as many messages at the platform as
	// sent deliveries means exactly one each. (Card redraws, keyed
	// update:…, change a message instead of making one: handlers'
	// refreshReminders after a progress update.)
	var keyed, sentKeyed, dupKeys, sentAll int
	if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE key IS NOT NULL),
		count(*) FILTER (WHERE key IS NOT NULL AND state = 'sent'),
		count(key) - count(DISTINCT key), count(*) FILTER (WHERE state = 'sent' AND coalesce(key, '') NOT LIKE 'update:%') FROM deliveries`).Scan(&keyed, &sentKeyed, &dupKeys, &sentAll); err != nil {
		t.Fatal(err)
	}
	if sentKeyed != keyed || dupKeys != 0 {
		t.Errorf("reminders: %d keys, %d sent, %d keys twice", keyed, sentKeyed, dupKeys)
	}
	if fake.Messages() != sentAll {
		t.Errorf("the platform made %d messages for %d sent deliveries", fake.Messages(), sentAll)
	}
	t.Logf("%d kills at %d/s over %d connections; %d callbacks (%d answered 200 the first time, %d redelivered, "+
		"%d acked ones sent again), each applied once; %d reminder keys, each sent once; %d sends to the platform "+
		"for %d messages (%d retried across a kill, absorbed by the uuid)",
		kills, rate, conns, len(calls), len(answered), len(unanswered), len(resend), keyed, fake.Sends(), fake.Messages(),
		fake.Sends()-int64(fake.Messages()))
}

// planReminders runs the planner at at (as the scheduler would) and returns
// how many keyed deliveries it queued and how many keyed ones were sent
// before.
func planReminders(t *testing.T, s *bot.Scheduler, db *pgxpool.Pool, at time.Time) (planned, sent int) {
	t.Helper()
	ctx := context.Background()
	var before int
	if err := db.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE state = 'sent') FROM deliveries WHERE key IS NOT NULL`).Scan(&before, &sent); err != nil {
		t.Fatal(err)
	}
	// The digests at 08:30 and the reminders at 09:00.
	for _, now := range []time.Time{at.Add(-30 * time.Minute), at} {
		if _, err := s.RunDue(ctx, now); err != nil {
			t.Fatal(err)
		}
	}
	var after int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM deliveries WHERE key IS NOT NULL`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after-before < 40 {
		t.Fatalf("the planner queued %d keyed reminders for %v; the test needs a burst", after-before, at)
	}
	return after - before, sent
}

// waitReminders waits until at least n keyed deliveries are sent and
// returns how many are.
func waitReminders(t *testing.T, db *pgxpool.Pool, n int, limit time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		var sent int
		if err := db.QueryRow(context.Background(), `SELECT count(*) FROM deliveries WHERE key IS NOT NULL AND state = 'sent'`).Scan(&sent); err != nil {
			t.Fatal(err)
		}
		if sent >= n {
			return sent
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d reminders sent after %v; want %d", sent, limit, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func mustBot(t *testing.T, st *store.Store) *bot.Bot {
	t.Helper()
	b, err := bot.New(bot.Config{Store: st, Router: bot.NewRouter(), Logger: quiet(), Clock: bot.SystemClock{}})
	if err != nil {
		t.Fatal(err)
	}
	b.AddAdapter(planOnly{})
	return b
}

// planOnly makes Feishu an enabled platform for the planner (it picks
// recipients' Feishu accounts); this bot never delivers: the bot under
// test does.
type planOnly struct{}

func (planOnly) Platform() bot.Platform { return bot.Feishu }
func (planOnly) Send(context.Context, bot.Target, *bot.Message) (bot.MessageRef, error) {
	panic("chaos: the planning bot does not send")
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
