package store

import (
	"context"
	"time"
)

// PruneDeliveries deletes delivered rows of deliveries (sent, or superseded
// by a newer card) last touched before cutoff, and returns how many went.
// A row's key is what stops the planner from sending a reminder twice
// (deliveries.key is UNIQUE), so a keyed row goes only when its key can
// never be planned again: when the day its key names is before cutoff too.
// The planner (handlers/planner.go) plans a key only on its own day and
// looks back at most 45 days (item deadlines), so a key whose day is past
// cutoff (the retention, far longer) is dead:
//
//	monthly:2023-06:…          the period: dead two months after its first day
//	item:42:2023-09-28:…       the item's deadline
//	item-escalation:2023-10-09:…, <digest kind>:<campaign>:2023-10-09:…,
//	audit-anchor:<campaign>:2023-10-09:…   the day of the message
//	ereq-msg:…                 a relayed message: keyed by its instant, planned never
//
// Keys without a day of their own (milestone:…:T-3, ereq:…:late, which the
// planner may produce again while their condition lasts) are kept, as are
// rows without a key that are not yet delivered.
func (s *Store) PruneDeliveries(ctx context.Context, cutoff time.Time) (int64, error) {
	tag, err := s.db.Exec(ctx, `
		DELETE FROM deliveries
		WHERE state IN ('sent', 'superseded')
		  AND coalesce(sent_at, created_at) < $1
		  AND (key IS NULL
		       OR key LIKE 'ereq-msg:%'
		       OR CASE
		            WHEN key ~ '^monthly:\d{4}-\d{2}:'
		              THEN to_date(substring(key FROM '^monthly:(\d{4}-\d{2}):'), 'YYYY-MM') + interval '2 months'
		            WHEN key ~ '^item:\d+:\d{4}-\d{2}-\d{2}:'
		              THEN substring(key FROM '^item:\d+:(\d{4}-\d{2}-\d{2}):')::date
		            WHEN key ~ '^item-escalation:\d{4}-\d{2}-\d{2}:'
		              THEN substring(key FROM '^item-escalation:(\d{4}-\d{2}-\d{2}):')::date
		            WHEN key ~ '^(digest[a-z-]*|audit-anchor):[^:]+:\d{4}-\d{2}-\d{2}:'
		              THEN substring(key FROM '^(?:digest[a-z-]*|audit-anchor):[^:]+:(\d{4}-\d{2}-\d{2}):')::date
		          END < $1::date)`, cutoff)
	if err != nil {
		return 0, wrap("prune deliveries", err)
	}
	return tag.RowsAffected(), nil
}
