package chaos

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"zhenggai/bot"
	"zhenggai/deploy/loadkit"
	"zhenggai/handlers"
	"zhenggai/store"
)

// TestKillNineUnderLoad kills the bot with SIGKILL while callbacks arrive
// and a burst of reminders is being delivered, restarts it, and redelivers
// what was not answered 200, as the platform would (plus a sample of what
// was: an ack lost on the way). Every callback then has had its effect
// exactly once, every reminder key has one delivery, sent, and the fake
// Feishu shows one message per delivery (retries across the kill carry
// the same uuid). The long variant (ZG_CHAOS_LONG=1) kills five times.
func TestKillNineUnderLoad(t *testing.T) {
	ctx := context.Background()
	dbURL, pool := freshDatabase(t, sharedServer(t), dbName(t))
	fake := loadkit.StartFakeFeishu()
	defer fake.Close()
	// A far-away platform: the burst of reminders takes seconds to send,
	// so the kill finds sends in flight.
	fake.SetLatency(40 * time.Millisecond)

	// The real planner queues the monthly report's T-3 reminders and the
	// day's digests of the generated campaign (2023-06-20, 09:00).
	sched := bot.NewScheduler(bot.SchedulerConfig{Bot: mustBot(t, store.New(pool)), Planner: handlers.NewPlanner(handlers.Deps{Logger: quiet()}), Logger: quiet()})
	loc, _ := time.LoadLocation("Asia/Shanghai")
	for _, at := range []time.Time{time.Date(2023, 6, 20, 8, 45, 0, 0, loc), time.Date(2023, 6, 20, 9, 0, 0, 0, loc)} {
		if _, err := sched.RunDue(ctx, at); err != nil {
			t.Fatal(err)
		}
	}
	var reminders int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM deliveries WHERE key IS NOT NULL`).Scan(&reminders); err != nil {
		t.Fatal(err)
	}
	if reminders < 50 {
		t.Fatalf("the planner queued %d keyed reminders; the test needs a burst", reminders)
	}

	proc := startBot(t, dbURL, fake, "bot-0")
	w, err := loadkit.LoadWorkload(ctx, pool, "kill")
	if err != nil {
		t.Fatal(err)
	}
	kills, rate, span := 1, 200, 3*time.Second
	if long() {
		kills, rate, span = 5, 400, 6*time.Second
	}
	var (
		mu   sync.Mutex
		outs []loadkit.Outcome
	)
	record := func(o loadkit.Outcome) {
		mu.Lock()
		outs = append(outs, o)
		mu.Unlock()
	}
	rng := rand.New(rand.NewPCG(7, 8))
	killed := 0
	for k := range kills {
		sender := loadkit.NewSender(proc.BaseURL(), 16)
		done := make(chan struct{})
		go func() {
			defer close(done)
			sender.Run(ctx, rate, span, 16, w.Next, record)
		}()
		time.Sleep(span/3 + time.Duration(rng.IntN(int(span/3))))
		proc.Kill()
		killed++
		<-done // the rest of the run meets a dead port, as Feishu would
		proc = startBot(t, dbURL, fake, "bot-"+string(rune('1'+k)))
	}

	// Redeliver what got no 200, and a sample of what did.
	var unanswered, resend []*loadkit.Call
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
		} else if rng.IntN(10) == 0 {
			resend = append(resend, c)
		}
	}
	if len(unanswered) == 0 {
		t.Fatal("no callback went unanswered: the kill came too late to test anything")
	}
	sender := loadkit.NewSender(proc.BaseURL(), 8)
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if left, err := sender.Redeliver(rctx, append(unanswered, resend...), 200*time.Millisecond); err != nil {
		t.Fatalf("%d calls still refused after a minute: %v", len(left), err)
	}
	waitDrained(t, pool, 2*time.Minute)

	checkEffects(t, pool, calls)

	// Reminders: each key once in the outbox, sent, and one message each at
	// the platform.
	var keyed, sent, dupKeys int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE state = 'sent'),
		count(*) - count(DISTINCT key) FROM deliveries WHERE key IS NOT NULL`).Scan(&keyed, &sent, &dupKeys); err != nil {
		t.Fatal(err)
	}
	if keyed != reminders || sent != keyed || dupKeys != 0 {
		t.Errorf("reminders: %d queued before, %d now, %d sent, %d keys twice", reminders, keyed, sent, dupKeys)
	}
	var total int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM deliveries WHERE state = 'sent'`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	if fake.Messages() != total {
		t.Errorf("the platform made %d messages for %d sent deliveries", fake.Messages(), total)
	}
	t.Logf("%d kills; %d callbacks sent (%d answered 200 before the kill, %d redelivered, %d acked ones sent again); "+
		"%d reminders; %d sends to the platform for %d messages (%d retried across a kill, absorbed by the uuid)",
		killed, len(calls), len(answered), len(unanswered), len(resend), reminders, fake.Sends(), fake.Messages(),
		fake.Sends()-int64(fake.Messages()))
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
