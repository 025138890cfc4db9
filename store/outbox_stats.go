package store

import (
	"context"
	"time"
)

// OutboxStats is the delivery queue and the scheduler as monitoring sees
// them (bot's queue metrics, read on every Prometheus scrape).
type OutboxStats struct {
	// Pending, Sending and Failed count deliveries in those states; Failed
	// ones were given up on.
	Pending, Sending, Failed int
	// OldestDue is how long the longest-waiting due delivery (pending or
	// sending, next attempt at or before now) has been due; 0 when none.
	OldestDue time.Duration
	// LeaseExpires is when the scheduler leader's lease runs out; zero when
	// no replica ever held it.
	LeaseExpires time.Time
	// LastRun is when an occurrence of any schedule was last recorded; zero
	// when none was.
	LastRun time.Time
}

// OutboxStats reads the queue's figures as of now in one statement.
func (s *Store) OutboxStats(ctx context.Context, now time.Time) (*OutboxStats, error) {
	var st OutboxStats
	var oldest float64
	var lease, last *time.Time
	err := s.db.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE state = 'pending'),
		       count(*) FILTER (WHERE state = 'sending'),
		       count(*) FILTER (WHERE state = 'failed'),
		       coalesce(extract(epoch FROM $1::timestamptz - min(next_attempt_at)
		           FILTER (WHERE state IN ('pending', 'sending') AND next_attempt_at <= $1)), 0)::float8,
		       (SELECT expires_at FROM scheduler_leases WHERE name = 'scheduler'),
		       (SELECT max(ran_at) FROM scheduler_runs)
		FROM deliveries`, now).Scan(&st.Pending, &st.Sending, &st.Failed, &oldest, &lease, &last)
	if err != nil {
		return nil, wrap("outbox stats", err)
	}
	st.OldestDue = time.Duration(oldest * float64(time.Second))
	if lease != nil {
		st.LeaseExpires = *lease
	}
	if last != nil {
		st.LastRun = *last
	}
	return &st, nil
}
