package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Parts of a package milestone (the 10-17 总结): what campaign files list
// under a milestone's package.parts.
const (
	PartReport         = "report"         // 总结报告: 工作情况、工作成效、发现的主要问题和有关建议
	PartLedger         = "ledger"         // 整改台账, generated from the ledger and confirmed
	PartProgress       = "progress"       // 现阶段成效 and 长期举措 of items 整改中 / 长期推进
	PartCases          = "cases"          // 典型案例, each a text and at least one file
	PartAccountability = "accountability" // 追责问责和容错免责专题报告
)

// Rows of summary_parts: the report, the 专题报告, and each case.
const (
	RowReport         = "report"
	RowCase           = "case"
	RowAccountability = "accountability"
)

// Package states.
const (
	PackageOpen     = "open"
	PackageComplete = "complete"
)

// SummaryPackage is a unit's package of a milestone.
type SummaryPackage struct {
	ID                int64           `json:"id"`
	MilestoneID       int64           `json:"milestone_id"`
	UnitID            int64           `json:"unit_id"`
	State             string          `json:"state"`
	LedgerFileID      *int64          `json:"ledger_file_id,omitempty"`
	LedgerCounts      *LedgerSnapshot `json:"ledger_counts,omitempty"`
	LedgerConfirmedBy *int64          `json:"ledger_confirmed_by,omitempty"`
	LedgerConfirmedAt *time.Time      `json:"ledger_confirmed_at,omitempty"`
	OpenPart          string          `json:"open_part,omitempty"`
	OpenPartBy        *int64          `json:"open_part_by,omitempty"`
	OpenPartAt        *time.Time      `json:"open_part_at,omitempty"`
	CompletedBy       *int64          `json:"completed_by,omitempty"`
	CompletedAt       *time.Time      `json:"completed_at,omitempty"`
	CreatedAt         time.Time       `json:"created_at"`
	Version           int             `json:"version"`
}

// LedgerSnapshot is what a unit confirmed of its ledger: the counts by
// status and a fingerprint that changes with any change of its items.
type LedgerSnapshot struct {
	Total       int    `json:"total"`
	Closed      int    `json:"closed"`
	InProgress  int    `json:"in_progress"`
	LongTerm    int    `json:"long_term"`
	Requested   int    `json:"close_requested"`
	Fingerprint string `json:"fingerprint"`
}

// SummaryPart is a part a unit wrote: text and files.
type SummaryPart struct {
	ID        int64     `json:"id"`
	PackageID int64     `json:"package_id"`
	Part      string    `json:"part"`
	Seq       int       `json:"seq"`
	Title     string    `json:"title,omitempty"`
	Body      string    `json:"body,omitempty"`
	FileIDs   []int64   `json:"file_ids"`
	Names     []string  `json:"names"`
	UpdatedBy *int64    `json:"updated_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Present reports whether the part has text or a file.
func (p *SummaryPart) Present() bool { return p.Body != "" || len(p.FileIDs) > 0 }

// SummaryItemNote is an item's 现阶段成效 and 长期举措 in a package.
type SummaryItemNote struct {
	PackageID int64     `json:"package_id"`
	ItemID    int64     `json:"item_id"`
	Effect    string    `json:"effect"`
	Measures  string    `json:"measures"`
	UpdatedBy *int64    `json:"updated_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

const packageColumns = `id, milestone_id, unit_id, state, ledger_file_id, ledger_counts, ledger_confirmed_by, ledger_confirmed_at,
	open_part, open_part_by, open_part_at, completed_by, completed_at, created_at, version`

func scanPackage(row interface{ Scan(...any) error }) (*SummaryPackage, error) {
	var p SummaryPackage
	err := row.Scan(&p.ID, &p.MilestoneID, &p.UnitID, &p.State, &p.LedgerFileID, &p.LedgerCounts, &p.LedgerConfirmedBy, &p.LedgerConfirmedAt,
		&p.OpenPart, &p.OpenPartBy, &p.OpenPartAt, &p.CompletedBy, &p.CompletedAt, &p.CreatedAt, &p.Version)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// LockSummaryPackage returns the unit's package of the milestone, created
// empty at now when it has none, its row locked until the transaction ends.
func (s *Store) LockSummaryPackage(ctx context.Context, milestoneID, unitID int64, now time.Time) (*SummaryPackage, error) {
	if _, err := s.db.Exec(ctx, `
		INSERT INTO summary_packages (milestone_id, unit_id, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (milestone_id, unit_id) DO NOTHING`, milestoneID, unitID, now); err != nil {
		return nil, wrap("create summary package", err)
	}
	p, err := scanPackage(s.db.QueryRow(ctx, `SELECT `+packageColumns+` FROM summary_packages
		WHERE milestone_id = $1 AND unit_id = $2 FOR UPDATE`, milestoneID, unitID))
	return p, wrap("lock summary package", err)
}

// SummaryPackageOf returns the unit's package of the milestone, or
// ErrNotFound when the unit has not started it.
func (s *Store) SummaryPackageOf(ctx context.Context, milestoneID, unitID int64) (*SummaryPackage, error) {
	p, err := scanPackage(s.db.QueryRow(ctx, `SELECT `+packageColumns+` FROM summary_packages
		WHERE milestone_id = $1 AND unit_id = $2`, milestoneID, unitID))
	return p, wrap("summary package", err)
}

// SummaryPackages returns the milestone's packages keyed by unit.
func (s *Store) SummaryPackages(ctx context.Context, milestoneID int64) (map[int64]*SummaryPackage, error) {
	rows, err := s.db.Query(ctx, `SELECT `+packageColumns+` FROM summary_packages WHERE milestone_id = $1`, milestoneID)
	if err != nil {
		return nil, wrap("summary packages", err)
	}
	defer rows.Close()
	out := map[int64]*SummaryPackage{}
	for rows.Next() {
		p, err := scanPackage(rows)
		if err != nil {
			return nil, wrap("summary packages", err)
		}
		out[p.UnitID] = p
	}
	return out, wrap("summary packages", rows.Err())
}

// OpenPartOf returns the open package in which person opened a part at or
// after since, locked: where the files he sends now belong. ErrNotFound
// when there is none.
func (s *Store) OpenPartOf(ctx context.Context, personID int64, since time.Time) (*SummaryPackage, error) {
	p, err := scanPackage(s.db.QueryRow(ctx, `SELECT `+packageColumns+` FROM summary_packages
		WHERE open_part_by = $1 AND open_part <> '' AND open_part_at >= $2 AND state = 'open'
		ORDER BY open_part_at DESC, id DESC LIMIT 1 FOR UPDATE`, personID, since))
	return p, wrap("open summary part", err)
}

// UpdateSummaryPackage writes p's mutable columns when its version is still
// expectVersion and bumps it; ErrConflict otherwise.
func (s *Store) UpdateSummaryPackage(ctx context.Context, p *SummaryPackage, expectVersion int) error {
	err := s.db.QueryRow(ctx, `
		UPDATE summary_packages SET state = $3, ledger_file_id = $4, ledger_counts = $5, ledger_confirmed_by = $6,
		    ledger_confirmed_at = $7, open_part = $8, open_part_by = $9, open_part_at = $10, completed_by = $11,
		    completed_at = $12, version = version + 1
		WHERE id = $1 AND version = $2 RETURNING version`, p.ID, expectVersion, p.State, p.LedgerFileID, p.LedgerCounts,
		p.LedgerConfirmedBy, p.LedgerConfirmedAt, p.OpenPart, p.OpenPartBy, p.OpenPartAt, p.CompletedBy, p.CompletedAt).Scan(&p.Version)
	if err != nil {
		err = interpretError(err)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("store: update summary package %d: %w", p.ID, ErrConflict)
		}
		return fmt.Errorf("store: update summary package: %w", err)
	}
	return nil
}

const partColumns = `id, package_id, part, seq, title, body, file_ids, names, updated_by, updated_at`

// SummaryParts returns the parts of packages keyed by package: the
// report, the cases by number, the 专题报告.
func (s *Store) SummaryParts(ctx context.Context, packageIDs []int64) (map[int64][]*SummaryPart, error) {
	rows, err := s.db.Query(ctx, `SELECT `+partColumns+` FROM summary_parts WHERE package_id = ANY($1)
		ORDER BY package_id, CASE part WHEN 'report' THEN 0 WHEN 'case' THEN 1 ELSE 2 END, seq`, packageIDs)
	if err != nil {
		return nil, wrap("summary parts", err)
	}
	defer rows.Close()
	out := map[int64][]*SummaryPart{}
	for rows.Next() {
		var p SummaryPart
		if err := rows.Scan(&p.ID, &p.PackageID, &p.Part, &p.Seq, &p.Title, &p.Body, &p.FileIDs, &p.Names, &p.UpdatedBy, &p.UpdatedAt); err != nil {
			return nil, wrap("summary parts", err)
		}
		out[p.PackageID] = append(out[p.PackageID], &p)
	}
	return out, wrap("summary parts", rows.Err())
}

// SaveSummaryPart inserts p, or replaces the title and text of the part
// with its package, part and seq and adds p's files to its own; it sets
// p's id and files to the row's.
func (s *Store) SaveSummaryPart(ctx context.Context, p *SummaryPart) error {
	err := s.db.QueryRow(ctx, `
		INSERT INTO summary_parts (package_id, part, seq, title, body, file_ids, names, updated_by, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (package_id, part, seq) DO UPDATE SET title = excluded.title, body = excluded.body,
		    file_ids = summary_parts.file_ids || excluded.file_ids, names = summary_parts.names || excluded.names,
		    updated_by = excluded.updated_by, updated_at = excluded.updated_at
		RETURNING id, file_ids, names`, p.PackageID, p.Part, p.Seq, p.Title, p.Body, nonNilIDs(p.FileIDs), nonNil(p.Names),
		p.UpdatedBy, p.UpdatedAt).Scan(&p.ID, &p.FileIDs, &p.Names)
	return wrap("save summary part", err)
}

// AddSummaryPartFiles appends files to a part.
func (s *Store) AddSummaryPartFiles(ctx context.Context, partID int64, fileIDs []int64, names []string, by int64, at time.Time) error {
	_, err := s.db.Exec(ctx, `UPDATE summary_parts SET file_ids = file_ids || $2, names = names || $3, updated_by = $4, updated_at = $5
		WHERE id = $1`, partID, fileIDs, names, by, at)
	return wrap("add summary part files", err)
}

// SummaryItemNotes returns the item notes of packages keyed by package,
// then item.
func (s *Store) SummaryItemNotes(ctx context.Context, packageIDs []int64) (map[int64]map[int64]*SummaryItemNote, error) {
	rows, err := s.db.Query(ctx, `SELECT package_id, item_id, effect, measures, updated_by, updated_at
		FROM summary_item_notes WHERE package_id = ANY($1)`, packageIDs)
	if err != nil {
		return nil, wrap("summary item notes", err)
	}
	defer rows.Close()
	out := map[int64]map[int64]*SummaryItemNote{}
	for rows.Next() {
		var n SummaryItemNote
		if err := rows.Scan(&n.PackageID, &n.ItemID, &n.Effect, &n.Measures, &n.UpdatedBy, &n.UpdatedAt); err != nil {
			return nil, wrap("summary item notes", err)
		}
		if out[n.PackageID] == nil {
			out[n.PackageID] = map[int64]*SummaryItemNote{}
		}
		out[n.PackageID][n.ItemID] = &n
	}
	return out, wrap("summary item notes", rows.Err())
}

// SaveSummaryItemNote writes an item's note in a package.
func (s *Store) SaveSummaryItemNote(ctx context.Context, n *SummaryItemNote) error {
	_, err := s.db.Exec(ctx, `
		INSERT INTO summary_item_notes (package_id, item_id, effect, measures, updated_by, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (package_id, item_id) DO UPDATE SET effect = excluded.effect, measures = excluded.measures,
		    updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		n.PackageID, n.ItemID, n.Effect, n.Measures, n.UpdatedBy, n.UpdatedAt)
	return wrap("save summary item note", err)
}

// LedgerSnapshots counts each unit's items by status and fingerprints
// them: the fingerprint changes whenever an item is added, changed or
// deleted. A unit without items has the zero counts.
func (s *Store) LedgerSnapshots(ctx context.Context, unitIDs []int64) (map[int64]LedgerSnapshot, error) {
	rows, err := s.db.Query(ctx, `
		SELECT u.id, count(li.id), count(*) FILTER (WHERE li.status = 'closed'), count(*) FILTER (WHERE li.status = 'in_progress'),
		       count(*) FILTER (WHERE li.status = 'long_term'), count(*) FILTER (WHERE li.status = 'close_requested'),
		       count(li.id)::text || '-' || coalesce(md5(string_agg(li.id::text || ':' || li.version::text, ',' ORDER BY li.id)), '')
		FROM unnest($1::bigint[]) AS u(id) LEFT JOIN ledger_items li ON li.unit_id = u.id
		GROUP BY u.id`, unitIDs)
	if err != nil {
		return nil, wrap("ledger snapshots", err)
	}
	defer rows.Close()
	out := map[int64]LedgerSnapshot{}
	for rows.Next() {
		var id int64
		var l LedgerSnapshot
		if err := rows.Scan(&id, &l.Total, &l.Closed, &l.InProgress, &l.LongTerm, &l.Requested, &l.Fingerprint); err != nil {
			return nil, wrap("ledger snapshots", err)
		}
		out[id] = l
	}
	return out, wrap("ledger snapshots", rows.Err())
}

// OpenItemsOfUnits returns the items of units still 整改中 or 长期推进
// (申请销号 included), by unit, then number.
func (s *Store) OpenItemsOfUnits(ctx context.Context, unitIDs []int64) ([]*LedgerItem, error) {
	return s.queryItems(ctx, "open items of units", `WHERE unit_id = ANY($1) AND status <> 'closed'
		ORDER BY unit_id, created_at, id`, unitIDs)
}

// MilestoneUnitIDs returns the units a milestone is addressed to, in the
// campaign's order (MilestoneAddressedTo for all of them at once).
func (s *Store) MilestoneUnitIDs(ctx context.Context, milestoneID int64) ([]int64, error) {
	rows, err := s.db.Query(ctx, `
		SELECT u.id FROM milestones m JOIN units u ON u.campaign_id = m.campaign_id
		WHERE m.id = $1 AND ((cardinality(m.unit_groups) = 0 AND NOT u.is_office)
		    OR u.key = ANY(m.unit_groups)
		    OR EXISTS (SELECT 1 FROM unit_groups g WHERE g.unit_id = u.id AND g.group_key = ANY(m.unit_groups)))
		ORDER BY u.position, u.id`, milestoneID)
	if err != nil {
		return nil, wrap("milestone units", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, wrap("milestone units", err)
		}
		out = append(out, id)
	}
	return out, wrap("milestone units", rows.Err())
}

// DeleteMilestoneSubmission removes a unit's mark that a milestone is done
// (the office reopened its package).
func (s *Store) DeleteMilestoneSubmission(ctx context.Context, milestoneID, unitID int64) error {
	_, err := s.db.Exec(ctx, `DELETE FROM milestone_submissions WHERE milestone_id = $1 AND unit_id = $2`, milestoneID, unitID)
	return wrap("delete milestone submission", err)
}

func nonNilIDs(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}
