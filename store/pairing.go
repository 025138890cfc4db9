package store

import (
	"context"
	"time"
)

// Pairing is one span of an enterprise's pairing with a contact leader.
type Pairing struct {
	ID           int64
	EnterpriseID int64
	LeaderID     int64
	StartedAt    time.Time
	EndedAt      *time.Time
}

// CurrentPairing returns the enterprise's current pairing, or ErrNotFound.
func (s *Store) CurrentPairing(ctx context.Context, enterpriseID int64) (*Pairing, error) {
	var p Pairing
	err := s.db.QueryRow(ctx, `
		SELECT id, enterprise_id, leader_id, started_at, ended_at
		FROM pairings WHERE enterprise_id = $1 AND ended_at IS NULL`, enterpriseID).
		Scan(&p.ID, &p.EnterpriseID, &p.LeaderID, &p.StartedAt, &p.EndedAt)
	if err != nil {
		return nil, wrap("current pairing", err)
	}
	return &p, nil
}

// ContactLeaders returns the people a request can be handed to: the
// campaign's unit leaders and enterprise contact leaders, by name.
func (s *Store) ContactLeaders(ctx context.Context, campaignID int64) ([]*Person, error) {
	rows, err := s.db.Query(ctx, `SELECT `+personColumns+` FROM people WHERE id IN (
		    SELECT leader_id FROM units WHERE campaign_id = $1 AND leader_id IS NOT NULL
		    UNION SELECT leader_id FROM enterprises WHERE campaign_id = $1 AND leader_id IS NOT NULL)
		ORDER BY name, id`, campaignID)
	if err != nil {
		return nil, wrap("contact leaders", err)
	}
	defer rows.Close()
	var out []*Person
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, wrap("contact leaders", err)
		}
		out = append(out, p)
	}
	return out, wrap("contact leaders", rows.Err())
}

// LastInboundPlatform returns the platform a contact last wrote to a request
// from, or "" when it never did: where replies and notices reach it.
func (s *Store) LastInboundPlatform(ctx context.Context, contactID int64) (string, error) {
	var p string
	err := s.db.QueryRow(ctx, `
		SELECT m.platform FROM request_messages m JOIN enterprise_requests r ON r.id = m.request_id
		WHERE r.contact_id = $1 AND m.direction = 'in' AND m.platform <> ''
		ORDER BY m.id DESC LIMIT 1`, contactID).Scan(&p)
	if err != nil && interpretError(err) == ErrNotFound {
		return "", nil
	}
	return p, wrap("last inbound platform", err)
}
