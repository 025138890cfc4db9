package store

import (
	"context"
	"time"
)

// Milestone is a dated duty of the calendar (节点).
type Milestone struct {
	ID               int64
	CampaignID       int64
	Key              string
	Title            string
	DueOn            time.Time
	UnitGroups       []string
	RemindDaysBefore []int32
	// Parts are the parts of a package milestone (SummaryPart*), empty for
	// a plain one; MinCases is how many 典型案例 it needs.
	Parts    []string
	MinCases int
}

// IsPackage reports whether units fill the milestone as a package of parts.
func (m *Milestone) IsPackage() bool { return len(m.Parts) > 0 }

// HasPart reports whether the package milestone has part.
func (m *Milestone) HasPart(part string) bool {
	for _, p := range m.Parts {
		if p == part {
			return true
		}
	}
	return false
}

const milestoneColumns = `id, campaign_id, key, title, due_on, unit_groups, remind_days_before, package_parts, min_cases`

func scanMilestone(row interface{ Scan(...any) error }) (*Milestone, error) {
	var m Milestone
	if err := row.Scan(&m.ID, &m.CampaignID, &m.Key, &m.Title, &m.DueOn, &m.UnitGroups, &m.RemindDaysBefore, &m.Parts, &m.MinCases); err != nil {
		return nil, err
	}
	return &m, nil
}

// Milestones returns the campaign's milestones by due date.
func (s *Store) Milestones(ctx context.Context, campaignID int64) ([]*Milestone, error) {
	rows, err := s.db.Query(ctx, `SELECT `+milestoneColumns+` FROM milestones WHERE campaign_id = $1 ORDER BY due_on, id`, campaignID)
	if err != nil {
		return nil, wrap("milestones", err)
	}
	defer rows.Close()
	var out []*Milestone
	for rows.Next() {
		m, err := scanMilestone(rows)
		if err != nil {
			return nil, wrap("milestones", err)
		}
		out = append(out, m)
	}
	return out, wrap("milestones", rows.Err())
}

// UpsertMilestone creates or updates the milestone with m.Key and sets m.ID.
func (s *Store) UpsertMilestone(ctx context.Context, m *Milestone) error {
	err := s.db.QueryRow(ctx, `
		INSERT INTO milestones (campaign_id, key, title, due_on, unit_groups, remind_days_before, package_parts, min_cases)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (campaign_id, key) DO UPDATE
		   SET title = excluded.title, due_on = excluded.due_on, unit_groups = excluded.unit_groups,
		       remind_days_before = excluded.remind_days_before, package_parts = excluded.package_parts,
		       min_cases = excluded.min_cases
		RETURNING id`, m.CampaignID, m.Key, m.Title, m.DueOn, m.UnitGroups, m.RemindDaysBefore, nonNil(m.Parts), m.MinCases).Scan(&m.ID)
	return wrap("upsert milestone", err)
}

// MilestoneSubmission is a unit's mark that a milestone is done.
type MilestoneSubmission struct {
	ID          int64
	MilestoneID int64
	UnitID      int64
	Note        string
	PersonID    *int64
	SubmittedAt time.Time
}

// SubmitMilestone marks a milestone done for a unit. It returns ErrConflict
// when the unit already did.
func (s *Store) SubmitMilestone(ctx context.Context, m *MilestoneSubmission) error {
	err := s.db.QueryRow(ctx, `
		INSERT INTO milestone_submissions (milestone_id, unit_id, note, person_id)
		VALUES ($1, $2, $3, $4)
		RETURNING id, submitted_at`, m.MilestoneID, m.UnitID, m.Note, m.PersonID).Scan(&m.ID, &m.SubmittedAt)
	return wrap("submit milestone", err)
}

// MilestoneSubmissions returns the submissions of a milestone keyed by unit.
func (s *Store) MilestoneSubmissions(ctx context.Context, milestoneID int64) (map[int64]*MilestoneSubmission, error) {
	rows, err := s.db.Query(ctx, `
		SELECT id, milestone_id, unit_id, note, person_id, submitted_at
		FROM milestone_submissions WHERE milestone_id = $1`, milestoneID)
	if err != nil {
		return nil, wrap("milestone submissions", err)
	}
	defer rows.Close()
	out := map[int64]*MilestoneSubmission{}
	for rows.Next() {
		var m MilestoneSubmission
		if err := rows.Scan(&m.ID, &m.MilestoneID, &m.UnitID, &m.Note, &m.PersonID, &m.SubmittedAt); err != nil {
			return nil, wrap("milestone submissions", err)
		}
		out[m.UnitID] = &m
	}
	return out, wrap("milestone submissions", rows.Err())
}

// nonNil is strs, or an empty slice for nil (a NOT NULL array column).
func nonNil(strs []string) []string {
	if strs == nil {
		return []string{}
	}
	return strs
}
