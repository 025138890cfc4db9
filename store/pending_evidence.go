package store

import (
	"context"
	"time"
)

// PendingEvidence is files a person sent without a caption, stored, waiting
// for him to say which ledger item they are evidence for.
type PendingEvidence struct {
	ID         int64
	CampaignID int64
	PersonID   int64
	FileIDs    []int64
	Names      []string
	CreatedAt  time.Time
	UsedAt     *time.Time
	ItemID     *int64
}

// AddPendingEvidence records p and sets its id.
func (s *Store) AddPendingEvidence(ctx context.Context, p *PendingEvidence) error {
	err := s.db.QueryRow(ctx, `
		INSERT INTO pending_evidence (campaign_id, person_id, file_ids, names, created_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, p.CampaignID, p.PersonID, p.FileIDs, p.Names, p.CreatedAt).Scan(&p.ID)
	return wrap("add pending evidence", err)
}

// AppendPendingEvidence adds files to a person's pending files p (locked)
// and updates p.
func (s *Store) AppendPendingEvidence(ctx context.Context, p *PendingEvidence, fileIDs []int64, names []string) error {
	err := s.db.QueryRow(ctx, `
		UPDATE pending_evidence SET file_ids = file_ids || $2::bigint[], names = names || $3::text[]
		 WHERE id = $1 RETURNING file_ids, names`, p.ID, fileIDs, names).Scan(&p.FileIDs, &p.Names)
	return wrap("append pending evidence", err)
}

// LockPendingEvidence returns the pending files id of person, locked until
// the transaction ends; ErrNotFound when they are not his.
func (s *Store) LockPendingEvidence(ctx context.Context, id, personID int64) (*PendingEvidence, error) {
	var p PendingEvidence
	err := s.db.QueryRow(ctx, `
		SELECT id, campaign_id, person_id, file_ids, names, created_at, used_at, item_id
		  FROM pending_evidence WHERE id = $1 AND person_id = $2 FOR UPDATE`, id, personID).
		Scan(&p.ID, &p.CampaignID, &p.PersonID, &p.FileIDs, &p.Names, &p.CreatedAt, &p.UsedAt, &p.ItemID)
	return &p, wrap("lock pending evidence", err)
}

// UsePendingEvidence marks the pending files attached to item at at.
func (s *Store) UsePendingEvidence(ctx context.Context, id, itemID int64, at time.Time) error {
	_, err := s.db.Exec(ctx, `UPDATE pending_evidence SET used_at = $3, item_id = $2 WHERE id = $1`, id, itemID, at)
	return wrap("use pending evidence", err)
}

// OpenItemsTouched returns the campaign's open items of units (of every
// unit when units is nil), the most recently changed first, at most limit.
func (s *Store) OpenItemsTouched(ctx context.Context, campaignID int64, units []int64, limit int) ([]*LedgerItem, error) {
	return s.queryItems(ctx, "open items touched", `WHERE campaign_id = $1 AND ($2::bigint[] IS NULL OR unit_id = ANY($2))
		AND status <> 'closed' ORDER BY updated_at DESC, id DESC LIMIT $3`, campaignID, units, limit)
}

// LatestPendingEvidence returns person's newest files not yet attached,
// locked; ErrNotFound when there are none.
func (s *Store) LatestPendingEvidence(ctx context.Context, personID int64) (*PendingEvidence, error) {
	var p PendingEvidence
	err := s.db.QueryRow(ctx, `
		SELECT id, campaign_id, person_id, file_ids, names, created_at, used_at, item_id
		  FROM pending_evidence WHERE person_id = $1 AND used_at IS NULL
		 ORDER BY created_at DESC, id DESC LIMIT 1 FOR UPDATE`, personID).
		Scan(&p.ID, &p.CampaignID, &p.PersonID, &p.FileIDs, &p.Names, &p.CreatedAt, &p.UsedAt, &p.ItemID)
	return &p, wrap("latest pending evidence", err)
}
