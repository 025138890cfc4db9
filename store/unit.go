package store

import (
	"context"
	"time"
)

// Unit is a reporting unit: a county bureau, a 局直单位, a 科室, or the
// campaign office.
type Unit struct {
	ID         int64
	CampaignID int64
	Key        string
	Name       string
	Code       string
	Position   int
	LeaderID   *int64
	LiaisonID  *int64
	IsOffice   bool
	Groups     []string
	MemberIDs  []int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

const unitColumns = `u.id, u.campaign_id, u.key, u.name, u.code, u.position, u.leader_id, u.liaison_id, u.is_office,
	coalesce((SELECT array_agg(g.group_key ORDER BY g.group_key) FROM unit_groups g WHERE g.unit_id = u.id), '{}'),
	coalesce((SELECT array_agg(m.person_id ORDER BY m.person_id) FROM unit_members m WHERE m.unit_id = u.id), '{}'),
	u.created_at, u.updated_at`

func scanUnit(row interface{ Scan(...any) error }) (*Unit, error) {
	var u Unit
	err := row.Scan(&u.ID, &u.CampaignID, &u.Key, &u.Name, &u.Code, &u.Position, &u.LeaderID, &u.LiaisonID, &u.IsOffice,
		&u.Groups, &u.MemberIDs, &u.CreatedAt, &u.UpdatedAt)
	if err != nil {
		return nil, err
	}
	return &u, nil
}

func (s *Store) queryUnits(ctx context.Context, what, where string, args ...any) ([]*Unit, error) {
	rows, err := s.db.Query(ctx, `SELECT `+unitColumns+` FROM units u WHERE `+where+` ORDER BY u.position, u.id`, args...)
	if err != nil {
		return nil, wrap(what, err)
	}
	defer rows.Close()
	var out []*Unit
	for rows.Next() {
		u, err := scanUnit(rows)
		if err != nil {
			return nil, wrap(what, err)
		}
		out = append(out, u)
	}
	return out, wrap(what, rows.Err())
}

// UnitByID returns the unit with id.
func (s *Store) UnitByID(ctx context.Context, id int64) (*Unit, error) {
	u, err := scanUnit(s.db.QueryRow(ctx, `SELECT `+unitColumns+` FROM units u WHERE u.id = $1`, id))
	return u, wrap("unit by id", err)
}

// UnitByKey returns the campaign's unit with key.
func (s *Store) UnitByKey(ctx context.Context, campaignID int64, key string) (*Unit, error) {
	u, err := scanUnit(s.db.QueryRow(ctx, `SELECT `+unitColumns+` FROM units u WHERE u.campaign_id = $1 AND u.key = $2`, campaignID, key))
	return u, wrap("unit by key", err)
}

// Units returns the campaign's units in the campaign file's order.
func (s *Store) Units(ctx context.Context, campaignID int64) ([]*Unit, error) {
	return s.queryUnits(ctx, "units", `u.campaign_id = $1`, campaignID)
}

// UnitsOfPerson returns the campaign's units the person leads, liaises for or
// is a member of.
func (s *Store) UnitsOfPerson(ctx context.Context, campaignID, personID int64) ([]*Unit, error) {
	// Index lookups, not a scan of the campaign's units: most commands ask.
	return s.queryUnits(ctx, "units of person", `u.campaign_id = $1 AND u.id IN (
		SELECT id FROM units WHERE leader_id = $2 UNION SELECT id FROM units WHERE liaison_id = $2
		UNION SELECT unit_id FROM unit_members WHERE person_id = $2)`, campaignID, personID)
}

// UnitsInGroups returns the campaign's units in any of groups (a group key,
// or a unit's own key); no groups means every unit but the office.
func (s *Store) UnitsInGroups(ctx context.Context, campaignID int64, groups []string) ([]*Unit, error) {
	if len(groups) == 0 {
		return s.queryUnits(ctx, "units in groups", `u.campaign_id = $1 AND NOT u.is_office`, campaignID)
	}
	return s.queryUnits(ctx, "units in groups", `u.campaign_id = $1
		AND (u.key = ANY($2) OR EXISTS (SELECT 1 FROM unit_groups g WHERE g.unit_id = u.id AND g.group_key = ANY($2)))`, campaignID, groups)
}

// UpsertUnit creates or updates the unit with u.Key in its campaign, replaces
// its groups and members, and sets u.ID.
func (s *Store) UpsertUnit(ctx context.Context, u *Unit) error {
	err := s.db.QueryRow(ctx, `
		INSERT INTO units (campaign_id, key, name, code, position, leader_id, liaison_id, is_office)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (campaign_id, key) DO UPDATE
		   SET name = excluded.name, code = excluded.code, position = excluded.position,
		       leader_id = excluded.leader_id, liaison_id = excluded.liaison_id,
		       is_office = excluded.is_office, updated_at = now()
		RETURNING id`, u.CampaignID, u.Key, u.Name, u.Code, u.Position, u.LeaderID, u.LiaisonID, u.IsOffice).Scan(&u.ID)
	if err != nil {
		return wrap("upsert unit", err)
	}
	if _, err := s.db.Exec(ctx, `DELETE FROM unit_groups WHERE unit_id = $1 AND NOT group_key = ANY($2)`, u.ID, u.Groups); err != nil {
		return wrap("upsert unit groups", err)
	}
	if _, err := s.db.Exec(ctx, `
		INSERT INTO unit_groups (unit_id, group_key) SELECT $1, unnest($2::text[])
		ON CONFLICT DO NOTHING`, u.ID, u.Groups); err != nil {
		return wrap("upsert unit groups", err)
	}
	if _, err := s.db.Exec(ctx, `DELETE FROM unit_members WHERE unit_id = $1 AND NOT person_id = ANY($2)`, u.ID, u.MemberIDs); err != nil {
		return wrap("upsert unit members", err)
	}
	_, err = s.db.Exec(ctx, `
		INSERT INTO unit_members (unit_id, person_id) SELECT $1, unnest($2::bigint[])
		ON CONFLICT DO NOTHING`, u.ID, u.MemberIDs)
	return wrap("upsert unit members", err)
}

// Roles says what a person is in a campaign.
type Roles struct {
	// Office is true for the leader, liaison and members of the office unit.
	Office bool
	// Leads, Liaises and Member are the ids of units where the person is
	// leader, liaison or member.
	Leads, Liaises, Member []int64
	// Supervisor is true for a 社会义务监督员 of the campaign.
	Supervisor bool
}

// IsLeader reports whether the person leads any unit.
func (r Roles) IsLeader() bool { return len(r.Leads) > 0 }

// CanEdit reports whether the person may change unit's ledger items: its
// liaison, its leader, or the office.
func (r Roles) CanEdit(unitID int64) bool {
	return r.Office || contains(r.Liaises, unitID) || contains(r.Leads, unitID) || contains(r.Member, unitID)
}

// CanDecide reports whether the person may approve or reject unit's close
// and extend requests: its leader or the office.
func (r Roles) CanDecide(unitID int64) bool { return r.Office || contains(r.Leads, unitID) }

func contains(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// RolesOf returns a person's roles in a campaign in one query.
func (s *Store) RolesOf(ctx context.Context, campaignID, personID int64) (Roles, error) {
	var r Roles
	err := s.db.QueryRow(ctx, rolesSQL("$1", "$2"),
		campaignID, personID).Scan(&r.Office, &r.Leads, &r.Liaises, &r.Member, &r.Supervisor)
	return r, wrap("roles", err)
}

// rolesSQL is the query of a person's roles in a campaign, given SQL
// expressions for the campaign's id and the person's id. It is three index
// lookups rather than a scan of the campaign's units: it runs on every
// event from a person.
func rolesSQL(campaignID, personID string) string {
	return `
		WITH p AS (SELECT ` + campaignID + `::bigint AS cid, ` + personID + `::bigint AS pid),
		mine AS (
		    SELECT u.id, u.is_office, true AS leads, u.liaison_id = p.pid AS liaises, false AS member
		    FROM p JOIN units u ON u.leader_id = p.pid AND u.campaign_id = p.cid
		    UNION ALL
		    SELECT u.id, u.is_office, false, true, false
		    FROM p JOIN units u ON u.liaison_id = p.pid AND u.campaign_id = p.cid
		    UNION ALL
		    SELECT u.id, u.is_office, false, false, true
		    FROM p JOIN unit_members m ON m.person_id = p.pid JOIN units u ON u.id = m.unit_id AND u.campaign_id = p.cid
		)
		SELECT coalesce(bool_or(is_office), false),
		       coalesce(array_agg(DISTINCT id ORDER BY id) FILTER (WHERE leads), '{}'),
		       coalesce(array_agg(DISTINCT id ORDER BY id) FILTER (WHERE liaises), '{}'),
		       coalesce(array_agg(DISTINCT id ORDER BY id) FILTER (WHERE member), '{}'),
		       EXISTS (SELECT 1 FROM p JOIN campaign_supervisors s ON s.campaign_id = p.cid AND s.person_id = p.pid)
		FROM mine`
}
