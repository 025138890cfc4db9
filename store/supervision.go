package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Supervision notice (督办单) states: issued until the unit signs (签收),
// signed until it answers, answered until the office closes it.
const (
	NoticeIssued   = "issued"
	NoticeSigned   = "signed"
	NoticeAnswered = "answered"
	NoticeClosed   = "closed"
)

// Supervision notice colours (三色督办单).
const (
	NoticeBlue   = "blue"   // 蓝色: a deadline nears
	NoticeYellow = "yellow" // 黄色: behind, or poor quality
	NoticeRed    = "red"    // 红色: overdue
)

// SupervisionNotice is a 督办单.
type SupervisionNotice struct {
	ID           int64      `json:"id"`
	CampaignID   int64      `json:"-"`
	Number       string     `json:"number"`
	UnitID       int64      `json:"unit_id"`
	ItemID       *int64     `json:"item_id,omitempty"`
	Period       string     `json:"period,omitempty"`
	Colour       string     `json:"colour"`
	Text         string     `json:"text"`
	ReplyDue     time.Time  `json:"reply_due"`
	State        string     `json:"state"`
	IssuedBy     *int64     `json:"issued_by"`
	IssuedAt     time.Time  `json:"issued_at"`
	SignedBy     *int64     `json:"signed_by,omitempty"`
	SignedAt     *time.Time `json:"signed_at,omitempty"`
	Answer       string     `json:"answer,omitempty"`
	AnswerFileID *int64     `json:"answer_file_id,omitempty"`
	AnsweredBy   *int64     `json:"answered_by,omitempty"`
	AnsweredAt   *time.Time `json:"answered_at,omitempty"`
	ClosedBy     *int64     `json:"closed_by,omitempty"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
	CloseNote    string     `json:"close_note,omitempty"`
	Version      int        `json:"version"`
}

const noticeColumns = `id, campaign_id, number, unit_id, item_id, period, colour, text, reply_due, state,
	issued_by, issued_at, signed_by, signed_at, answer, answer_file_id, answered_by, answered_at,
	closed_by, closed_at, close_note, version`

func scanNotice(row interface{ Scan(...any) error }) (*SupervisionNotice, error) {
	var n SupervisionNotice
	err := row.Scan(&n.ID, &n.CampaignID, &n.Number, &n.UnitID, &n.ItemID, &n.Period, &n.Colour, &n.Text, &n.ReplyDue, &n.State,
		&n.IssuedBy, &n.IssuedAt, &n.SignedBy, &n.SignedAt, &n.Answer, &n.AnswerFileID, &n.AnsweredBy, &n.AnsweredAt,
		&n.ClosedBy, &n.ClosedAt, &n.CloseNote, &n.Version)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

func (s *Store) queryNotices(ctx context.Context, what, rest string, args ...any) ([]*SupervisionNotice, error) {
	rows, err := s.db.Query(ctx, `SELECT `+noticeColumns+` FROM supervision_notices `+rest, args...)
	if err != nil {
		return nil, wrap(what, err)
	}
	defer rows.Close()
	var out []*SupervisionNotice
	for rows.Next() {
		n, err := scanNotice(rows)
		if err != nil {
			return nil, wrap(what, err)
		}
		out = append(out, n)
	}
	return out, wrap(what, rows.Err())
}

// NoticeNumber formats a notice number: DB-2026-007.
func NoticeNumber(year, n int) string { return fmt.Sprintf("DB-%d-%03d", year, n) }

// NoticeCounterScope is the counter that numbers a campaign's notices of a
// year.
func NoticeCounterScope(campaignID int64, year int) string {
	return fmt.Sprintf("notice:%d:%d", campaignID, year)
}

// CreateSupervisionNotice numbers n from the campaign's gapless counter for
// year, inserts it and sets its id, number, state and version. The counter
// row stays locked until the transaction ends, so numbers follow commit
// order and a rolled-back notice gives its number back.
func (s *Store) CreateSupervisionNotice(ctx context.Context, n *SupervisionNotice, year int) error {
	seq, err := s.NextCounter(ctx, NoticeCounterScope(n.CampaignID, year))
	if err != nil {
		return err
	}
	n.Number, n.State = NoticeNumber(year, seq), NoticeIssued
	err = s.db.QueryRow(ctx, `
		INSERT INTO supervision_notices (campaign_id, number, unit_id, item_id, period, colour, text, reply_due, issued_by, issued_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		RETURNING id, version`, n.CampaignID, n.Number, n.UnitID, n.ItemID, n.Period, n.Colour, n.Text, n.ReplyDue,
		n.IssuedBy, n.IssuedAt).Scan(&n.ID, &n.Version)
	return wrap("create supervision notice", err)
}

// SupervisionNoticeByID returns the notice with id.
func (s *Store) SupervisionNoticeByID(ctx context.Context, id int64) (*SupervisionNotice, error) {
	n, err := scanNotice(s.db.QueryRow(ctx, `SELECT `+noticeColumns+` FROM supervision_notices WHERE id = $1`, id))
	return n, wrap("supervision notice", err)
}

// LockSupervisionNotice returns the notice with id, its row locked until
// the transaction ends: every change goes through it, so two clicks on one
// notice apply one after the other.
func (s *Store) LockSupervisionNotice(ctx context.Context, id int64) (*SupervisionNotice, error) {
	n, err := scanNotice(s.db.QueryRow(ctx, `SELECT `+noticeColumns+` FROM supervision_notices WHERE id = $1 FOR UPDATE`, id))
	return n, wrap("lock supervision notice", err)
}

// SupervisionNoticeByNumber returns the campaign's notice numbered number.
func (s *Store) SupervisionNoticeByNumber(ctx context.Context, campaignID int64, number string) (*SupervisionNotice, error) {
	n, err := scanNotice(s.db.QueryRow(ctx, `SELECT `+noticeColumns+` FROM supervision_notices
		WHERE campaign_id = $1 AND number = upper($2)`, campaignID, number))
	return n, wrap("supervision notice by number", err)
}

// SupervisionNotices returns the campaign's notices, of the given units
// when unitIDs is not nil, open ones only when open is set, newest first.
func (s *Store) SupervisionNotices(ctx context.Context, campaignID int64, unitIDs []int64, open bool) ([]*SupervisionNotice, error) {
	where := `WHERE campaign_id = $1 AND ($2::bigint[] IS NULL OR unit_id = ANY($2)) AND (NOT $3 OR state <> 'closed')`
	return s.queryNotices(ctx, "supervision notices", where+` ORDER BY issued_at DESC, id DESC`, campaignID, unitIDs, open)
}

// OpenSupervisionNotices returns the campaign's notices not closed, oldest
// first: what the planner escalates.
func (s *Store) OpenSupervisionNotices(ctx context.Context, campaignID int64) ([]*SupervisionNotice, error) {
	return s.queryNotices(ctx, "open supervision notices", `WHERE campaign_id = $1 AND state <> 'closed' ORDER BY issued_at, id`, campaignID)
}

// UpdateSupervisionNotice writes n's state and its sign, answer and close
// columns when its version is still expectVersion, and bumps the version.
// A concurrent change makes it return ErrConflict and write nothing.
func (s *Store) UpdateSupervisionNotice(ctx context.Context, n *SupervisionNotice, expectVersion int) error {
	err := s.db.QueryRow(ctx, `
		UPDATE supervision_notices SET state = $3, signed_by = $4, signed_at = $5, answer = $6, answer_file_id = $7,
		    answered_by = $8, answered_at = $9, closed_by = $10, closed_at = $11, close_note = $12, version = version + 1
		WHERE id = $1 AND version = $2
		RETURNING version`, n.ID, expectVersion, n.State, n.SignedBy, n.SignedAt, n.Answer, n.AnswerFileID,
		n.AnsweredBy, n.AnsweredAt, n.ClosedBy, n.ClosedAt, n.CloseNote).Scan(&n.Version)
	if err != nil {
		err = interpretError(err)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("store: update supervision notice %d: %w", n.ID, ErrConflict)
		}
		return fmt.Errorf("store: update supervision notice: %w", err)
	}
	return nil
}

// LedgerItemsByIDs returns the items with ids, by id.
func (s *Store) LedgerItemsByIDs(ctx context.Context, ids []int64) (map[int64]*LedgerItem, error) {
	out := map[int64]*LedgerItem{}
	if len(ids) == 0 {
		return out, nil
	}
	items, err := s.queryItems(ctx, "ledger items by ids", `WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		out[it.ID] = it
	}
	return out, nil
}
