package store

import "context"

// ReplaceSupervisors makes personIDs the campaign's 社会义务监督员.
func (s *Store) ReplaceSupervisors(ctx context.Context, campaignID int64, personIDs []int64) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM campaign_supervisors WHERE campaign_id = $1 AND NOT person_id = ANY($2)`, campaignID, personIDs); err != nil {
		return wrap("replace supervisors", err)
	}
	_, err := s.db.Exec(ctx, `
		INSERT INTO campaign_supervisors (campaign_id, person_id) SELECT $1, unnest($2::bigint[])
		ON CONFLICT DO NOTHING`, campaignID, personIDs)
	return wrap("replace supervisors", err)
}

// IsSupervisor reports whether a person is a 社会义务监督员 of the campaign.
func (s *Store) IsSupervisor(ctx context.Context, campaignID, personID int64) (bool, error) {
	var ok bool
	err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM campaign_supervisors WHERE campaign_id = $1 AND person_id = $2)`,
		campaignID, personID).Scan(&ok)
	return ok, wrap("is supervisor", err)
}
