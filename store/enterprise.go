package store

import (
	"context"
	"time"
)

// Enterprise is a transport enterprise paired with a contact leader
// (联百企驻百站).
type Enterprise struct {
	ID         int64
	CampaignID int64
	Key        string
	Name       string
	LeaderID   *int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Contact is a person of an enterprise who talks to the bot.
type Contact struct {
	ID           int64
	EnterpriseID int64
	Name         string
	Phone        string
}

// EnterpriseByID returns the enterprise with id.
func (s *Store) EnterpriseByID(ctx context.Context, id int64) (*Enterprise, error) {
	var e Enterprise
	err := s.db.QueryRow(ctx, `
		SELECT id, campaign_id, key, name, leader_id, created_at, updated_at
		FROM enterprises WHERE id = $1`, id).Scan(&e.ID, &e.CampaignID, &e.Key, &e.Name, &e.LeaderID, &e.CreatedAt, &e.UpdatedAt)
	if err != nil {
		return nil, wrap("enterprise by id", err)
	}
	return &e, nil
}

// EnterpriseByKey returns the campaign's enterprise with key.
func (s *Store) EnterpriseByKey(ctx context.Context, campaignID int64, key string) (*Enterprise, error) {
	var e Enterprise
	err := s.db.QueryRow(ctx, `
		SELECT id, campaign_id, key, name, leader_id, created_at, updated_at
		FROM enterprises WHERE campaign_id = $1 AND key = $2`, campaignID, key).Scan(&e.ID, &e.CampaignID, &e.Key, &e.Name, &e.LeaderID, &e.CreatedAt, &e.UpdatedAt)
	if err != nil {
		return nil, wrap("enterprise by key", err)
	}
	return &e, nil
}

// UpsertEnterprise creates or updates the enterprise with e.Key and sets
// e.ID. When its leader changes, the current pairing ends and a new one
// starts; changed reports that.
func (s *Store) UpsertEnterprise(ctx context.Context, e *Enterprise) (leaderChanged bool, err error) {
	var old *int64
	err = s.db.QueryRow(ctx, `SELECT leader_id FROM enterprises WHERE campaign_id = $1 AND key = $2`, e.CampaignID, e.Key).Scan(&old)
	existed := err == nil
	if err != nil && interpretError(err) != ErrNotFound {
		return false, wrap("upsert enterprise", err)
	}
	err = s.db.QueryRow(ctx, `
		INSERT INTO enterprises (campaign_id, key, name, leader_id) VALUES ($1, $2, $3, $4)
		ON CONFLICT (campaign_id, key) DO UPDATE
		   SET name = excluded.name, leader_id = excluded.leader_id, updated_at = now()
		RETURNING id`, e.CampaignID, e.Key, e.Name, e.LeaderID).Scan(&e.ID)
	if err != nil {
		return false, wrap("upsert enterprise", err)
	}
	same := (old == nil && e.LeaderID == nil) || (old != nil && e.LeaderID != nil && *old == *e.LeaderID)
	if existed && same {
		return false, nil
	}
	if _, err := s.db.Exec(ctx, `UPDATE pairings SET ended_at = now() WHERE enterprise_id = $1 AND ended_at IS NULL`, e.ID); err != nil {
		return false, wrap("end pairing", err)
	}
	if e.LeaderID != nil {
		if _, err := s.db.Exec(ctx, `INSERT INTO pairings (enterprise_id, leader_id) VALUES ($1, $2)`, e.ID, *e.LeaderID); err != nil {
			return false, wrap("start pairing", err)
		}
	}
	return existed, nil
}

// ContactByID returns the contact with id.
func (s *Store) ContactByID(ctx context.Context, id int64) (*Contact, error) {
	var c Contact
	err := s.db.QueryRow(ctx, `SELECT id, enterprise_id, name, phone FROM contacts WHERE id = $1`, id).
		Scan(&c.ID, &c.EnterpriseID, &c.Name, &c.Phone)
	if err != nil {
		return nil, wrap("contact by id", err)
	}
	return &c, nil
}

// UpsertContact creates or updates the enterprise's contact with c.Name and
// sets c.ID.
func (s *Store) UpsertContact(ctx context.Context, c *Contact) error {
	err := s.db.QueryRow(ctx, `
		INSERT INTO contacts (enterprise_id, name, phone) VALUES ($1, $2, $3)
		ON CONFLICT (enterprise_id, name) DO UPDATE SET phone = excluded.phone
		RETURNING id`, c.EnterpriseID, c.Name, c.Phone).Scan(&c.ID)
	return wrap("upsert contact", err)
}

// Contacts returns the enterprise's contacts.
func (s *Store) Contacts(ctx context.Context, enterpriseID int64) ([]*Contact, error) {
	rows, err := s.db.Query(ctx, `SELECT id, enterprise_id, name, phone FROM contacts WHERE enterprise_id = $1 ORDER BY id`, enterpriseID)
	if err != nil {
		return nil, wrap("contacts", err)
	}
	defer rows.Close()
	var out []*Contact
	for rows.Next() {
		var c Contact
		if err := rows.Scan(&c.ID, &c.EnterpriseID, &c.Name, &c.Phone); err != nil {
			return nil, wrap("contacts", err)
		}
		out = append(out, &c)
	}
	return out, wrap("contacts", rows.Err())
}
