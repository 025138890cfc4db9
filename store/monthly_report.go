package store

import (
	"context"
	"time"
)

// MonthlyReport is a unit's 阶段性工作进展情况 for a period (YYYY-MM).
type MonthlyReport struct {
	ID          int64     `json:"id"`
	CampaignID  int64     `json:"-"`
	UnitID      int64     `json:"unit_id"`
	Period      string    `json:"period"`
	Summary     string    `json:"summary"`
	OnTime      bool      `json:"on_time"`
	PersonID    *int64    `json:"person_id,omitempty"`
	SubmittedAt time.Time `json:"submitted_at"`
}

const reportColumns = `id, campaign_id, unit_id, period, summary, on_time, person_id, submitted_at`

func scanReport(row interface{ Scan(...any) error }) (*MonthlyReport, error) {
	var m MonthlyReport
	if err := row.Scan(&m.ID, &m.CampaignID, &m.UnitID, &m.Period, &m.Summary, &m.OnTime, &m.PersonID, &m.SubmittedAt); err != nil {
		return nil, err
	}
	return &m, nil
}

// CreateMonthlyReport inserts m and sets its id. A unit reports a period
// once: a second report returns ErrConflict.
func (s *Store) CreateMonthlyReport(ctx context.Context, m *MonthlyReport) error {
	err := s.db.QueryRow(ctx, `
		INSERT INTO monthly_reports (campaign_id, unit_id, period, summary, on_time, person_id, submitted_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		RETURNING id`, m.CampaignID, m.UnitID, m.Period, m.Summary, m.OnTime, m.PersonID, m.SubmittedAt).Scan(&m.ID)
	return wrap("create monthly report", err)
}

// MonthlyReportOf returns a unit's report of a period.
func (s *Store) MonthlyReportOf(ctx context.Context, unitID int64, period string) (*MonthlyReport, error) {
	m, err := scanReport(s.db.QueryRow(ctx, `SELECT `+reportColumns+` FROM monthly_reports WHERE unit_id = $1 AND period = $2`, unitID, period))
	return m, wrap("monthly report", err)
}

// MonthlyReportsOfPeriod returns the campaign's reports of a period keyed
// by unit.
func (s *Store) MonthlyReportsOfPeriod(ctx context.Context, campaignID int64, period string) (map[int64]*MonthlyReport, error) {
	rows, err := s.db.Query(ctx, `SELECT `+reportColumns+` FROM monthly_reports WHERE campaign_id = $1 AND period = $2`, campaignID, period)
	if err != nil {
		return nil, wrap("monthly reports of period", err)
	}
	defer rows.Close()
	out := map[int64]*MonthlyReport{}
	for rows.Next() {
		m, err := scanReport(rows)
		if err != nil {
			return nil, wrap("monthly reports of period", err)
		}
		out[m.UnitID] = m
	}
	return out, wrap("monthly reports of period", rows.Err())
}

// ReportedPeriods returns the periods a unit has reported, among periods.
func (s *Store) ReportedPeriods(ctx context.Context, unitID int64, periods []string) (map[string]bool, error) {
	rows, err := s.db.Query(ctx, `SELECT period FROM monthly_reports WHERE unit_id = $1 AND period = ANY($2)`, unitID, periods)
	if err != nil {
		return nil, wrap("reported periods", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, wrap("reported periods", err)
		}
		out[p] = true
	}
	return out, wrap("reported periods", rows.Err())
}

// ItemsNotUpdatedSince returns a unit's open items with no progress update
// at or after since, by deadline.
func (s *Store) ItemsNotUpdatedSince(ctx context.Context, unitID int64, since time.Time) ([]*LedgerItem, error) {
	return s.queryItems(ctx, "items not updated", `WHERE unit_id = $1 AND status <> 'closed'
		AND (progress_at IS NULL OR progress_at < $2) ORDER BY due_on, id`, unitID, since)
}
