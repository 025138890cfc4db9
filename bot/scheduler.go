package bot

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"zhenggai/store"
)

// The scheduler runs each campaign's schedules (the monthly report's
// remind_at, the digest's at, …) as cron schedules in the campaign's time
// zone, on Postgres alone:
//
//   - One replica's loop plans (a lease row with an expiry, renewed by the
//     holder, taken over when it runs out). The lease only saves work.
//   - An occurrence is planned once: the planning transaction first inserts
//     the occurrence's scheduler_runs row, then reads the database, then
//     enqueues the deliveries, and commits all of it together. A second
//     planner blocks on that row and then finds it taken; a planner that dies
//     leaves nothing, and the next tick plans again.
//   - Each delivery has a key naming the reminder and its recipient
//     (monthly:2023-06:lingbao:T-3:feishu:oc_x); deliveries.key is UNIQUE, so
//     even two plans of one occurrence send a key once.
//   - Coalescing: a tick runs each schedule's latest occurrence at or before
//     now that has not run; earlier missed ones are not replayed. An
//     occurrence whose day (in the campaign's time zone) has passed is
//     recorded as skipped, not planned: a reminder for day D goes out on D
//     or not at all, and the next day's plan supersedes it.
//   - Sending is the outbox's job (outbox.go): SKIP LOCKED claims, leases,
//     retries with backoff, per-recipient rate limits.
//
// River was the intended engine; it is not used because the outbox already
// gives durable, unique, transactional, retried deliveries in our own table,
// and River's periodic jobs run on River's own clock, which cannot be driven
// to an arbitrary instant as `zhenggai tick --now T` and the tests require.

// Schedule is one cron schedule of a campaign.
type Schedule struct {
	Name string
	// Spec is a five-field cron spec ("0 9 * * *") read in the campaign's
	// time zone.
	Spec string
}

// PlanRun is one occurrence being planned.
type PlanRun struct {
	Bot *Bot
	// Store is the planning transaction: read the state from it.
	Store      *store.Store
	Campaign   *store.Campaign
	Schedule   string
	Occurrence time.Time
}

// Planner decides what each schedule owes; handlers implement it.
type Planner interface {
	// Schedules returns the campaign's schedules.
	Schedules(c *store.Campaign) ([]Schedule, error)
	// Plan returns the messages owed at the run's occurrence, from the
	// database state alone. Every message must carry a Key.
	Plan(ctx context.Context, run *PlanRun) ([]Outgoing, error)
}

// Explainer is a Planner that can say, in Chinese, what an instant means
// for a campaign's schedules (which reminders fall on its day, which moved
// off it and to when). Tick says it before what ran.
type Explainer interface {
	Explain(ctx context.Context, st *store.Store, c *store.Campaign, at time.Time) ([]string, error)
	// ScheduleLabel names a schedule for people (提醒, 每日摘要).
	ScheduleLabel(name string) string
}

// SchedulerConfig is what a Scheduler is built from.
type SchedulerConfig struct {
	Bot     *Bot
	Planner Planner
	// ID names this replica in the lease; default host-pid-random.
	ID string
	// LeaseTTL is how long the leader's lease lasts without renewal;
	// default 30 s. The loop wakes three times per TTL.
	LeaseTTL time.Duration
	// TickWait bounds how long Tick waits for its deliveries; default 30 s.
	TickWait time.Duration
	Logger   *slog.Logger
}

// Scheduler plans schedules and hands their messages to the outbox.
type Scheduler struct {
	bot      *Bot
	planner  Planner
	id       string
	leaseTTL time.Duration
	tickWait time.Duration
	log      *slog.Logger
}

const schedulerLease = "scheduler"

// NewScheduler returns a scheduler.
func NewScheduler(cfg SchedulerConfig) *Scheduler {
	id := cfg.ID
	if id == "" {
		host, _ := os.Hostname()
		var b [4]byte
		_, _ = rand.Read(b[:])
		id = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	return &Scheduler{
		bot: cfg.Bot, planner: cfg.Planner, id: id,
		leaseTTL: cmp.Or(cfg.LeaseTTL, 30*time.Second),
		tickWait: cmp.Or(cfg.TickWait, 30*time.Second),
		log:      cmp.Or(cfg.Logger, cfg.Bot.log),
	}
}

// TickResult is what RunDue did.
type TickResult struct {
	// Ran names the occurrences planned ("smx-2023/remind@2023-06-20T09:00").
	Ran []string
	// Skipped names occurrences recorded without planning (their day had
	// passed).
	Skipped []string
	// DeliveryIDs are the deliveries the plans queued.
	DeliveryIDs []int64
	// Queued counts the deliveries queued by schedule name.
	Queued map[string]int
}

// RunDue plans, for every campaign, each schedule's latest occurrence at or
// before now that has not run yet.
func (s *Scheduler) RunDue(ctx context.Context, now time.Time) (*TickResult, error) {
	st := s.bot.store
	camps, err := st.Campaigns(ctx)
	if err != nil {
		return nil, err
	}
	res := &TickResult{}
	for _, c := range camps {
		scheds, err := s.planner.Schedules(c)
		if err != nil {
			return res, fmt.Errorf("bot: schedules of %s: %w", c.Key, err)
		}
		loc := c.Location()
		for _, sc := range scheds {
			occ, err := LatestOccurrence(sc.Spec, loc, now)
			if err != nil {
				return res, fmt.Errorf("bot: schedule %s of %s: %w", sc.Name, c.Key, err)
			}
			if occ.IsZero() {
				continue
			}
			done, err := st.ScheduleRunDone(ctx, c.ID, sc.Name, occ)
			if err != nil {
				return res, err
			}
			if done {
				continue
			}
			if err := s.runOccurrence(ctx, c, sc.Name, occ, now, res); err != nil {
				return res, err
			}
		}
	}
	if len(res.DeliveryIDs) > 0 {
		s.bot.Wake()
	}
	return res, nil
}

func (s *Scheduler) runOccurrence(ctx context.Context, c *store.Campaign, name string, occ, now time.Time, res *TickResult) error {
	loc := c.Location()
	stale := !sameDay(occ, now, loc)
	label := fmt.Sprintf("%s/%s@%s", c.Key, name, occ.In(loc).Format("2006-01-02T15:04"))
	var ids []int64
	var claimed bool
	err := s.bot.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		claimed, err = tx.ClaimScheduleRun(ctx, store.ClaimScheduleRunParams{
			CampaignID: c.ID, Schedule: name, Occurrence: occ, Runner: s.id, Skipped: stale})
		if err != nil || !claimed || stale {
			return err
		}
		outs, err := s.planner.Plan(ctx, &PlanRun{Bot: s.bot, Store: tx, Campaign: c, Schedule: name, Occurrence: occ})
		if err != nil {
			return err
		}
		ids, err = s.bot.EnqueueKeyed(ctx, tx, outs)
		if err != nil {
			return err
		}
		return tx.SetScheduleRunEnqueued(ctx, c.ID, name, occ, len(ids))
	})
	if err != nil {
		return fmt.Errorf("bot: plan %s: %w", label, err)
	}
	switch {
	case !claimed:
	case stale:
		res.Skipped = append(res.Skipped, label)
		s.log.DebugContext(ctx, "Schedule occurrence skipped: its day has passed", slog.String("occurrence", label))
	default:
		res.Ran = append(res.Ran, label)
		res.DeliveryIDs = append(res.DeliveryIDs, ids...)
		if len(ids) > 0 {
			if res.Queued == nil {
				res.Queued = map[string]int{}
			}
			res.Queued[name] += len(ids)
		}
		level := slog.LevelDebug
		if len(ids) > 0 {
			level = slog.LevelInfo
		}
		s.log.Log(ctx, level, "Schedule planned", slog.String("occurrence", label), slog.Int("deliveries", len(ids)))
	}
	return nil
}

// EnqueueKeyed writes keyed outgoing messages as deliveries in st's
// transaction in one statement and returns the ids of those that are new (a
// key queued before is dropped), one copy per person per chat
// (OneCopyPerChat). Call Wake after the commit.
func (b *Bot) EnqueueKeyed(ctx context.Context, st *store.Store, outs []Outgoing) ([]int64, error) {
	now := b.clock.Now()
	outs = b.OneCopyPerChat(outs)
	ds := make([]*store.Delivery, 0, len(outs))
	for _, o := range outs {
		if o.Key == "" {
			return nil, errors.New("bot: a planned message has no key")
		}
		payload, err := json.Marshal(o.Message)
		if err != nil {
			return nil, fmt.Errorf("bot: encode message: %w", err)
		}
		key := o.Key
		ds = append(ds, &store.Delivery{Key: &key, Platform: string(o.To.Platform), ChatID: o.To.ChatID,
			UserID: o.To.UserID, Payload: payload, Subject: o.Subject, NextAttemptAt: now})
	}
	return st.EnqueueDeliveries(ctx, ds)
}

// Run plans due schedules until ctx is done, while this replica holds the
// scheduler lease. It releases the lease on the way out.
func (s *Scheduler) Run(ctx context.Context) {
	st := s.bot.store
	defer func() {
		if err := st.ReleaseLease(context.WithoutCancel(ctx), schedulerLease, s.id); err != nil {
			s.log.Warn("Scheduler lease release failed", slog.Any("error", err))
		}
	}()
	t := time.NewTicker(s.leaseTTL / 3)
	defer t.Stop()
	leader := false
	for {
		ok, err := st.AcquireLease(ctx, schedulerLease, s.id, s.leaseTTL)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.ErrorContext(ctx, "Scheduler lease failed", slog.Any("error", err))
		case ok != leader:
			leader = ok
			s.log.InfoContext(ctx, "Scheduler leadership changed", slog.String("replica", s.id), slog.Bool("leader", leader))
		}
		if ok {
			if _, err := s.RunDue(ctx, s.bot.clock.Now()); err != nil && ctx.Err() == nil {
				s.log.ErrorContext(ctx, "Scheduler tick failed", slog.Any("error", err))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick runs what the scheduler would run if it woke at now, then sends the
// deliveries it queued (and any others due) and waits for them, up to
// TickWait. It returns a short Chinese summary. It is `zhenggai tick` and the
// simulator's clock panel; it does not need the lease (the run rows and keys
// make it safe beside a running leader).
func (s *Scheduler) Tick(ctx context.Context, now time.Time) (string, error) {
	explained, err := s.explain(ctx, now)
	if err != nil {
		return "", err
	}
	res, err := s.RunDue(ctx, now)
	if err != nil {
		return "", err
	}
	deadline := time.Now().Add(s.tickWait)
	for {
		n, err := s.bot.DeliverDue(ctx)
		if err != nil {
			return "", err
		}
		if n > 0 {
			continue
		}
		counts, err := s.bot.store.DeliveryStateCounts(ctx, res.DeliveryIDs)
		if err != nil {
			return "", err
		}
		if counts[store.DeliveryPending]+counts[store.DeliverySending] == 0 || time.Now().After(deadline) {
			return explained + "运行结果：" + tickSummary(res, counts) + s.queuedBy(res), nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// queuedBy says what each schedule queued, in the planner's words:
// （提醒 17 条、企业诉求 4 条）; "" without an Explainer or when one
// schedule alone queued.
func (s *Scheduler) queuedBy(res *TickResult) string {
	ex, ok := s.planner.(Explainer)
	if !ok || len(res.Queued) < 2 {
		return ""
	}
	names := slices.Sorted(maps.Keys(res.Queued))
	parts := make([]string, 0, len(names))
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %d 条", ex.ScheduleLabel(n), res.Queued[n]))
	}
	return "（" + strings.Join(parts, "、") + "）"
}

// explain returns the planner's explanation of now for every campaign,
// one line each, ending in a newline; "" when the planner has none.
func (s *Scheduler) explain(ctx context.Context, now time.Time) (string, error) {
	ex, ok := s.planner.(Explainer)
	if !ok {
		return "", nil
	}
	camps, err := s.bot.store.Campaigns(ctx)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, c := range camps {
		lines, err := ex.Explain(ctx, s.bot.store, c, now)
		if err != nil {
			return "", fmt.Errorf("bot: explain %s: %w", c.Key, err)
		}
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
	}
	return b.String(), nil
}

func tickSummary(res *TickResult, counts map[string]int) string {
	if len(res.Ran) == 0 && len(res.Skipped) == 0 {
		return "没有到期的提醒或摘要"
	}
	if len(res.DeliveryIDs) == 0 && len(res.Skipped) == 0 {
		return "已检查，暂无需要发送的提醒或摘要"
	}
	parts := []string{fmt.Sprintf("已发送 %d 条消息", counts[store.DeliverySent])}
	if n := counts[store.DeliveryPending] + counts[store.DeliverySending]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d 条待重试", n))
	}
	if n := counts[store.DeliveryFailed]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d 条发送失败", n))
	}
	if n := len(res.Skipped); n > 0 {
		parts = append(parts, fmt.Sprintf("%d 个已过期的时点未补发", n))
	}
	return strings.Join(parts, "，")
}

// LatestOccurrence returns the latest instant at or before now at which the
// cron spec fires in loc, looking back up to a year; zero when none.
func LatestOccurrence(spec string, loc *time.Location, now time.Time) (time.Time, error) {
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return time.Time{}, err
	}
	if ss, ok := sched.(*cron.SpecSchedule); ok {
		ss.Location = loc
	}
	for _, back := range []time.Duration{time.Hour, 25 * time.Hour, 8 * 24 * time.Hour, 32 * 24 * time.Hour, 367 * 24 * time.Hour} {
		var last time.Time
		t := now.Add(-back)
		for i := 0; i < 10000; i++ {
			next := sched.Next(t)
			if next.IsZero() || next.After(now) {
				break
			}
			last, t = next, next
		}
		if !last.IsZero() {
			return last, nil
		}
	}
	return time.Time{}, nil
}

func sameDay(a, b time.Time, loc *time.Location) bool {
	ay, am, ad := a.In(loc).Date()
	by, bm, bd := b.In(loc).Date()
	return ay == by && am == bm && ad == bd
}

// TargetOf returns where to reach a person 1:1 given their accounts: the
// first enabled platform (in AddAdapter order) where they have one.
func (b *Bot) TargetOf(accs []store.Account) (Target, bool) {
	t, ok, _ := b.pickTarget(accs, "")
	return t, ok
}
