package store

import (
	"context"
	"time"
)

// Item request kinds and states.
const (
	RequestKindClose  = "close"  // 销号
	RequestKindExtend = "extend" // 延期

	ItemRequestPending  = "pending"
	ItemRequestApproved = "approved"
	ItemRequestRejected = "rejected"
)

// ItemRequest is a 销号 or 延期 request on an item and its decision.
type ItemRequest struct {
	ID             int64      `json:"id"`
	ItemID         int64      `json:"item_id"`
	Kind           string     `json:"kind"`
	Result         string     `json:"result,omitempty"`
	NewDueOn       *time.Time `json:"new_due_on,omitempty"`
	Reason         string     `json:"reason,omitempty"`
	State          string     `json:"state"`
	RequestedBy    *int64     `json:"requested_by,omitempty"`
	RequestedAt    time.Time  `json:"requested_at"`
	DecidedBy      *int64     `json:"decided_by,omitempty"`
	DecidedAt      *time.Time `json:"decided_at,omitempty"`
	DecisionReason string     `json:"decision_reason,omitempty"`
}

const itemRequestColumns = `id, item_id, kind, result, new_due_on, reason, state, requested_by, requested_at,
	decided_by, decided_at, decision_reason`

func scanItemRequest(row interface{ Scan(...any) error }) (*ItemRequest, error) {
	var q ItemRequest
	if err := row.Scan(&q.ID, &q.ItemID, &q.Kind, &q.Result, &q.NewDueOn, &q.Reason, &q.State, &q.RequestedBy,
		&q.RequestedAt, &q.DecidedBy, &q.DecidedAt, &q.DecisionReason); err != nil {
		return nil, err
	}
	return &q, nil
}

// CreateItemRequest inserts a pending request and sets its id. An item has
// at most one pending request: a second returns ErrConflict.
func (s *Store) CreateItemRequest(ctx context.Context, q *ItemRequest) error {
	q.State = ItemRequestPending
	err := s.db.QueryRow(ctx, `
		INSERT INTO item_requests (item_id, kind, result, new_due_on, reason, requested_by, requested_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		RETURNING id`, q.ItemID, q.Kind, q.Result, q.NewDueOn, q.Reason, q.RequestedBy, q.RequestedAt).Scan(&q.ID)
	return wrap("create item request", err)
}

// LockItemRequest returns the request with id, locked until the
// transaction ends.
func (s *Store) LockItemRequest(ctx context.Context, id int64) (*ItemRequest, error) {
	q, err := scanItemRequest(s.db.QueryRow(ctx, `SELECT `+itemRequestColumns+` FROM item_requests WHERE id = $1 FOR UPDATE`, id))
	return q, wrap("lock item request", err)
}

// ItemRequestByID returns the request with id.
func (s *Store) ItemRequestByID(ctx context.Context, id int64) (*ItemRequest, error) {
	q, err := scanItemRequest(s.db.QueryRow(ctx, `SELECT `+itemRequestColumns+` FROM item_requests WHERE id = $1`, id))
	return q, wrap("item request by id", err)
}

// PendingRequestOfItem returns the item's pending request.
func (s *Store) PendingRequestOfItem(ctx context.Context, itemID int64) (*ItemRequest, error) {
	q, err := scanItemRequest(s.db.QueryRow(ctx, `SELECT `+itemRequestColumns+` FROM item_requests
		WHERE item_id = $1 AND state = 'pending'`, itemID))
	return q, wrap("pending request of item", err)
}

// DecideItemRequest records the decision on a pending request.
func (s *Store) DecideItemRequest(ctx context.Context, q *ItemRequest) error {
	tag, err := s.db.Exec(ctx, `
		UPDATE item_requests SET state = $2, decided_by = $3, decided_at = $4, decision_reason = $5
		WHERE id = $1 AND state = 'pending'`, q.ID, q.State, q.DecidedBy, q.DecidedAt, q.DecisionReason)
	if err != nil {
		return wrap("decide item request", err)
	}
	if tag.RowsAffected() == 0 {
		return wrap("decide item request", ErrConflict)
	}
	return nil
}

// PendingItemRequests returns the campaign's pending requests on items of
// unitIDs (all units when unitIDs is nil), oldest first.
func (s *Store) PendingItemRequests(ctx context.Context, campaignID int64, unitIDs []int64) ([]*ItemRequest, error) {
	rows, err := s.db.Query(ctx, `
		SELECT `+prefixed("r.", itemRequestColumns)+`
		FROM item_requests r JOIN ledger_items li ON li.id = r.item_id
		WHERE li.campaign_id = $1 AND r.state = 'pending' AND ($2::bigint[] IS NULL OR li.unit_id = ANY($2))
		ORDER BY r.requested_at, r.id`, campaignID, unitIDs)
	if err != nil {
		return nil, wrap("pending item requests", err)
	}
	defer rows.Close()
	var out []*ItemRequest
	for rows.Next() {
		q, err := scanItemRequest(rows)
		if err != nil {
			return nil, wrap("pending item requests", err)
		}
		out = append(out, q)
	}
	return out, wrap("pending item requests", rows.Err())
}
