package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Item statuses as stored; the Chinese names are the ledger's words.
const (
	ItemInProgress     = "in_progress"     // 整改中
	ItemLongTerm       = "long_term"       // 长期推进
	ItemCloseRequested = "close_requested" // 申请销号
	ItemClosed         = "closed"          // 已销号
)

// LedgerItem is one row of the 专项整治工作台账.
type LedgerItem struct {
	ID                int64      `json:"id"`
	CampaignID        int64      `json:"-"`
	UnitID            int64      `json:"unit_id"`
	Number            string     `json:"number"`
	Source            string     `json:"source"`
	Category          string     `json:"category"`
	Description       string     `json:"description"`
	Measures          string     `json:"measures"`
	ResponsibleLeader string     `json:"responsible_leader"`
	ResponsibleUnit   string     `json:"responsible_unit"`
	ResponsiblePerson string     `json:"responsible_person"`
	DueOn             time.Time  `json:"due_on"`
	Status            string     `json:"status"`
	Progress          string     `json:"progress"`
	Effect            string     `json:"effect"`
	Evidence          string     `json:"evidence"`
	ClosedAt          *time.Time `json:"closed_at"`
	Note              string     `json:"note"`
	Version           int        `json:"version"`
	ProgressAt        *time.Time `json:"progress_at"`
	RequestID         *int64     `json:"request_id,omitempty"`
	CreatedBy         *int64     `json:"-"`
	CreatedAt         time.Time  `json:"-"`
	UpdatedAt         time.Time  `json:"-"`
}

const itemColumns = `id, campaign_id, unit_id, number, source, category, description, measures,
	responsible_leader, responsible_unit, responsible_person, due_on, status, progress, effect, evidence,
	closed_at, note, version, progress_at, request_id, created_by, created_at, updated_at`

func scanItem(row interface{ Scan(...any) error }) (*LedgerItem, error) {
	var it LedgerItem
	err := row.Scan(&it.ID, &it.CampaignID, &it.UnitID, &it.Number, &it.Source, &it.Category, &it.Description, &it.Measures,
		&it.ResponsibleLeader, &it.ResponsibleUnit, &it.ResponsiblePerson, &it.DueOn, &it.Status, &it.Progress, &it.Effect,
		&it.Evidence, &it.ClosedAt, &it.Note, &it.Version, &it.ProgressAt, &it.RequestID, &it.CreatedBy, &it.CreatedAt, &it.UpdatedAt)
	if err != nil {
		return nil, err
	}
	return &it, nil
}

func (s *Store) queryItems(ctx context.Context, what, rest string, args ...any) ([]*LedgerItem, error) {
	rows, err := s.db.Query(ctx, `SELECT `+itemColumns+` FROM ledger_items `+rest, args...)
	if err != nil {
		return nil, wrap(what, err)
	}
	defer rows.Close()
	var out []*LedgerItem
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, wrap(what, err)
		}
		out = append(out, it)
	}
	return out, wrap(what, rows.Err())
}

// ItemCounterScope is the counter that numbers a unit's items of a year.
func ItemCounterScope(unitID int64, year int) string { return fmt.Sprintf("item:%d:%d", unitID, year) }

// ItemNumber formats an item number: unit code, year, three-digit sequence
// (LB-2023-007).
func ItemNumber(code string, year, n int) string { return fmt.Sprintf("%s-%d-%03d", code, year, n) }

// CreateLedgerItem (created_at is it.CreatedAt, or now when zero) numbers it from its unit's gapless counter for year
// (unless it.Number is already set, as on import), inserts it and sets its
// id, number and timestamps.
func (s *Store) CreateLedgerItem(ctx context.Context, it *LedgerItem, year int) error {
	if it.Number == "" {
		var code string
		if err := s.db.QueryRow(ctx, `SELECT code FROM units WHERE id = $1`, it.UnitID).Scan(&code); err != nil {
			return wrap("create ledger item: unit", err)
		}
		n, err := s.NextCounter(ctx, ItemCounterScope(it.UnitID, year))
		if err != nil {
			return err
		}
		it.Number = ItemNumber(code, year, n)
	}
	if it.Status == "" {
		it.Status = ItemInProgress
	}
	err := s.db.QueryRow(ctx, `
		INSERT INTO ledger_items (campaign_id, unit_id, number, source, category, description, measures,
		    responsible_leader, responsible_unit, responsible_person, due_on, status, progress, effect, evidence,
		    closed_at, note, progress_at, request_id, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, coalesce($21, now()))
		RETURNING id, version, created_at, updated_at`,
		it.CampaignID, it.UnitID, it.Number, it.Source, it.Category, it.Description, it.Measures,
		it.ResponsibleLeader, it.ResponsibleUnit, it.ResponsiblePerson, it.DueOn, it.Status, it.Progress, it.Effect, it.Evidence,
		it.ClosedAt, it.Note, it.ProgressAt, it.RequestID, it.CreatedBy, nullTime(it.CreatedAt)).Scan(&it.ID, &it.Version, &it.CreatedAt, &it.UpdatedAt)
	return wrap("create ledger item", err)
}

// LedgerItemByID returns the item with id.
func (s *Store) LedgerItemByID(ctx context.Context, id int64) (*LedgerItem, error) {
	it, err := scanItem(s.db.QueryRow(ctx, `SELECT `+itemColumns+` FROM ledger_items WHERE id = $1`, id))
	return it, wrap("ledger item by id", err)
}

// LockLedgerItem returns the item with id, locked until the transaction
// ends, so that a change checks its version against the row it will write.
func (s *Store) LockLedgerItem(ctx context.Context, id int64) (*LedgerItem, error) {
	it, err := scanItem(s.db.QueryRow(ctx, `SELECT `+itemColumns+` FROM ledger_items WHERE id = $1 FOR UPDATE`, id))
	return it, wrap("lock ledger item", err)
}

// LedgerItemByNumber returns the campaign's item with number.
func (s *Store) LedgerItemByNumber(ctx context.Context, campaignID int64, number string) (*LedgerItem, error) {
	it, err := scanItem(s.db.QueryRow(ctx, `SELECT `+itemColumns+` FROM ledger_items WHERE campaign_id = $1 AND number = $2`, campaignID, number))
	return it, wrap("ledger item by number", err)
}

// OpenItemsOfUnit returns a unit's items not yet closed, by deadline.
func (s *Store) OpenItemsOfUnit(ctx context.Context, unitID int64) ([]*LedgerItem, error) {
	return s.queryItems(ctx, "open items of unit", `WHERE unit_id = $1 AND status <> 'closed' ORDER BY due_on, id`, unitID)
}

// LedgerItems returns the campaign's items, of the given units when unitIDs
// is not nil, in unit order then number order.
func (s *Store) LedgerItems(ctx context.Context, campaignID int64, unitIDs []int64) ([]*LedgerItem, error) {
	if unitIDs == nil {
		return s.queryItems(ctx, "ledger items", `WHERE campaign_id = $1
			ORDER BY (SELECT position FROM units u WHERE u.id = unit_id), unit_id, created_at, id`, campaignID)
	}
	return s.queryItems(ctx, "ledger items", `WHERE campaign_id = $1 AND unit_id = ANY($2)
		ORDER BY (SELECT position FROM units u WHERE u.id = unit_id), unit_id, created_at, id`, campaignID, unitIDs)
}

// LatestItemActedOnBy returns the open item of the campaign the person
// most recently changed (a progress update, a request, or created it).
func (s *Store) LatestItemActedOnBy(ctx context.Context, campaignID, personID int64) (*LedgerItem, error) {
	it, err := scanItem(s.db.QueryRow(ctx, `
		SELECT `+itemColumns+` FROM ledger_items li
		JOIN (
		    SELECT item_id, max(at) AS at FROM (
		        SELECT item_id, created_at AS at FROM progress_updates WHERE person_id = $2
		        UNION ALL SELECT item_id, requested_at FROM item_requests WHERE requested_by = $2
		        UNION ALL SELECT id, created_at FROM ledger_items WHERE created_by = $2
		    ) x GROUP BY item_id
		) t ON t.item_id = li.id
		WHERE li.campaign_id = $1 AND li.status <> 'closed'
		ORDER BY t.at DESC, li.id DESC LIMIT 1`, campaignID, personID))
	return it, wrap("latest item acted on", err)
}

// UpdateLedgerItem writes every editable column of it when its version is
// still expectVersion, bumps the version and sets it.Version. A concurrent
// change makes it return ErrConflict and write nothing.
func (s *Store) UpdateLedgerItem(ctx context.Context, it *LedgerItem, expectVersion int) error {
	err := s.db.QueryRow(ctx, `
		UPDATE ledger_items SET source = $3, category = $4, description = $5, measures = $6,
		    responsible_leader = $7, responsible_unit = $8, responsible_person = $9, due_on = $10,
		    status = $11, progress = $12, effect = $13, evidence = $14, closed_at = $15, note = $16,
		    progress_at = $17, version = version + 1, updated_at = now()
		WHERE id = $1 AND version = $2
		RETURNING version, updated_at`, it.ID, expectVersion,
		it.Source, it.Category, it.Description, it.Measures, it.ResponsibleLeader, it.ResponsibleUnit, it.ResponsiblePerson,
		it.DueOn, it.Status, it.Progress, it.Effect, it.Evidence, it.ClosedAt, it.Note, it.ProgressAt).Scan(&it.Version, &it.UpdatedAt)
	if err != nil {
		err = interpretError(err)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("store: update ledger item %d: %w", it.ID, ErrConflict)
		}
		return fmt.Errorf("store: update ledger item: %w", err)
	}
	return nil
}

// UnitItemCounts are a unit's item counts for the monthly summary.
type UnitItemCounts struct {
	UnitID int64
	// Closed is 已整改 (销号), Open is 正在整改 (in progress, long term,
	// close requested, with a progress update), NotStarted is 未整改 (no
	// progress yet), Overdue counts open items past their deadline.
	Closed, Open, NotStarted, Overdue int
}

// ItemCountsByUnit counts the campaign's items per unit as of asOf (a civil
// date: items due before it and not closed are overdue).
func (s *Store) ItemCountsByUnit(ctx context.Context, campaignID int64, asOf time.Time) (map[int64]*UnitItemCounts, error) {
	rows, err := s.db.Query(ctx, `
		SELECT unit_id,
		       count(*) FILTER (WHERE status = 'closed'),
		       count(*) FILTER (WHERE status <> 'closed' AND (progress_at IS NOT NULL OR status <> 'in_progress')),
		       count(*) FILTER (WHERE status = 'in_progress' AND progress_at IS NULL),
		       count(*) FILTER (WHERE status <> 'closed' AND due_on < $2)
		FROM ledger_items WHERE campaign_id = $1 GROUP BY unit_id`, campaignID, asOf)
	if err != nil {
		return nil, wrap("item counts", err)
	}
	defer rows.Close()
	out := map[int64]*UnitItemCounts{}
	for rows.Next() {
		var c UnitItemCounts
		if err := rows.Scan(&c.UnitID, &c.Closed, &c.Open, &c.NotStarted, &c.Overdue); err != nil {
			return nil, wrap("item counts", err)
		}
		out[c.UnitID] = &c
	}
	return out, wrap("item counts", rows.Err())
}
