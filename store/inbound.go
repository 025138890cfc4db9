package store

import (
	"context"
	"time"
)

// MarkEventSeen records a platform's event or message id. It returns false
// when the id was already recorded: the event is a duplicate. Call it in the
// transaction that applies the event, so that the record and the effects
// commit together; a concurrent duplicate waits on the first one's row lock
// and then sees it.
func (s *Store) MarkEventSeen(ctx context.Context, platform, eventID string) (bool, error) {
	tag, err := s.db.Exec(ctx, `
		INSERT INTO inbound_events (platform, event_id) VALUES ($1, $2)
		ON CONFLICT DO NOTHING`, platform, eventID)
	if err != nil {
		return false, wrap("mark event seen", err)
	}
	return tag.RowsAffected() == 1, nil
}

// PruneInboundEvents forgets event ids received before cutoff, past every
// platform's retry window.
func (s *Store) PruneInboundEvents(ctx context.Context, cutoff time.Time) (int64, error) {
	tag, err := s.db.Exec(ctx, `DELETE FROM inbound_events WHERE received_at < $1`, cutoff)
	if err != nil {
		return 0, wrap("prune inbound events", err)
	}
	return tag.RowsAffected(), nil
}
