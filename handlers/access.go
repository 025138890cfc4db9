package handlers

import (
	"slices"

	"zhenggai/bot"
	"zhenggai/store"
)

// Who may see what: the one rule set of the chat and the web 看板. A chat
// handler and a dashboard page ask the same function, so the two cannot
// disagree (TestChatAndDashboardAgree holds them to it).
//
//   - a unit's ledger, and each of its items: the office, and the unit's
//     liaison, leaders and members (who may also edit it: Roles.CanEdit);
//   - an enterprise request: the office, its owner (whoever it was
//     transferred to), the enterprise's contact leader, and the
//     enterprise's own contacts;
//   - a file: CanSeeFile (evidence.go), through the item or request that
//     holds it.

// Viewer is who wants to see something: a bureau person with his roles, or
// an enterprise contact.
type Viewer struct {
	Person  *store.Person
	Roles   store.Roles
	Contact *store.Contact
}

// viewerOf is the asker of r.
func viewerOf(r *bot.Request) Viewer {
	return Viewer{Person: r.Person, Roles: r.Roles, Contact: r.Contact}
}

// CanSeeUnit reports whether v may see the unit's ledger.
func CanSeeUnit(v Viewer, unitID int64) bool {
	return v.Person != nil && v.Roles.CanEdit(unitID)
}

// CanSeeItem reports whether v may see a ledger item of campaign c.
func CanSeeItem(v Viewer, c *store.Campaign, it *store.LedgerItem) bool {
	return c != nil && it.CampaignID == c.ID && CanSeeUnit(v, it.UnitID)
}

// CanSeeRequest reports whether v may see an enterprise request of
// campaign c (and, a bureau person, handle it).
func CanSeeRequest(v Viewer, c *store.Campaign, q *store.EnterpriseRequest) bool {
	return c != nil && q.CampaignID == c.ID && canSeeRequest(v, q)
}

// canSeeRequest is CanSeeRequest without the campaign: a bureau person
// who handles it or is its enterprise's contact leader, the office, or one
// of its enterprise's contacts (when he is not also a bureau person).
func canSeeRequest(v Viewer, q *store.EnterpriseRequest) bool {
	if v.Person == nil {
		return v.Contact != nil && v.Contact.EnterpriseID == q.EnterpriseID
	}
	p := v.Person.ID
	return v.Roles.Office || q.OwnerID == p || (q.EnterpriseLeaderID != nil && *q.EnterpriseLeaderID == p)
}

// ViewerUnitIDs are the units whose ledger v sees: nil (all) for the office.
func ViewerUnitIDs(v Viewer) []int64 {
	if v.Roles.Office {
		return nil
	}
	var ids []int64
	for _, set := range [][]int64{v.Roles.Leads, v.Roles.Liaises, v.Roles.Member} {
		for _, id := range set {
			if CanSeeUnit(v, id) && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	if ids == nil {
		ids = []int64{}
	}
	return ids
}
