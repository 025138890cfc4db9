package store

import (
	"context"
	"time"
)

// FlaggedItem is an item under 挂牌督办.
type FlaggedItem struct {
	ItemID     int64     `json:"item_id"`
	CampaignID int64     `json:"-"`
	Note       string    `json:"note,omitempty"`
	FlaggedBy  *int64    `json:"flagged_by"`
	FlaggedAt  time.Time `json:"flagged_at"`
	// ReviewRequestID is the 销号 request the unit's leader approved, when
	// it waits for the office's 复核.
	ReviewRequestID *int64     `json:"review_request_id,omitempty"`
	ReviewSince     *time.Time `json:"review_since,omitempty"`
}

const flagColumns = `item_id, campaign_id, note, flagged_by, flagged_at, review_request_id, review_since`

func scanFlag(row interface{ Scan(...any) error }) (*FlaggedItem, error) {
	var f FlaggedItem
	if err := row.Scan(&f.ItemID, &f.CampaignID, &f.Note, &f.FlaggedBy, &f.FlaggedAt, &f.ReviewRequestID, &f.ReviewSince); err != nil {
		return nil, err
	}
	return &f, nil
}

// FlagItem puts an item under 挂牌督办; it returns ErrConflict when it
// already is.
func (s *Store) FlagItem(ctx context.Context, f *FlaggedItem) error {
	tag, err := s.db.Exec(ctx, `INSERT INTO flagged_items (item_id, campaign_id, note, flagged_by, flagged_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (item_id) DO NOTHING`, f.ItemID, f.CampaignID, f.Note, f.FlaggedBy, f.FlaggedAt)
	if err != nil {
		return wrap("flag item", err)
	}
	if tag.RowsAffected() == 0 {
		return wrap("flag item", ErrConflict)
	}
	return nil
}

// UnflagItem removes an item's flag; ErrNotFound when it has none.
func (s *Store) UnflagItem(ctx context.Context, itemID int64) error {
	tag, err := s.db.Exec(ctx, `DELETE FROM flagged_items WHERE item_id = $1`, itemID)
	if err != nil {
		return wrap("unflag item", err)
	}
	if tag.RowsAffected() == 0 {
		return wrap("unflag item", ErrNotFound)
	}
	return nil
}

// FlagOf returns an item's flag, locked until the transaction ends when
// lock is set; ErrNotFound when it is not flagged.
func (s *Store) FlagOf(ctx context.Context, itemID int64, lock bool) (*FlaggedItem, error) {
	q := `SELECT ` + flagColumns + ` FROM flagged_items WHERE item_id = $1`
	if lock {
		q += ` FOR UPDATE`
	}
	f, err := scanFlag(s.db.QueryRow(ctx, q, itemID))
	return f, wrap("flag of item", err)
}

// SetFlagReview records (requestID set) or clears (nil) the 销号 request
// that waits for the office's 复核.
func (s *Store) SetFlagReview(ctx context.Context, itemID int64, requestID *int64, since *time.Time) error {
	_, err := s.db.Exec(ctx, `UPDATE flagged_items SET review_request_id = $2, review_since = $3 WHERE item_id = $1`, itemID, requestID, since)
	return wrap("set flag review", err)
}

// FlaggedOpenItems returns the campaign's flagged items not yet closed,
// with their flags, by deadline.
func (s *Store) FlaggedOpenItems(ctx context.Context, campaignID int64) ([]*LedgerItem, map[int64]*FlaggedItem, error) {
	items, err := s.queryItems(ctx, "flagged items", `WHERE campaign_id = $1 AND status <> 'closed'
		AND id IN (SELECT item_id FROM flagged_items WHERE campaign_id = $1) ORDER BY due_on, id`, campaignID)
	if err != nil {
		return nil, nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT `+flagColumns+` FROM flagged_items WHERE campaign_id = $1`, campaignID)
	if err != nil {
		return nil, nil, wrap("flags", err)
	}
	defer rows.Close()
	flags := map[int64]*FlaggedItem{}
	for rows.Next() {
		f, err := scanFlag(rows)
		if err != nil {
			return nil, nil, wrap("flags", err)
		}
		flags[f.ItemID] = f
	}
	return items, flags, wrap("flags", rows.Err())
}
