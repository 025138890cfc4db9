package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Clue states: new until the office assigns it (分办) or closes it,
// assigned until the unit signs (签收), signed until the unit converts it
// into a ledger item (converted) or answers it (answered), answered until
// the office accepts the answer (closed) or sends it back (signed again).
const (
	ClueNew       = "new"
	ClueAssigned  = "assigned"
	ClueSigned    = "signed"
	ClueAnswered  = "answered"
	ClueConverted = "converted"
	ClueClosed    = "closed"
)

// Clue is a 线索.
type Clue struct {
	ID           int64      `json:"id"`
	CampaignID   int64      `json:"-"`
	Number       string     `json:"number"`
	Source       string     `json:"source"`
	Content      string     `json:"content"`
	UnitHintID   *int64     `json:"unit_hint_id,omitempty"`
	UnitID       *int64     `json:"unit_id,omitempty"`
	ContactName  string     `json:"contact_name,omitempty"`
	ContactPhone string     `json:"contact_phone,omitempty"`
	FileID       *int64     `json:"file_id,omitempty"`
	ReporterID   *int64     `json:"reporter_id,omitempty"`
	RequestID    *int64     `json:"request_id,omitempty"`
	State        string     `json:"state"`
	DueOn        *time.Time `json:"due_on,omitempty"`
	AssignedBy   *int64     `json:"assigned_by,omitempty"`
	AssignedAt   *time.Time `json:"assigned_at,omitempty"`
	SignedBy     *int64     `json:"signed_by,omitempty"`
	SignedAt     *time.Time `json:"signed_at,omitempty"`
	AnswerKind   string     `json:"answer_kind,omitempty"`
	Answer       string     `json:"answer,omitempty"`
	AnswerFileID *int64     `json:"answer_file_id,omitempty"`
	AnsweredBy   *int64     `json:"answered_by,omitempty"`
	AnsweredAt   *time.Time `json:"answered_at,omitempty"`
	ReturnNote   string     `json:"return_note,omitempty"`
	ItemID       *int64     `json:"item_id,omitempty"`
	Outcome      string     `json:"outcome,omitempty"`
	CloseReason  string     `json:"close_reason,omitempty"`
	ClosedBy     *int64     `json:"closed_by,omitempty"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
	CreatedBy    *int64     `json:"created_by,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	Version      int        `json:"version"`
}

// Open reports whether the clue still waits for someone.
func (c *Clue) Open() bool { return c.State != ClueConverted && c.State != ClueClosed }

const clueColumns = `id, campaign_id, number, source, content, unit_hint_id, unit_id, contact_name, contact_phone,
	file_id, reporter_id, request_id, state, due_on, assigned_by, assigned_at, signed_by, signed_at,
	answer_kind, answer, answer_file_id, answered_by, answered_at, return_note, item_id, outcome, close_reason,
	closed_by, closed_at, created_by, created_at, version`

func scanClue(row interface{ Scan(...any) error }) (*Clue, error) {
	var c Clue
	err := row.Scan(&c.ID, &c.CampaignID, &c.Number, &c.Source, &c.Content, &c.UnitHintID, &c.UnitID, &c.ContactName, &c.ContactPhone,
		&c.FileID, &c.ReporterID, &c.RequestID, &c.State, &c.DueOn, &c.AssignedBy, &c.AssignedAt, &c.SignedBy, &c.SignedAt,
		&c.AnswerKind, &c.Answer, &c.AnswerFileID, &c.AnsweredBy, &c.AnsweredAt, &c.ReturnNote, &c.ItemID, &c.Outcome, &c.CloseReason,
		&c.ClosedBy, &c.ClosedAt, &c.CreatedBy, &c.CreatedAt, &c.Version)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

func (s *Store) queryClues(ctx context.Context, what, rest string, args ...any) ([]*Clue, error) {
	rows, err := s.db.Query(ctx, `SELECT `+clueColumns+` FROM clues `+rest, args...)
	if err != nil {
		return nil, wrap(what, err)
	}
	defer rows.Close()
	var out []*Clue
	for rows.Next() {
		c, err := scanClue(rows)
		if err != nil {
			return nil, wrap(what, err)
		}
		out = append(out, c)
	}
	return out, wrap(what, rows.Err())
}

// ClueNumber formats a clue number: XS-2026-007.
func ClueNumber(year, n int) string { return fmt.Sprintf("XS-%d-%03d", year, n) }

// ClueCounterScope is the counter that numbers a campaign's clues of a year.
func ClueCounterScope(campaignID int64, year int) string {
	return fmt.Sprintf("clue:%d:%d", campaignID, year)
}

// CreateClue numbers c from the campaign's gapless counter for year,
// inserts it and sets its id, number, state and version.
func (s *Store) CreateClue(ctx context.Context, c *Clue, year int) error {
	seq, err := s.NextCounter(ctx, ClueCounterScope(c.CampaignID, year))
	if err != nil {
		return err
	}
	c.Number, c.State = ClueNumber(year, seq), ClueNew
	err = s.db.QueryRow(ctx, `
		INSERT INTO clues (campaign_id, number, source, content, unit_hint_id, contact_name, contact_phone, file_id,
		    reporter_id, request_id, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		RETURNING id, version`, c.CampaignID, c.Number, c.Source, c.Content, c.UnitHintID, c.ContactName, c.ContactPhone, c.FileID,
		c.ReporterID, c.RequestID, c.CreatedBy, c.CreatedAt).Scan(&c.ID, &c.Version)
	return wrap("create clue", err)
}

// ClueByID returns the clue with id.
func (s *Store) ClueByID(ctx context.Context, id int64) (*Clue, error) {
	c, err := scanClue(s.db.QueryRow(ctx, `SELECT `+clueColumns+` FROM clues WHERE id = $1`, id))
	return c, wrap("clue", err)
}

// LockClue returns the clue with id, its row locked until the transaction
// ends: every change goes through it.
func (s *Store) LockClue(ctx context.Context, id int64) (*Clue, error) {
	c, err := scanClue(s.db.QueryRow(ctx, `SELECT `+clueColumns+` FROM clues WHERE id = $1 FOR UPDATE`, id))
	return c, wrap("lock clue", err)
}

// ClueByNumber returns the campaign's clue numbered number.
func (s *Store) ClueByNumber(ctx context.Context, campaignID int64, number string) (*Clue, error) {
	c, err := scanClue(s.db.QueryRow(ctx, `SELECT `+clueColumns+` FROM clues WHERE campaign_id = $1 AND number = upper($2)`, campaignID, number))
	return c, wrap("clue by number", err)
}

// ClueFilter narrows Clues: to units (nil: all), to a reporter (0: any),
// to open clues.
type ClueFilter struct {
	UnitIDs    []int64
	ReporterID int64
	OpenOnly   bool
}

// Clues returns the campaign's clues matching f: overdue open ones first
// (by deadline), then open ones by deadline, then the rest newest first.
func (s *Store) Clues(ctx context.Context, campaignID int64, f ClueFilter, today time.Time) ([]*Clue, error) {
	return s.queryClues(ctx, "clues", `
		WHERE campaign_id = $1 AND ($2::bigint[] IS NULL OR unit_id = ANY($2)) AND ($3 = 0 OR reporter_id = $3)
		  AND (NOT $4 OR state NOT IN ('converted', 'closed'))
		ORDER BY (state NOT IN ('converted', 'closed') AND due_on < $5) DESC,
		         (state NOT IN ('converted', 'closed')) DESC, due_on NULLS LAST, created_at DESC, id DESC`,
		campaignID, f.UnitIDs, f.ReporterID, f.OpenOnly, today)
}

// ClueCounts are a campaign's clues by fate, as of a time.
type ClueCounts struct {
	Received, Assigned, Converted, Closed int
}

// CountClues counts the campaign's clues received, assigned (分办),
// converted into ledger items and closed otherwise, up to asOf.
func (s *Store) CountClues(ctx context.Context, campaignID int64, asOf time.Time) (ClueCounts, error) {
	return s.CountCluesBetween(ctx, campaignID, nil, time.Time{}, asOf.Add(time.Microsecond))
}

// UpdateClue writes c's mutable columns when its version is still
// expectVersion, and bumps the version. A concurrent change makes it
// return ErrConflict and write nothing.
func (s *Store) UpdateClue(ctx context.Context, c *Clue, expectVersion int) error {
	err := s.db.QueryRow(ctx, `
		UPDATE clues SET state = $3, unit_id = $4, due_on = $5, assigned_by = $6, assigned_at = $7, signed_by = $8, signed_at = $9,
		    answer_kind = $10, answer = $11, answer_file_id = $12, answered_by = $13, answered_at = $14, return_note = $15,
		    item_id = $16, outcome = $17, close_reason = $18, closed_by = $19, closed_at = $20, version = version + 1
		WHERE id = $1 AND version = $2
		RETURNING version`, c.ID, expectVersion, c.State, c.UnitID, c.DueOn, c.AssignedBy, c.AssignedAt, c.SignedBy, c.SignedAt,
		c.AnswerKind, c.Answer, c.AnswerFileID, c.AnsweredBy, c.AnsweredAt, c.ReturnNote,
		c.ItemID, c.Outcome, c.CloseReason, c.ClosedBy, c.ClosedAt).Scan(&c.Version)
	if err != nil {
		err = interpretError(err)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("store: update clue %d: %w", c.ID, ErrConflict)
		}
		return fmt.Errorf("store: update clue: %w", err)
	}
	return nil
}

// ClueOfRequest returns the clue an enterprise request was turned into,
// or ErrNotFound.
func (s *Store) ClueOfRequest(ctx context.Context, requestID int64) (*Clue, error) {
	c, err := scanClue(s.db.QueryRow(ctx, `SELECT `+clueColumns+` FROM clues WHERE request_id = $1 ORDER BY id LIMIT 1`, requestID))
	return c, wrap("clue of request", err)
}

// CountCluesBetween counts the clues of the campaign (of units when
// unitIDs is not nil: those assigned to them) received, assigned (分办),
// converted into ledger items and closed otherwise within [from, to).
func (s *Store) CountCluesBetween(ctx context.Context, campaignID int64, unitIDs []int64, from, to time.Time) (ClueCounts, error) {
	var c ClueCounts
	err := s.db.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE created_at >= $3 AND created_at < $4),
		       count(*) FILTER (WHERE assigned_at >= $3 AND assigned_at < $4),
		       count(*) FILTER (WHERE state = 'converted' AND closed_at >= $3 AND closed_at < $4),
		       count(*) FILTER (WHERE state = 'closed' AND closed_at >= $3 AND closed_at < $4)
		FROM clues WHERE campaign_id = $1 AND ($2::bigint[] IS NULL OR unit_id = ANY($2))`,
		campaignID, unitIDs, from, to).Scan(&c.Received, &c.Assigned, &c.Converted, &c.Closed)
	return c, wrap("count clues", err)
}
