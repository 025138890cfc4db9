package sim

import (
	"context"
	"errors"
	"slices"
	"strings"

	"zhenggai/store"
)

// Roles an identity can have, in the order the picker lists them.
const (
	RoleOffice     = "office"
	RoleLiaison    = "liaison"
	RoleLeader     = "leader"
	RoleMember     = "member"
	RoleEnterprise = "enterprise"
)

var roleOrder = []string{RoleOffice, RoleLiaison, RoleLeader, RoleMember, RoleEnterprise}

// Identity is someone the simulator can play.
type Identity struct {
	Account string `json:"account"`
	Name    string `json:"name"`
	Title   string `json:"title,omitempty"`
	// Kind is "person" or "contact".
	Kind string `json:"kind"`
	// Role is the main role: office, liaison, leader, member or enterprise.
	Role string `json:"role"`
	// Roles describes every role in words ("灵宝市交通运输局 联络人").
	Roles []string `json:"roles"`
	Chats []Chat   `json:"chats"`
}

// Chat is a chat an identity sees.
type Chat struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Kind  string `json:"kind"` // "group" or "direct"
}

// Directory is everyone the simulator can play in the current campaign.
type Directory struct {
	Campaign   string      `json:"campaign"`
	Timezone   string      `json:"timezone"`
	Identities []*Identity `json:"identities"`
	byAccount  map[string]*Identity
	// groups names every group chat with its title.
	groups map[string]string
}

// Identity returns the identity with account, or nil.
func (d *Directory) Identity(account string) *Identity { return d.byAccount[account] }

// Name returns the display name of a sim account.
func (d *Directory) Name(account string) string {
	if id := d.byAccount[account]; id != nil {
		return id.Name
	}
	if account == "" {
		return BotName
	}
	return account
}

// CanSee reports whether the identity is in chat.
func (id *Identity) CanSee(chat string) bool {
	return slices.ContainsFunc(id.Chats, func(c Chat) bool { return c.ID == chat })
}

// chat returns the identity's chat with id.
func (id *Identity) chat(chatID string) (Chat, bool) {
	for _, c := range id.Chats {
		if c.ID == chatID {
			return c, true
		}
	}
	return Chat{}, false
}

// directory reads whom the simulator can play: every person of the current
// campaign (units' leaders, liaisons, members, enterprises' contact
// leaders) and every enterprise contact, with a sim account. Without a
// campaign it is empty.
func (a *Adapter) directory(ctx context.Context) (*Directory, error) {
	d := &Directory{byAccount: map[string]*Identity{}, groups: map[string]string{}}
	c, err := a.store.CurrentCampaign(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return d, nil
	}
	if err != nil {
		return nil, err
	}
	d.Campaign, d.Timezone = c.Name, c.Timezone
	units, err := a.store.Units(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	sd, err := a.store.SimDirectory(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	groupsOf := map[int64][]store.SimGroup{}
	for _, g := range sd.Groups {
		groupsOf[g.UnitID] = append(groupsOf[g.UnitID], g)
		d.groups[g.ChatID] = g.Title
	}
	for _, p := range sd.People {
		id := &Identity{Account: p.Account, Name: p.Name, Title: p.Title, Kind: "person"}
		var roles []string
		for _, u := range units {
			var role, label string
			switch {
			case u.LiaisonID != nil && *u.LiaisonID == p.PersonID:
				role, label = RoleLiaison, "联络人"
			case u.LeaderID != nil && *u.LeaderID == p.PersonID:
				role, label = RoleLeader, "分管领导"
			case slices.Contains(u.MemberIDs, p.PersonID):
				role, label = RoleMember, "成员"
			default:
				continue
			}
			if u.IsOffice {
				role = RoleOffice
			}
			roles = append(roles, role)
			id.Roles = append(id.Roles, u.Name+" "+label)
			for _, g := range groupsOf[u.ID] {
				id.Chats = append(id.Chats, Chat{ID: g.ChatID, Title: g.Title, Kind: "group"})
			}
		}
		if p.Supervisor {
			id.Roles = append(id.Roles, "社会义务监督员")
		}
		if ents := sd.LeaderOf[p.PersonID]; len(ents) > 0 {
			roles = append(roles, RoleLeader)
			id.Roles = append(id.Roles, "联系企业："+strings.Join(ents, "、"))
		}
		id.Role = RoleMember
		for _, r := range roleOrder {
			if slices.Contains(roles, r) {
				id.Role = r
				break
			}
		}
		id.Chats = append(id.Chats, Chat{ID: directChat(p.Account), Title: BotName, Kind: "direct"})
		d.add(id)
	}
	for _, ct := range sd.Contacts {
		d.add(&Identity{Account: ct.Account, Name: ct.Name, Title: ct.EnterpriseName, Kind: "contact", Role: RoleEnterprise,
			Roles: []string{ct.EnterpriseName + " 企业联系人"},
			Chats: []Chat{{ID: directChat(ct.Account), Title: BotName, Kind: "direct"}}})
	}
	slices.SortStableFunc(d.Identities, func(x, y *Identity) int {
		return slices.Index(roleOrder, x.Role) - slices.Index(roleOrder, y.Role)
	})
	return d, nil
}

func (d *Directory) add(id *Identity) {
	d.Identities = append(d.Identities, id)
	d.byAccount[id.Account] = id
}
