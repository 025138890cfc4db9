package store

import (
	"context"
	"encoding/json"
	"time"
)

// MonthlyReportSettings is the campaign file's monthly_report.
type MonthlyReportSettings struct {
	DueDay           int    `json:"due_day"`
	From             string `json:"from"`
	Until            string `json:"until"`
	RemindDaysBefore []int  `json:"remind_days_before"`
	RemindAt         string `json:"remind_at"`
}

// DigestSettings is the campaign file's digest.
type DigestSettings struct {
	At           string `json:"at"`
	WorkdaysOnly bool   `json:"workdays_only"`
	// Quiet sends a digest even on a day with nothing to act on.
	Quiet bool `json:"quiet,omitempty"`
}

// CampaignSettings are the campaign's schedules and clocks.
type CampaignSettings struct {
	MonthlyReport      MonthlyReportSettings `json:"monthly_report"`
	Digest             DigestSettings        `json:"digest"`
	RequestAnswerHours int                   `json:"request_answer_hours"`
	// Holidays and Workdays (2028-01-01) are days off and 调休 working days
	// the campaign file declares beyond the calendar library's tables.
	Holidays    []string            `json:"holidays,omitempty"`
	Workdays    []string            `json:"workdays,omitempty"`
	Supervision SupervisionSettings `json:"supervision,omitzero"`
	// RequestAutocloseDays closes an answered request the enterprise did
	// not rate after that many days; 0 means the default (7).
	RequestAutocloseDays int `json:"request_autoclose_days,omitempty"`
}

// SupervisionSettings is the campaign file's supervision (督查督办): the
// 红黄绿灯's N (a deadline within N workdays is yellow) and M (M workdays
// without progress is yellow). Zero means the default.
type SupervisionSettings struct {
	SoonWorkdays  int `json:"soon_workdays,omitempty"`
	StallWorkdays int `json:"stall_workdays,omitempty"`
	// Score is the monthly score's (考评) base and deductions; nil (a
	// campaign applied before it existed) means the defaults.
	Score *ScoreSettings `json:"score,omitempty"`
}

// ScoreSettings is campaign.supervision.score: a unit's monthly score is
// Base less the deductions of the month's events, not below 0. Each
// deduction is in points per event; 0 leaves that kind of event uncounted.
type ScoreSettings struct {
	Base             int `json:"base"`
	ReportLate       int `json:"report_late"`        // a monthly report sent after its due day
	ReportLateDay    int `json:"report_late_day"`    // and per day it was late
	ReportMissing    int `json:"report_missing"`     // a monthly report not sent by its due day, nor since
	ItemOverdue      int `json:"item_overdue"`       // an item open past its deadline during the month
	NoticeSignLate   int `json:"notice_sign_late"`   // a 督办单 not signed by the workday after its issue
	NoticeAnswerLate int `json:"notice_answer_late"` // a 督办单 not answered by its reply deadline
	RequestLate      int `json:"request_late"`       // an enterprise request not answered within the answer clock
}

// Campaign is one 专项整治 with its calendar.
type Campaign struct {
	ID            int64
	Key           string
	Name          string
	Timezone      string
	OfficeUnitKey string
	Settings      CampaignSettings
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Location returns the campaign's time zone, or Asia/Shanghai when its name
// is unknown to this machine.
func (c *Campaign) Location() *time.Location {
	if loc, err := time.LoadLocation(c.Timezone); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}

const campaignColumns = `id, key, name, timezone, office_unit_key, settings, created_at, updated_at`

func scanCampaign(row interface{ Scan(...any) error }) (*Campaign, error) {
	var c Campaign
	var settings []byte
	if err := row.Scan(&c.ID, &c.Key, &c.Name, &c.Timezone, &c.OfficeUnitKey, &settings, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(settings, &c.Settings); err != nil {
		return nil, err
	}
	return &c, nil
}

// CampaignByKey returns the campaign with key.
func (s *Store) CampaignByKey(ctx context.Context, key string) (*Campaign, error) {
	c, err := scanCampaign(s.db.QueryRow(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE key = $1`, key))
	return c, wrap("campaign by key", err)
}

// CampaignByID returns the campaign with id.
func (s *Store) CampaignByID(ctx context.Context, id int64) (*Campaign, error) {
	c, err := scanCampaign(s.db.QueryRow(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE id = $1`, id))
	return c, wrap("campaign by id", err)
}

// Campaigns returns every campaign, newest first.
func (s *Store) Campaigns(ctx context.Context) ([]*Campaign, error) {
	rows, err := s.db.Query(ctx, `SELECT `+campaignColumns+` FROM campaigns ORDER BY id DESC`)
	if err != nil {
		return nil, wrap("campaigns", err)
	}
	defer rows.Close()
	var out []*Campaign
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			return nil, wrap("campaigns", err)
		}
		out = append(out, c)
	}
	return out, wrap("campaigns", rows.Err())
}

// CurrentCampaign returns the most recently created campaign: a deployment
// serves one campaign at a time.
func (s *Store) CurrentCampaign(ctx context.Context) (*Campaign, error) {
	c, err := scanCampaign(s.db.QueryRow(ctx, `SELECT `+campaignColumns+` FROM campaigns ORDER BY id DESC LIMIT 1`))
	return c, wrap("current campaign", err)
}

// UpsertCampaign creates or updates the campaign with c.Key and sets c.ID.
func (s *Store) UpsertCampaign(ctx context.Context, c *Campaign) error {
	settings, err := json.Marshal(c.Settings)
	if err != nil {
		return wrap("upsert campaign", err)
	}
	err = s.db.QueryRow(ctx, `
		INSERT INTO campaigns (key, name, timezone, office_unit_key, settings)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (key) DO UPDATE
		   SET name = excluded.name, timezone = excluded.timezone,
		       office_unit_key = excluded.office_unit_key, settings = excluded.settings,
		       updated_at = now()
		RETURNING id`, c.Key, c.Name, c.Timezone, c.OfficeUnitKey, settings).Scan(&c.ID)
	return wrap("upsert campaign", err)
}

// Phase is one stage of the campaign calendar.
type Phase struct {
	ID         int64
	CampaignID int64
	Position   int
	Name       string
	StartsOn   time.Time
	EndsOn     *time.Time
}

// Phases returns the campaign's phases in order.
func (s *Store) Phases(ctx context.Context, campaignID int64) ([]Phase, error) {
	rows, err := s.db.Query(ctx, `
		SELECT id, campaign_id, position, name, starts_on, ends_on
		FROM phases WHERE campaign_id = $1 ORDER BY position`, campaignID)
	if err != nil {
		return nil, wrap("phases", err)
	}
	defer rows.Close()
	var out []Phase
	for rows.Next() {
		var p Phase
		if err := rows.Scan(&p.ID, &p.CampaignID, &p.Position, &p.Name, &p.StartsOn, &p.EndsOn); err != nil {
			return nil, wrap("phases", err)
		}
		out = append(out, p)
	}
	return out, wrap("phases", rows.Err())
}

// ReplacePhases sets the campaign's phases to ps, in order.
func (s *Store) ReplacePhases(ctx context.Context, campaignID int64, ps []Phase) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM phases WHERE campaign_id = $1`, campaignID); err != nil {
		return wrap("replace phases", err)
	}
	for i, p := range ps {
		if _, err := s.db.Exec(ctx, `
			INSERT INTO phases (campaign_id, position, name, starts_on, ends_on)
			VALUES ($1, $2, $3, $4, $5)`, campaignID, i, p.Name, p.StartsOn, p.EndsOn); err != nil {
			return wrap("replace phases", err)
		}
	}
	return nil
}

// CampaignActivity counts what people have done in a campaign: ledger
// items, monthly reports, enterprise requests and simulator messages. The
// demo's history is played only into a campaign where it is 0.
func (s *Store) CampaignActivity(ctx context.Context, campaignID int64) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM ledger_items WHERE campaign_id = $1)
		     + (SELECT count(*) FROM monthly_reports WHERE campaign_id = $1)
		     + (SELECT count(*) FROM enterprise_requests WHERE campaign_id = $1)
		     + (SELECT count(*) FROM sim_messages)`, campaignID).Scan(&n)
	return n, wrap("campaign activity", err)
}
