package store

import (
	"context"
	"time"
)

// ProgressUpdate is one append-only entry of an item's 整改进展.
type ProgressUpdate struct {
	ID        int64     `json:"id"`
	ItemID    int64     `json:"item_id"`
	Text      string    `json:"text"`
	Status    string    `json:"status"`
	Effect    string    `json:"effect,omitempty"`
	Evidence  string    `json:"evidence,omitempty"`
	FileID    *int64    `json:"file_id,omitempty"`
	PersonID  *int64    `json:"person_id,omitempty"`
	Platform  string    `json:"platform"`
	Account   string    `json:"account"`
	MessageID string    `json:"message_id"`
	CreatedAt time.Time `json:"created_at"`
}

// AddProgress appends p and sets its id and time. Rows are never updated.
func (s *Store) AddProgress(ctx context.Context, p *ProgressUpdate) error {
	err := s.db.QueryRow(ctx, `
		INSERT INTO progress_updates (item_id, text, status, effect, evidence, file_id, person_id, platform, account, message_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, now()))
		RETURNING id, created_at`, p.ItemID, p.Text, p.Status, p.Effect, p.Evidence, p.FileID, p.PersonID,
		p.Platform, p.Account, p.MessageID, nullTime(p.CreatedAt)).Scan(&p.ID, &p.CreatedAt)
	return wrap("add progress", err)
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// ProgressOf returns an item's latest limit progress updates, newest first.
func (s *Store) ProgressOf(ctx context.Context, itemID int64, limit int) ([]*ProgressUpdate, error) {
	rows, err := s.db.Query(ctx, `
		SELECT id, item_id, text, status, effect, evidence, file_id, person_id, platform, account, message_id, created_at
		FROM progress_updates WHERE item_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, itemID, limit)
	if err != nil {
		return nil, wrap("progress of item", err)
	}
	defer rows.Close()
	var out []*ProgressUpdate
	for rows.Next() {
		var p ProgressUpdate
		if err := rows.Scan(&p.ID, &p.ItemID, &p.Text, &p.Status, &p.Effect, &p.Evidence, &p.FileID, &p.PersonID,
			&p.Platform, &p.Account, &p.MessageID, &p.CreatedAt); err != nil {
			return nil, wrap("progress of item", err)
		}
		out = append(out, &p)
	}
	return out, wrap("progress of item", rows.Err())
}

// CountProgress returns how many progress updates an item has.
func (s *Store) CountProgress(ctx context.Context, itemID int64) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM progress_updates WHERE item_id = $1`, itemID).Scan(&n)
	return n, wrap("count progress", err)
}
