package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Bulletin states.
const (
	BulletinDraft = "draft"
	BulletinSent  = "sent"
)

// Bulletin is a 情况通报.
type Bulletin struct {
	ID         int64      `json:"id"`
	CampaignID int64      `json:"-"`
	Period     string     `json:"period"`
	Text       string     `json:"text"`
	State      string     `json:"state"`
	CreatedBy  *int64     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	SentBy     *int64     `json:"sent_by,omitempty"`
	SentAt     *time.Time `json:"sent_at,omitempty"`
	SentUnits  []int64    `json:"sent_units,omitempty"`
	Version    int        `json:"version"`
}

const bulletinColumns = `id, campaign_id, period, text, state, created_by, created_at, sent_by, sent_at, sent_units, version`

func scanBulletin(row interface{ Scan(...any) error }) (*Bulletin, error) {
	var b Bulletin
	if err := row.Scan(&b.ID, &b.CampaignID, &b.Period, &b.Text, &b.State, &b.CreatedBy, &b.CreatedAt, &b.SentBy, &b.SentAt,
		&b.SentUnits, &b.Version); err != nil {
		return nil, err
	}
	return &b, nil
}

// CreateBulletin inserts a draft and sets its id, state and version.
func (s *Store) CreateBulletin(ctx context.Context, b *Bulletin) error {
	b.State = BulletinDraft
	err := s.db.QueryRow(ctx, `INSERT INTO bulletins (campaign_id, period, text, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id, version`, b.CampaignID, b.Period, b.Text, b.CreatedBy, b.CreatedAt).Scan(&b.ID, &b.Version)
	return wrap("create bulletin", err)
}

// LockBulletin returns the bulletin with id, locked until the transaction
// ends.
func (s *Store) LockBulletin(ctx context.Context, id int64) (*Bulletin, error) {
	b, err := scanBulletin(s.db.QueryRow(ctx, `SELECT `+bulletinColumns+` FROM bulletins WHERE id = $1 FOR UPDATE`, id))
	return b, wrap("lock bulletin", err)
}

// UpdateBulletin writes b's text, state and sending when its version is
// still expectVersion; ErrConflict otherwise.
func (s *Store) UpdateBulletin(ctx context.Context, b *Bulletin, expectVersion int) error {
	err := s.db.QueryRow(ctx, `UPDATE bulletins SET text = $3, state = $4, sent_by = $5, sent_at = $6, sent_units = coalesce($7::bigint[], '{}'), version = version + 1
		WHERE id = $1 AND version = $2 RETURNING version`, b.ID, expectVersion, b.Text, b.State, b.SentBy, b.SentAt, b.SentUnits).Scan(&b.Version)
	if err != nil {
		err = interpretError(err)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("store: update bulletin %d: %w", b.ID, ErrConflict)
		}
		return fmt.Errorf("store: update bulletin: %w", err)
	}
	return nil
}

// LatestDraftBulletin returns the campaign's newest draft bulletin.
func (s *Store) LatestDraftBulletin(ctx context.Context, campaignID int64) (*Bulletin, error) {
	b, err := scanBulletin(s.db.QueryRow(ctx, `SELECT `+bulletinColumns+` FROM bulletins
		WHERE campaign_id = $1 AND state = 'draft' ORDER BY created_at DESC, id DESC LIMIT 1`, campaignID))
	return b, wrap("latest draft bulletin", err)
}
