package handlers

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"zhenggai/bot"
	"zhenggai/bot/bottest"
	"zhenggai/store"
	"zhenggai/store/storetest"
)

// killer is one replica's view of the platform: after `after` sends it
// "dies" with a request in flight (its context is cancelled and the
// platform never got the message).
type killer struct {
	*bottest.FakeAdapter
	after   int32
	calls   atomic.Int32
	cancel  context.CancelFunc
	started chan struct{}
}

func (k *killer) Send(ctx context.Context, to bot.Target, m *bot.Message) (bot.MessageRef, error) {
	n := k.calls.Add(1)
	if n == 1 {
		close(k.started)
	}
	if n == k.after {
		k.cancel()
		return bot.MessageRef{}, ctx.Err()
	}
	return k.FakeAdapter.Send(ctx, to, m)
}

// TestSchedulerReplicas starts three schedulers on one database, ticks them
// concurrently (twice), kills one in the middle of its deliveries, sends
// through a platform that fails 30% of calls with 429 or 5xx, and checks
// that every key was delivered exactly once.
func TestSchedulerReplicas(t *testing.T) {
	ctx := context.Background()
	pool := storetest.TestSchema(ctx, t)
	st := store.New(pool)
	camp, _ := applyCampaignFile(t, ctx, st, "../deploy/campaigns/sanmenxia-2023.yaml", nil)
	// 40 items due 06-23: their 3-day reminders go out on 06-20 with the
	// June report's T-3 and the day's digests.
	if _, err := pool.Exec(ctx, `INSERT INTO ledger_items (campaign_id, unit_id, number, source, category, description, due_on)
		SELECT $1, u.id, 'N-' || g, '自查', '执法不规范', '问题' || g, '2023-06-23'
		FROM generate_series(1, 40) g JOIN units u ON u.campaign_id = $1 AND NOT u.is_office
		  AND u.position = 1 + g % 8`, camp.ID); err != nil {
		t.Fatal(err)
	}

	clock := bot.NewFixedClock(at("2023-06-20", "09:00"))
	platform := bottest.NewFakeAdapter(bot.Sim)
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(1, 2))
	failsInRow := map[string]int{}
	var calls, failures int
	platform.FailFunc = func(to bot.Target, m *bot.Message) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		// 30% of calls fail, but never four times in a row for one
		// delivery (its attempts are bounded).
		if rng.Float64() < 0.3 && failsInRow[m.IdempotencyKey] < 3 {
			failsInRow[m.IdempotencyKey]++
			failures++
			if rng.IntN(2) == 0 {
				return &bot.RateLimitedError{RetryAfter: time.Second, Err: errors.New("feishu: status=429 code=99991400")}
			}
			return fmt.Errorf("feishu: status=%d", 500+rng.IntN(4))
		}
		failsInRow[m.IdempotencyKey] = 0
		return nil
	}

	type replica struct {
		bot    *bot.Bot
		sched  *bot.Scheduler
		ctx    context.Context
		cancel context.CancelFunc
	}
	var replicas []*replica
	var kill *killer
	for i := range 3 {
		rctx, cancel := context.WithCancel(ctx)
		b, err := bot.New(bot.Config{Store: store.New(pool), Router: bot.NewRouter(), Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			kill = &killer{FakeAdapter: platform, after: 6, cancel: cancel, started: make(chan struct{})}
			b.AddAdapter(kill)
		} else {
			b.AddAdapter(platform)
		}
		s := bot.NewScheduler(bot.SchedulerConfig{Bot: b, Planner: NewPlanner(Deps{}), ID: fmt.Sprintf("replica-%d", i)})
		replicas = append(replicas, &replica{bot: b, sched: s, ctx: rctx, cancel: cancel})
	}
	defer func() {
		for _, r := range replicas {
			r.cancel()
		}
	}()

	// Tick all three at once, twice; then let them deliver concurrently.
	var wg sync.WaitGroup
	var planned sync.Map
	var plannedN atomic.Int64
	for range 2 {
		for _, r := range replicas {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := r.sched.RunDue(r.ctx, clock.Now())
				if err != nil {
					t.Errorf("tick: %v", err)
					return
				}
				for _, id := range res.DeliveryIDs {
					if _, dup := planned.LoadOrStore(id, true); dup {
						t.Errorf("delivery %d planned twice", id)
					}
					plannedN.Add(1)
				}
			}()
		}
		wg.Wait()
	}
	var runs int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM scheduler_runs`).Scan(&runs); err != nil {
		t.Fatal(err)
	}
	if runs != 4 {
		t.Errorf("%d schedule runs recorded, want 4 (remind, digest, requests, audit-anchor)", runs)
	}

	deliverAll := func(rs []*replica) {
		for i, r := range rs {
			if i == 1 && kill.calls.Load() == 0 && len(rs) == 3 {
				<-kill.started // the doomed replica claims the first batch
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r.ctx.Err() == nil {
					n, err := r.bot.DeliverDue(r.ctx)
					if err != nil && r.ctx.Err() == nil {
						t.Errorf("deliver: %v", err)
						return
					}
					if n == 0 {
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	deliverAll([]*replica{replicas[2], replicas[0], replicas[1]})
	if replicas[2].ctx.Err() == nil {
		t.Fatal("replica 2 was not killed: too few deliveries")
	}
	for round := 0; ; round++ {
		pending, err := st.PendingDeliveries(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			break
		}
		if round == 50 {
			t.Fatalf("%d deliveries still pending", pending)
		}
		// Move time past backoffs and the dead replica's lease.
		clock.Advance(3 * time.Minute)
		deliverAll(replicas[:2])
	}

	var total, sent int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE state = 'sent') FROM deliveries`).Scan(&total, &sent); err != nil {
		t.Fatal(err)
	}
	if total < 56 || total != int(plannedN.Load()) || sent != total {
		t.Fatalf("deliveries: %d rows, %d sent, %d planned", total, sent, plannedN.Load())
	}
	got := map[string]int{}
	for _, s := range platform.Sent() {
		got[s.Message.IdempotencyKey]++
	}
	rows, err := pool.Query(ctx, `SELECT id, key FROM deliveries`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			t.Fatal(err)
		}
		if n := got[fmt.Sprintf("zg-%d", id)]; n != 1 {
			t.Errorf("%s delivered %d times", key, n)
		}
	}
	if len(got) != total {
		t.Errorf("platform got %d distinct deliveries, want %d", len(got), total)
	}
	t.Logf("%d deliveries, %d platform calls, %d failed (%.0f%%)", total, calls, failures, 100*float64(failures)/float64(calls))
}
