package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"zhenggai/store"
)

// ApplyResult counts what a campaign apply changed.
type ApplyResult struct {
	Created, Updated, Unchanged int
}

func (r ApplyResult) String() string {
	return fmt.Sprintf("%d created, %d updated, %d unchanged", r.Created, r.Updated, r.Unchanged)
}

// SimAccount is the simulator's account id of a person.
func SimAccount(personKey string) string { return "p:" + personKey }

// SimContactAccount is the simulator's account id of an enterprise contact.
func SimContactAccount(enterpriseKey, contactName string) string {
	return "c:" + enterpriseKey + ":" + contactName
}

// SimGroupChat is the simulator's chat id of a unit's group.
func SimGroupChat(unitKey string) string { return "g:" + unitKey }

// ApplyCampaign creates or updates everything in f, by key, in one
// transaction, with an audit row for every created or changed entity.
// Applying the same file twice changes nothing the second time. Every person
// and contact also gets a simulator account, and every unit a simulator
// group, so the simulator can play anyone.
func ApplyCampaign(ctx context.Context, st *store.Store, f *CampaignFile, actor store.Actor) (ApplyResult, error) {
	var res ApplyResult
	err := st.InTx(ctx, func(tx *store.Store) error {
		a := &applier{ctx: ctx, tx: tx, actor: actor, res: &res}
		return a.apply(f)
	})
	return res, err
}

type applier struct {
	ctx   context.Context
	tx    *store.Store
	actor store.Actor
	res   *ApplyResult
}

// record compares an entity's state before and after and writes an audit
// row when it changed.
func (a *applier) record(entity, id string, old, new any) error {
	ob, _ := json.Marshal(old)
	nb, _ := json.Marshal(new)
	switch {
	case old == nil || string(ob) == "null":
		a.res.Created++
		return a.tx.AppendAudit(a.ctx, store.AuditParams{Actor: a.actor, Entity: entity, EntityID: id, Action: "create", New: new})
	case string(ob) != string(nb):
		a.res.Updated++
		return a.tx.AppendAudit(a.ctx, store.AuditParams{Actor: a.actor, Entity: entity, EntityID: id, Action: "update", Old: old, New: new})
	}
	a.res.Unchanged++
	return nil
}

func (a *applier) apply(f *CampaignFile) error {
	ctx, tx := a.ctx, a.tx
	c := f.Campaign
	old, err := tx.CampaignByKey(ctx, c.Key)
	if err != nil && !isNotFound(err) {
		return err
	}
	camp := &store.Campaign{
		Key: c.Key, Name: c.Name, Timezone: c.Timezone, OfficeUnitKey: c.OfficeUnit.Key,
		Settings: store.CampaignSettings{
			MonthlyReport: store.MonthlyReportSettings{
				DueDay: c.MonthlyReport.DueDay, From: c.MonthlyReport.From.Format("2006-01-02"),
				Until: c.MonthlyReport.Until.Format("2006-01-02"), RemindDaysBefore: c.MonthlyReport.RemindDaysBefore,
				RemindAt: c.MonthlyReport.RemindAt.Value,
			},
			Digest:             store.DigestSettings{At: c.Digest.At.Value, WorkdaysOnly: c.Digest.WorkdaysOnly, Quiet: c.Digest.Quiet},
			RequestAnswerHours: c.RequestAnswerHours,
			Holidays:           dateStrings(c.Holidays),
			Workdays:           dateStrings(c.Workdays),
			Supervision: store.SupervisionSettings{SoonWorkdays: c.Supervision.Light.SoonWorkdays,
				StallWorkdays: c.Supervision.Light.StallWorkdays, Score: c.Supervision.Score.settings()},
			RequestAutocloseDays: c.RequestAutocloseDays,
		},
	}
	if err := tx.UpsertCampaign(ctx, camp); err != nil {
		return err
	}
	var oldView any
	if old != nil {
		oldView = campaignView(old, nil)
	}
	var phases []store.Phase
	for _, p := range c.Phases {
		ph := store.Phase{Name: p.Name, StartsOn: p.From.Time}
		if !p.Until.IsZero() {
			u := p.Until.Time
			ph.EndsOn = &u
		}
		phases = append(phases, ph)
	}
	var oldPhases []store.Phase
	if old != nil {
		if oldPhases, err = tx.Phases(ctx, camp.ID); err != nil {
			return err
		}
		oldView = campaignView(old, oldPhases)
	}
	if err := tx.ReplacePhases(ctx, camp.ID, phases); err != nil {
		return err
	}
	if err := a.record("campaign", camp.Key, oldView, campaignView(camp, phases)); err != nil {
		return err
	}

	people := map[string]int64{}
	var supervisors []int64
	for _, p := range f.People {
		prev, err := tx.PersonByKey(ctx, p.Key)
		if err != nil && !isNotFound(err) {
			return err
		}
		var prevView any
		if prev != nil {
			accs, err := tx.AccountsOfPeople(ctx, []int64{prev.ID})
			if err != nil {
				return err
			}
			was, err := tx.IsSupervisor(ctx, camp.ID, prev.ID)
			if err != nil {
				return err
			}
			prevView = personView(prev, accs[prev.ID], was)
		}
		pp := &store.Person{Key: p.Key, Name: p.Name, Title: p.Title, Phone: p.Phone}
		if err := tx.UpsertPerson(ctx, pp); err != nil {
			return err
		}
		people[p.Key] = pp.ID
		if p.Supervisor {
			supervisors = append(supervisors, pp.ID)
		}
		accs := map[string]string{"sim": SimAccount(p.Key)}
		for plat, id := range p.Accounts {
			accs[plat] = id
		}
		for plat, id := range accs {
			if err := tx.UpsertAccount(ctx, &store.Account{Platform: plat, ExternalID: id, PersonID: &pp.ID}); err != nil {
				return fmt.Errorf("person %s: %w", p.Key, err)
			}
		}
		now, err := tx.AccountsOfPeople(ctx, []int64{pp.ID})
		if err != nil {
			return err
		}
		if err := a.record("person", p.Key, prevView, personView(pp, now[pp.ID], p.Supervisor)); err != nil {
			return err
		}
	}
	if supervisors == nil {
		supervisors = []int64{}
	}
	if err := tx.ReplaceSupervisors(ctx, camp.ID, supervisors); err != nil {
		return err
	}
	ref := func(r Ref) *int64 {
		if r.Key == "" {
			return nil
		}
		id := people[r.Key]
		return &id
	}

	for i, u := range f.Units {
		prev, err := tx.UnitByKey(ctx, camp.ID, u.Key)
		if err != nil && !isNotFound(err) {
			return err
		}
		var prevView any
		if prev != nil {
			prevView = unitView(prev)
		}
		unit := &store.Unit{
			CampaignID: camp.ID, Key: u.Key, Name: u.Name, Code: u.Code, Position: i,
			LeaderID: ref(u.Leader), LiaisonID: ref(u.Liaison), IsOffice: u.Key == c.OfficeUnit.Key,
			Groups: append([]string{}, u.Groups...), MemberIDs: []int64{},
		}
		for _, m := range u.Members {
			unit.MemberIDs = append(unit.MemberIDs, people[m.Key])
		}
		if err := tx.UpsertUnit(ctx, unit); err != nil {
			return fmt.Errorf("unit %s: %w", u.Key, err)
		}
		chats := map[string]string{"sim": SimGroupChat(u.Key)}
		for plat, id := range u.Chats {
			chats[plat] = id
		}
		for plat, id := range chats {
			ch := &store.Chat{Platform: plat, ExternalID: id, Kind: "group", UnitID: &unit.ID, Title: u.Name, Active: true}
			if err := tx.UpsertChat(ctx, ch); err != nil {
				return err
			}
		}
		now, err := tx.UnitByID(ctx, unit.ID)
		if err != nil {
			return err
		}
		if err := a.record("unit", u.Key, prevView, unitView(now)); err != nil {
			return err
		}
	}

	for _, m := range c.Milestones {
		ms := &store.Milestone{CampaignID: camp.ID, Key: m.Key, Title: m.Title, DueOn: m.Due.Time, UnitGroups: []string{}, RemindDaysBefore: []int32{}}
		for _, r := range m.Units {
			ms.UnitGroups = append(ms.UnitGroups, r.Key)
		}
		for _, d := range m.RemindDaysBefore {
			ms.RemindDaysBefore = append(ms.RemindDaysBefore, int32(d))
		}
		if m.Package != nil {
			ms.Parts, ms.MinCases = append([]string{}, m.Package.Parts...), m.Package.MinCases
		}
		olds, err := tx.Milestones(ctx, camp.ID)
		if err != nil {
			return err
		}
		var prevView any
		for _, o := range olds {
			if o.Key == m.Key {
				prevView = milestoneView(o)
			}
		}
		if err := tx.UpsertMilestone(ctx, ms); err != nil {
			return err
		}
		if err := a.record("milestone", m.Key, prevView, milestoneView(ms)); err != nil {
			return err
		}
	}

	for _, e := range f.Enterprises {
		prev, err := tx.EnterpriseByKey(ctx, camp.ID, e.Key)
		if err != nil && !isNotFound(err) {
			return err
		}
		var prevView any
		if prev != nil {
			cts, err := tx.Contacts(ctx, prev.ID)
			if err != nil {
				return err
			}
			prevView, err = a.enterpriseView(prev, cts)
			if err != nil {
				return err
			}
		}
		ent := &store.Enterprise{CampaignID: camp.ID, Key: e.Key, Name: e.Name, LeaderID: ref(e.Leader)}
		leaderChanged, err := tx.UpsertEnterprise(ctx, ent)
		if err != nil {
			return err
		}
		for _, ct := range e.Contacts {
			contact := &store.Contact{EnterpriseID: ent.ID, Name: ct.Name, Phone: ct.Phone}
			if err := tx.UpsertContact(ctx, contact); err != nil {
				return err
			}
			accs := map[string]string{"sim": SimContactAccount(e.Key, ct.Name)}
			for plat, id := range ct.Accounts {
				accs[plat] = id
			}
			for plat, id := range accs {
				if err := tx.UpsertAccount(ctx, &store.Account{Platform: plat, ExternalID: id, ContactID: &contact.ID}); err != nil {
					return fmt.Errorf("enterprise %s contact %s: %w", e.Key, ct.Name, err)
				}
			}
		}
		cts, err := tx.Contacts(ctx, ent.ID)
		if err != nil {
			return err
		}
		view, err := a.enterpriseView(ent, cts)
		if err != nil {
			return err
		}
		if err := a.record("enterprise", e.Key, prevView, view); err != nil {
			return err
		}
		if err := a.onLeaderChanged(prev, ent, leaderChanged); err != nil {
			return err
		}
	}
	return nil
}

func isNotFound(err error) bool { return err != nil && errors.Is(err, store.ErrNotFound) }

// The views below are what the audit log keeps of each entity: its
// meaningful fields, without ids and timestamps, so that re-applying an
// unchanged file compares equal.

func campaignView(c *store.Campaign, phases []store.Phase) map[string]any {
	var ps []map[string]any
	for _, p := range phases {
		ends := ""
		if p.EndsOn != nil {
			ends = p.EndsOn.Format("2006-01-02")
		}
		ps = append(ps, map[string]any{"name": p.Name, "from": p.StartsOn.Format("2006-01-02"), "until": ends})
	}
	return map[string]any{"key": c.Key, "name": c.Name, "timezone": c.Timezone, "office_unit": c.OfficeUnitKey,
		"settings": c.Settings, "phases": ps}
}

func personView(p *store.Person, accs []store.Account, supervisor bool) map[string]any {
	m := map[string]string{}
	for _, a := range accs {
		m[a.Platform] = a.ExternalID
	}
	v := map[string]any{"key": p.Key, "name": p.Name, "title": p.Title, "phone": p.Phone, "accounts": m}
	if supervisor {
		v["supervisor"] = true
	}
	return v
}

func unitView(u *store.Unit) map[string]any {
	return map[string]any{"key": u.Key, "name": u.Name, "code": u.Code, "position": u.Position,
		"leader_id": u.LeaderID, "liaison_id": u.LiaisonID, "office": u.IsOffice, "groups": u.Groups, "members": u.MemberIDs}
}

func milestoneView(m *store.Milestone) map[string]any {
	v := map[string]any{"key": m.Key, "title": m.Title, "due": m.DueOn.Format("2006-01-02"),
		"units": m.UnitGroups, "remind_days_before": m.RemindDaysBefore}
	if m.IsPackage() {
		v["package"] = map[string]any{"parts": m.Parts, "min_cases": m.MinCases}
	}
	return v
}

func (a *applier) enterpriseView(e *store.Enterprise, cts []*store.Contact) (map[string]any, error) {
	var contacts []map[string]any
	for _, c := range cts {
		accs, err := a.tx.AccountsOfContact(a.ctx, c.ID)
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		for _, acc := range accs {
			m[acc.Platform] = acc.ExternalID
		}
		contacts = append(contacts, map[string]any{"name": c.Name, "phone": c.Phone, "accounts": m})
	}
	return map[string]any{"key": e.Key, "name": e.Name, "leader_id": e.LeaderID, "contacts": contacts}, nil
}
