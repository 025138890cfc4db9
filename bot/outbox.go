package bot

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"zhenggai/store"
)

// The outbox: every message the bot sends is first a row in deliveries,
// written in the transaction of the change that causes it. Workers claim due
// rows with FOR UPDATE SKIP LOCKED (so several replicas share the work),
// send them through the adapter and record the platform's message id. A
// worker that dies leaves its rows "sending" until their lease runs out, and
// then another worker sends them: delivery is at least once, and a duplicate
// can only come from a crash between the platform's answer and our record.

const (
	deliveryLease    = 2 * time.Minute
	deliveryBatch    = 64
	deliveryAttempts = 8
	// deliveryConcurrency bounds the sends in flight per worker.
	deliveryConcurrency = 16
)

// enqueue writes the outgoing messages as deliveries.
func (b *Bot) enqueue(ctx context.Context, tx *store.Store, outs []Outgoing) error {
	_, err := b.Enqueue(ctx, tx, outs)
	return err
}

// Enqueue writes outgoing messages as deliveries in st's transaction and
// returns how many were new (a message whose key was queued before is
// dropped). Call Wake after the transaction commits.
func (b *Bot) Enqueue(ctx context.Context, st *store.Store, outs []Outgoing) (int, error) {
	n := 0
	now := b.clock.Now()
	for _, o := range outs {
		payload, err := json.Marshal(o.Message)
		if err != nil {
			return n, fmt.Errorf("bot: encode message: %w", err)
		}
		d := &store.Delivery{
			Platform: string(o.To.Platform), ChatID: o.To.ChatID, UserID: o.To.UserID,
			Payload: payload, Subject: o.Subject, NextAttemptAt: now,
		}
		if o.Key != "" {
			key := o.Key
			d.Key = &key
		}
		fresh, err := st.EnqueueDelivery(ctx, d)
		if err != nil {
			return n, err
		}
		if fresh {
			n++
		}
	}
	return n, nil
}

// Wake tells the delivery loop there is work.
func (b *Bot) Wake() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// RunDeliveries sends due deliveries until ctx is done, waking on Wake and
// every second.
func (b *Bot) RunDeliveries(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		for {
			n, err := b.DeliverDue(ctx)
			if err != nil && ctx.Err() == nil {
				b.log.ErrorContext(ctx, "Delivery pass failed", slog.Any("error", err))
			}
			if n < deliveryBatch || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-b.wake:
		case <-tick.C:
		}
	}
}

// DeliverDue claims one batch of due deliveries, sends them and records the
// outcome. It returns how many it claimed. Deliveries to different
// recipients go out concurrently (up to deliveryConcurrency at once); those
// to one recipient go out one after another in the order they were queued,
// so a chat reads them in order.
func (b *Bot) DeliverDue(ctx context.Context) (int, error) {
	ds, err := b.store.ClaimDeliveries(ctx, b.clock.Now(), deliveryLease, deliveryBatch)
	if err != nil {
		return 0, err
	}
	var (
		order  []string
		queues = map[string][]*store.Delivery{}
	)
	for _, d := range ds {
		k := d.Platform + "|" + d.ChatID + "|" + d.UserID
		if _, ok := queues[k]; !ok {
			order = append(order, k)
		}
		queues[k] = append(queues[k], d)
	}
	concurrency := deliveryConcurrency
	if b.store.Tx() != nil {
		// A bot over one transaction (tests) has one connection.
		concurrency = 1
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		slots = make(chan struct{}, concurrency)
	)
	for _, k := range order {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			for _, d := range queues[k] {
				if ctx.Err() != nil {
					// Stopping: the rest wait for their lease to run out.
					return
				}
				if err := b.deliver(ctx, d); err != nil {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return len(ds), first
}

// deliver sends one delivery and records the outcome.
func (b *Bot) deliver(ctx context.Context, d *store.Delivery) error {
	ad := b.adapters[Platform(d.Platform)]
	if ad == nil {
		return b.store.FailDelivery(ctx, d.ID, "platform "+d.Platform+" is not enabled")
	}
	var m Message
	if err := json.Unmarshal(d.Payload, &m); err != nil {
		return b.store.FailDelivery(ctx, d.ID, "bad payload: "+err.Error())
	}
	if m.Fetch != nil {
		return b.runFetch(ctx, d, m.Fetch)
	}
	to := Target{Platform: Platform(d.Platform), ChatID: d.ChatID, UserID: d.UserID}
	m.IdempotencyKey = idempotencyKey(d.ID)
	if m.File != nil && m.File.StoredID != 0 && m.File.Content == nil {
		sf, err := b.store.FileByID(ctx, m.File.StoredID)
		if err != nil {
			return b.store.RetryDelivery(ctx, d.ID, "stored file: "+err.Error(), b.clock.Now().Add(time.Minute))
		}
		m.File.Content, m.File.MIME = sf.Content, cmp.Or(m.File.MIME, sf.MIME)
	}
	var update string
	if m.Update != nil {
		update = m.Update.MessageID
	}
	if ok, later, err := b.waitTurn(ctx, to, update); err != nil {
		return err
	} else if !ok {
		return b.store.RetryDelivery(ctx, d.ID, "waiting for the send rate limit", b.clock.Now().Add(later))
	}
	var ref MessageRef
	var err error
	if m.File != nil {
		fs, ok := ad.(FileSender)
		if !ok {
			err = fmt.Errorf("%w: %w", ErrPermanent, ErrNotSupported)
		} else {
			ref, err = fs.SendFile(ctx, to, m.File)
		}
	} else if m.Update != nil {
		ref, err = b.updateCard(ctx, ad, &m)
	} else {
		ref, err = ad.Send(ctx, to, &m)
	}
	now := b.clock.Now()
	// The send happened (or failed) whatever becomes of the worker now:
	// its outcome is recorded even when ctx was just cancelled (a shutdown,
	// another send of the batch failing), so it is not sent again.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordPatience+10*time.Second)
	defer cancel()
	if err == nil {
		b.metrics.DeliveriesSent.WithLabelValues(d.Platform).Inc()
		id := ref.MessageID
		if ref.Token != "" {
			id += "|" + ref.Token
		}
		return b.recordSent(ctx, d.ID, id, now)
	}
	permanent := errors.Is(err, ErrPermanent) || d.Attempts >= deliveryAttempts
	b.metrics.DeliveriesFailed.WithLabelValues(d.Platform, fmt.Sprint(permanent)).Inc()
	b.log.WarnContext(ctx, "Delivery failed", slog.Int64("delivery_id", d.ID), slog.String("platform", d.Platform),
		slog.Int("attempt", d.Attempts), slog.Bool("permanent", permanent), slog.Any("error", err))
	if permanent {
		return b.store.FailDelivery(ctx, d.ID, err.Error())
	}
	backoff := time.Duration(1<<min(d.Attempts, 10)) * time.Second
	var rl *RateLimitedError
	if errors.As(err, &rl) && rl.RetryAfter > 0 {
		backoff = rl.RetryAfter
	}
	return b.store.RetryDelivery(ctx, d.ID, err.Error(), now.Add(backoff))
}

// recordPatience is how long a sent message's record is retried while the
// database is away, before the delivery is left to its lease (and sent
// again after it, which WeCom and DingTalk, without an idempotency key,
// would show twice).
const recordPatience = time.Minute

// recordSent records a sent delivery, retrying while the database does not
// answer, up to recordPatience.
func (b *Bot) recordSent(ctx context.Context, id int64, messageID string, at time.Time) error {
	deadline := time.Now().Add(recordPatience)
	pause := 100 * time.Millisecond
	for {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := b.store.MarkDeliverySent(rctx, id, messageID, at)
		cancel()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		b.log.WarnContext(ctx, "Delivery sent but not recorded yet; retrying", slog.Int64("delivery_id", id), slog.Any("error", err))
		time.Sleep(pause)
		pause = min(2*pause, 2*time.Second)
	}
}

// ParseMessageRef splits a delivery's recorded message id back into a
// MessageRef.
func ParseMessageRef(d *store.Delivery) MessageRef {
	ref := MessageRef{Platform: Platform(d.Platform), ChatID: d.ChatID}
	ref.MessageID = d.MessageID
	for i := 0; i < len(d.MessageID); i++ {
		if d.MessageID[i] == '|' {
			ref.MessageID, ref.Token = d.MessageID[:i], d.MessageID[i+1:]
			break
		}
	}
	return ref
}

// idempotencyKey is the key a platform that has one (Feishu's uuid, ≤ 50
// characters) uses to drop a repeated send of the same delivery.
func idempotencyKey(deliveryID int64) string { return "zg-" + strconv.FormatInt(deliveryID, 10) }
