package bot

import (
	"context"
	"log/slog"
	"time"
)

// inboundRetention is how long event ids are kept for dedupe: far past every
// platform's retry window (Feishu retries for about 7 hours).
const inboundRetention = 30

// RunHousekeeping forgets old inbound event ids and expired dialogs every
// hour until ctx is done. Every replica may run it; the deletes are
// idempotent.
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

// Housekeep runs one housekeeping pass.
func (b *Bot) Housekeep(ctx context.Context) {
	if n, err := b.store.PruneInboundEvents(ctx, inboundRetention); err != nil {
		if ctx.Err() == nil {
			b.log.WarnContext(ctx, "Pruning inbound events failed", slog.Any("error", err))
		}
	} else if n > 0 {
		b.log.DebugContext(ctx, "Pruned inbound events", slog.Int64("count", n))
	}
	if _, err := b.store.PruneDialogs(ctx, b.clock.Now()); err != nil && ctx.Err() == nil {
		b.log.WarnContext(ctx, "Pruning dialogs failed", slog.Any("error", err))
	}
}
