package bot

import (
	"context"
	"log/slog"
	"time"
)

// inboundRetention is how long event ids are kept for dedupe: far past every
// platform's retry window (Feishu retries for about 7 hours).
const inboundRetention = 30 * 24 * time.Hour

// deliveryRetention is how long delivered messages are kept: their rows
// serve card updates (a reminder's card redrawn when its item changes) and
// the operator's questions for a while; a keyed row goes only once its key
// can never be planned again (store.PruneDeliveries), far past the
// planner's 45-day look-back.
const deliveryRetention = 90 * 24 * time.Hour

// RunHousekeeping forgets old inbound event ids, delivered messages and
// expired dialogs every hour until ctx is done. Every replica may run it;
// the deletes are idempotent.
func (b *Bot) RunHousekeeping(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		b.Housekeep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Housekeep runs one housekeeping pass as of the bot's clock.
func (b *Bot) Housekeep(ctx context.Context) {
	now := b.clock.Now()
	prune := func(what string, fn func() (int64, error)) {
		n, err := fn()
		switch {
		case err != nil && ctx.Err() == nil:
			b.log.WarnContext(ctx, "Pruning failed", slog.String("what", what), slog.Any("error", err))
		case n > 0:
			b.log.DebugContext(ctx, "Pruned", slog.String("what", what), slog.Int64("count", n))
		}
	}
	prune("inbound_events", func() (int64, error) { return b.store.PruneInboundEvents(ctx, now.Add(-inboundRetention)) })
	prune("deliveries", func() (int64, error) { return b.store.PruneDeliveries(ctx, now.Add(-deliveryRetention)) })
	prune("dialogs", func() (int64, error) { return b.store.PruneDialogs(ctx, now) })
	prune("dash_sessions", func() (int64, error) { return b.store.PruneDash(ctx, now) }) // expired 看板 links and sessions
}
