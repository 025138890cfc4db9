package store

import (
	"context"
	"time"
)

// The planner's reads: each answers one kind of reminder for the whole
// campaign in one query, never one query per unit or item.

// UnitPeriod is a unit that owes the monthly report of a period.
type UnitPeriod struct {
	Period string
	UnitID int64
}

// MissingReports returns, for each period, the campaign's units (but the
// office) that have not submitted that period's monthly report.
func (s *Store) MissingReports(ctx context.Context, campaignID int64, periods []string) ([]UnitPeriod, error) {
	rows, err := s.db.Query(ctx, `
		SELECT p.period, u.id
		FROM units u CROSS JOIN unnest($2::text[]) AS p(period)
		WHERE u.campaign_id = $1 AND NOT u.is_office
		  AND NOT EXISTS (SELECT 1 FROM monthly_reports r WHERE r.unit_id = u.id AND r.period = p.period)
		ORDER BY p.period, u.position, u.id`, campaignID, periods)
	if err != nil {
		return nil, wrap("missing reports", err)
	}
	defer rows.Close()
	var out []UnitPeriod
	for rows.Next() {
		var up UnitPeriod
		if err := rows.Scan(&up.Period, &up.UnitID); err != nil {
			return nil, wrap("missing reports", err)
		}
		out = append(out, up)
	}
	return out, wrap("missing reports", rows.Err())
}

// MilestoneUnit is a unit that owes a milestone.
type MilestoneUnit struct {
	MilestoneID int64
	UnitID      int64
}

// MissingMilestones returns, for each of the milestones, the units it is
// addressed to (by group or unit key; no groups means every unit but the
// office) that have not marked it done.
func (s *Store) MissingMilestones(ctx context.Context, campaignID int64, milestoneIDs []int64) ([]MilestoneUnit, error) {
	rows, err := s.db.Query(ctx, `
		SELECT m.id, u.id
		FROM milestones m JOIN units u ON u.campaign_id = m.campaign_id
		WHERE m.campaign_id = $1 AND m.id = ANY($2)
		  AND ((cardinality(m.unit_groups) = 0 AND NOT u.is_office)
		       OR u.key = ANY(m.unit_groups)
		       OR EXISTS (SELECT 1 FROM unit_groups g WHERE g.unit_id = u.id AND g.group_key = ANY(m.unit_groups)))
		  AND NOT EXISTS (SELECT 1 FROM milestone_submissions s WHERE s.milestone_id = m.id AND s.unit_id = u.id)
		ORDER BY m.due_on, m.id, u.position, u.id`, campaignID, milestoneIDs)
	if err != nil {
		return nil, wrap("missing milestones", err)
	}
	defer rows.Close()
	var out []MilestoneUnit
	for rows.Next() {
		var mu MilestoneUnit
		if err := rows.Scan(&mu.MilestoneID, &mu.UnitID); err != nil {
			return nil, wrap("missing milestones", err)
		}
		out = append(out, mu)
	}
	return out, wrap("missing milestones", rows.Err())
}

// DueItem is an open ledger item with a deadline the planner reminds of.
type DueItem struct {
	ID                int64
	UnitID            int64
	Number            string
	Description       string
	DueOn             time.Time
	Version           int
	ResponsiblePerson string
	// ResponsibleID is the person named 责任人 when exactly one person has
	// that name.
	ResponsibleID *int64
}

// ItemsDueOn returns the campaign's items in progress (整改中) whose
// deadline is one of dates.
func (s *Store) ItemsDueOn(ctx context.Context, campaignID int64, dates []time.Time) ([]*DueItem, error) {
	rows, err := s.db.Query(ctx, `
		WITH named AS (
		    SELECT name, min(id) AS id FROM people GROUP BY name HAVING count(*) = 1
		)
		SELECT li.id, li.unit_id, li.number, li.description, li.due_on, li.version, li.responsible_person, n.id
		FROM ledger_items li
		LEFT JOIN named n ON n.name = li.responsible_person AND li.responsible_person <> ''
		WHERE li.campaign_id = $1 AND li.status = 'in_progress' AND li.due_on = ANY($2::date[])
		ORDER BY li.due_on, li.id`, campaignID, dates)
	if err != nil {
		return nil, wrap("items due on", err)
	}
	defer rows.Close()
	var out []*DueItem
	for rows.Next() {
		var it DueItem
		if err := rows.Scan(&it.ID, &it.UnitID, &it.Number, &it.Description, &it.DueOn, &it.Version,
			&it.ResponsiblePerson, &it.ResponsibleID); err != nil {
			return nil, wrap("items due on", err)
		}
		out = append(out, &it)
	}
	return out, wrap("items due on", rows.Err())
}

// CampaignUnitChats returns the active group chats of the campaign's units,
// keyed by unit.
func (s *Store) CampaignUnitChats(ctx context.Context, campaignID int64) (map[int64][]*Chat, error) {
	rows, err := s.db.Query(ctx, `
		SELECT `+prefixed("c.", chatColumns)+`
		FROM chats c JOIN units u ON u.id = c.unit_id
		WHERE u.campaign_id = $1 AND c.active AND c.kind = 'group'
		ORDER BY c.id`, campaignID)
	if err != nil {
		return nil, wrap("campaign unit chats", err)
	}
	defer rows.Close()
	out := map[int64][]*Chat{}
	for rows.Next() {
		c, err := scanChat(rows)
		if err != nil {
			return nil, wrap("campaign unit chats", err)
		}
		out[*c.UnitID] = append(out[*c.UnitID], c)
	}
	return out, wrap("campaign unit chats", rows.Err())
}

// UrgentItem is an open item that is overdue or due soon, for digests.
type UrgentItem struct {
	UnitID      int64
	ID          int64
	Number      string
	Description string
	DueOn       time.Time
}

// UnitUrgency is a unit's overdue and due-soon items: the counts, and the
// most urgent few.
type UnitUrgency struct {
	UnitID  int64
	Overdue int
	DueSoon int
	Top     []UrgentItem
}

// ItemUrgency returns, per unit, its items in progress due before today
// (overdue) or from today to soonUntil (due soon), with the perUnit most
// urgent ones listed.
func (s *Store) ItemUrgency(ctx context.Context, campaignID int64, today, soonUntil time.Time, perUnit int) (map[int64]*UnitUrgency, error) {
	rows, err := s.db.Query(ctx, `
		SELECT unit_id, id, number, description, due_on, n_overdue, n_soon, rn FROM (
		    SELECT li.unit_id, li.id, li.number, li.description, li.due_on,
		           row_number() OVER (PARTITION BY li.unit_id ORDER BY li.due_on, li.id) AS rn,
		           count(*) FILTER (WHERE li.due_on < $2) OVER (PARTITION BY li.unit_id) AS n_overdue,
		           count(*) FILTER (WHERE li.due_on >= $2) OVER (PARTITION BY li.unit_id) AS n_soon
		    FROM ledger_items li
		    WHERE li.campaign_id = $1 AND li.status = 'in_progress' AND li.due_on <= $3
		) x WHERE rn <= $4
		ORDER BY unit_id, rn`, campaignID, today, soonUntil, perUnit)
	if err != nil {
		return nil, wrap("item urgency", err)
	}
	defer rows.Close()
	out := map[int64]*UnitUrgency{}
	for rows.Next() {
		var it UrgentItem
		var nOverdue, nSoon, rn int
		if err := rows.Scan(&it.UnitID, &it.ID, &it.Number, &it.Description, &it.DueOn, &nOverdue, &nSoon, &rn); err != nil {
			return nil, wrap("item urgency", err)
		}
		u := out[it.UnitID]
		if u == nil {
			u = &UnitUrgency{UnitID: it.UnitID, Overdue: nOverdue, DueSoon: nSoon}
			out[it.UnitID] = u
		}
		u.Top = append(u.Top, it)
	}
	return out, wrap("item urgency", rows.Err())
}

// PendingApproval is a 销号 or 延期 request waiting for a decision.
type PendingApproval struct {
	UnitID      int64
	RequestID   int64
	ItemID      int64
	ItemNumber  string
	Kind        string
	RequestedAt time.Time
}

// UnitApprovals is a unit's pending requests: how many, and the oldest few.
type UnitApprovals struct {
	UnitID int64
	Count  int
	Oldest []PendingApproval
}

// PendingApprovals returns, per unit, the pending close and extend requests
// of its items, the perUnit oldest listed.
func (s *Store) PendingApprovals(ctx context.Context, campaignID int64, perUnit int) (map[int64]*UnitApprovals, error) {
	rows, err := s.db.Query(ctx, `
		SELECT unit_id, rid, item_id, number, kind, requested_at, n FROM (
		    SELECT li.unit_id, r.id AS rid, li.id AS item_id, li.number, r.kind, r.requested_at,
		           row_number() OVER (PARTITION BY li.unit_id ORDER BY r.requested_at, r.id) AS rn,
		           count(*) OVER (PARTITION BY li.unit_id) AS n
		    FROM item_requests r JOIN ledger_items li ON li.id = r.item_id
		    WHERE li.campaign_id = $1 AND r.state = 'pending'
		) x WHERE rn <= $2
		ORDER BY unit_id, rn`, campaignID, perUnit)
	if err != nil {
		return nil, wrap("pending approvals", err)
	}
	defer rows.Close()
	out := map[int64]*UnitApprovals{}
	for rows.Next() {
		var a PendingApproval
		var n int
		if err := rows.Scan(&a.UnitID, &a.RequestID, &a.ItemID, &a.ItemNumber, &a.Kind, &a.RequestedAt, &n); err != nil {
			return nil, wrap("pending approvals", err)
		}
		u := out[a.UnitID]
		if u == nil {
			u = &UnitApprovals{UnitID: a.UnitID, Count: n}
			out[a.UnitID] = u
		}
		u.Oldest = append(u.Oldest, a)
	}
	return out, wrap("pending approvals", rows.Err())
}

// WaitingRequest is an enterprise request waiting for its leader's answer.
type WaitingRequest struct {
	OwnerID    int64
	ID         int64
	Number     string
	Enterprise string
	Since      time.Time
}

// OwnerRequests is a leader's waiting requests: how many, and the oldest
// few.
type OwnerRequests struct {
	OwnerID int64
	Count   int
	Oldest  []WaitingRequest
}

// WaitingRequests returns, per owning leader, the campaign's open enterprise
// requests (waiting for an answer), the perOwner oldest listed.
func (s *Store) WaitingRequests(ctx context.Context, campaignID int64, perOwner int) (map[int64]*OwnerRequests, error) {
	rows, err := s.db.Query(ctx, `
		SELECT owner_id, id, number, name, since, n FROM (
		    SELECT r.owner_id, r.id, r.number, e.name, coalesce(r.waiting_since, r.opened_at) AS since,
		           row_number() OVER (PARTITION BY r.owner_id ORDER BY coalesce(r.waiting_since, r.opened_at), r.id) AS rn,
		           count(*) OVER (PARTITION BY r.owner_id) AS n
		    FROM enterprise_requests r JOIN enterprises e ON e.id = r.enterprise_id
		    WHERE r.campaign_id = $1 AND r.state = 'open'
		) x WHERE rn <= $2
		ORDER BY owner_id, since`, campaignID, perOwner)
	if err != nil {
		return nil, wrap("waiting requests", err)
	}
	defer rows.Close()
	out := map[int64]*OwnerRequests{}
	for rows.Next() {
		var w WaitingRequest
		var n int
		if err := rows.Scan(&w.OwnerID, &w.ID, &w.Number, &w.Enterprise, &w.Since, &n); err != nil {
			return nil, wrap("waiting requests", err)
		}
		o := out[w.OwnerID]
		if o == nil {
			o = &OwnerRequests{OwnerID: w.OwnerID, Count: n}
			out[w.OwnerID] = o
		}
		o.Oldest = append(o.Oldest, w)
	}
	return out, wrap("waiting requests", rows.Err())
}
