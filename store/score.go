package store

import (
	"context"
	"time"
)

// What the monthly score (考评) of a span reads: the items that were past
// their deadline and not closed at some point of it, and the enterprise
// requests opened around it. Reports and 督办单 have their own readers
// (MonthlyReportsOfPeriod, SupervisionNotices).

// ItemsOverdueWithin returns the campaign's items whose deadline is before
// to and that were not closed before from: each was, on some day of
// [from, to], open past its deadline (the caller checks the day it
// closed against its deadline). Dates are civil dates.
func (s *Store) ItemsOverdueWithin(ctx context.Context, campaignID int64, from, to time.Time) ([]*LedgerItem, error) {
	return s.queryItems(ctx, "items overdue within", `WHERE campaign_id = $1 AND due_on < $3::date
		AND (closed_at IS NULL OR closed_at >= $2::date - 1) ORDER BY unit_id, number, id`, campaignID, from, to)
}

// RequestsOpenedWithin returns the campaign's enterprise requests opened
// in [from, to), oldest first.
func (s *Store) RequestsOpenedWithin(ctx context.Context, campaignID int64, from, to time.Time) ([]*EnterpriseRequest, error) {
	return s.queryRequests(ctx, "requests opened within", `r.campaign_id = $1 AND r.opened_at >= $2 AND r.opened_at < $3
		ORDER BY r.opened_at, r.id`, campaignID, from, to)
}
