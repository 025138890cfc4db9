package store

import "context"

// MilestoneByKey returns the campaign's milestone with key.
func (s *Store) MilestoneByKey(ctx context.Context, campaignID int64, key string) (*Milestone, error) {
	m, err := scanMilestone(s.db.QueryRow(ctx, `SELECT `+milestoneColumns+` FROM milestones WHERE campaign_id = $1 AND key = $2`, campaignID, key))
	return m, wrap("milestone by key", err)
}

// MilestoneSubmissionOf returns a unit's submission of a milestone.
func (s *Store) MilestoneSubmissionOf(ctx context.Context, milestoneID, unitID int64) (*MilestoneSubmission, error) {
	var m MilestoneSubmission
	err := s.db.QueryRow(ctx, `
		SELECT id, milestone_id, unit_id, note, person_id, submitted_at
		FROM milestone_submissions WHERE milestone_id = $1 AND unit_id = $2`, milestoneID, unitID).
		Scan(&m.ID, &m.MilestoneID, &m.UnitID, &m.Note, &m.PersonID, &m.SubmittedAt)
	if err != nil {
		return nil, wrap("milestone submission", err)
	}
	return &m, nil
}

// MilestoneAddressedTo reports whether a milestone is addressed to a unit:
// by one of its groups or its key, or to every unit but the office when it
// names no groups.
func (s *Store) MilestoneAddressedTo(ctx context.Context, milestoneID, unitID int64) (bool, error) {
	var ok bool
	err := s.db.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM milestones m JOIN units u ON u.id = $2
		    WHERE m.id = $1 AND ((cardinality(m.unit_groups) = 0 AND NOT u.is_office)
		        OR u.key = ANY(m.unit_groups)
		        OR EXISTS (SELECT 1 FROM unit_groups g WHERE g.unit_id = u.id AND g.group_key = ANY(m.unit_groups))))`,
		milestoneID, unitID).Scan(&ok)
	return ok, wrap("milestone addressed to", err)
}

// SubmitMilestoneAt is SubmitMilestone stamped with the given time (the
// event's, so an injected clock decides on-time or late).
func (s *Store) SubmitMilestoneAt(ctx context.Context, m *MilestoneSubmission) error {
	err := s.db.QueryRow(ctx, `
		INSERT INTO milestone_submissions (milestone_id, unit_id, note, person_id, submitted_at)
		VALUES ($1, $2, $3, $4, $5)
		RETURNING id`, m.MilestoneID, m.UnitID, m.Note, m.PersonID, m.SubmittedAt).Scan(&m.ID)
	return wrap("submit milestone", err)
}
