package handlers

import (
	"bytes"
	"errors"
	"strconv"
	"testing"
	"time"

	"zhenggai/bot"
	"zhenggai/store"
)

// dashViewer is the Viewer the dashboard builds for a simulator account:
// its person with his roles, or its enterprise contact, or nobody.
func (a *azFixture) dashViewer(t *testing.T, account string) Viewer {
	t.Helper()
	acc, err := a.f.st.AccountByExternal(a.ctx, string(bot.Sim), account)
	if errors.Is(err, store.ErrNotFound) {
		return Viewer{}
	}
	if err != nil {
		t.Fatal(err)
	}
	var v Viewer
	if acc.PersonID != nil {
		if v.Person, err = a.f.st.PersonByID(a.ctx, *acc.PersonID); err != nil {
			t.Fatal(err)
		}
		if v.Roles, err = a.f.st.RolesOf(a.ctx, a.f.camp.ID, *acc.PersonID); err != nil {
			t.Fatal(err)
		}
	}
	if acc.ContactID != nil {
		if v.Contact, err = a.f.st.ContactByID(a.ctx, *acc.ContactID); err != nil {
			t.Fatal(err)
		}
	}
	return v
}

// TestChatAndDashboardAgree asks, for every role and object, the chat
// (through the router, as the authorization matrix does) and the
// dashboard's page functions whether the asker may see it: they answer
// the same. The dashboard's HTTP layer then admits only people of the
// office or a unit (MayUseDashboard): a contact or a stranger gets no
// session at all, which TestDashboardBrowser and TestDashboardHTTP walk.
func TestChatAndDashboardAgree(t *testing.T) {
	a := newAzFixture(t)
	w := a.w
	// A member: 吴海涛 (卢氏's leader) is made a member of 灵宝 too.
	member := "p:wu-lsh"
	if _, err := a.tx.Exec(a.ctx, `INSERT INTO unit_members (unit_id, person_id)
		SELECT u.id, p.id FROM units u, people p WHERE u.key = 'lingbao' AND p.key = 'wu-lsh'`); err != nil {
		t.Fatal(err)
	}
	accounts := append(azAccounts[:], member)
	names := append(azRoleNames[:], "member")
	now := a.f.h.Clock.Now()
	camp := a.f.camp
	type object struct {
		name   string
		chat   azTry
		dash   func(v Viewer) error
		expect string // who may see it, in the order of accounts
	}
	objects := []object{
		{"unit 灵宝", azTry{action: "ledger.show", params: map[string]string{"unit": "lingbao", "page": "1"}},
			func(v Viewer) error {
				_, err := DashboardLedger(a.ctx, a.f.st, camp, v, "lingbao", store.DashLedgerQuery{}, 1, now)
				return err
			}, "YNYNYNNY"},
		{"unit 义马", azTry{action: "ledger.show", params: map[string]string{"unit": "yima", "page": "1"}},
			func(v Viewer) error {
				_, err := DashboardLedger(a.ctx, a.f.st, camp, v, "yima", store.DashLedgerQuery{}, 1, now)
				return err
			}, "NYNYYNNN"},
		{"item of 灵宝", azTry{action: "item.show", params: itemRef(w.item)},
			func(v Viewer) error { _, err := DashboardItem(a.ctx, a.f.st, camp, v, w.item.Number, now); return err }, "YNYNYNNY"},
		{"item of 义马", azTry{action: "item.show", params: itemRef(w.other)},
			func(v Viewer) error { _, err := DashboardItem(a.ctx, a.f.st, camp, v, w.other.Number, now); return err }, "NYNYYNNN"},
		{"request of 马丽", azTry{action: "ereq.show", params: params(w.open)},
			func(v Viewer) error {
				_, err := DashboardRequest(a.ctx, a.f.st, camp, v, store.System, w.open.Number, now)
				return err
			}, "NNYNYNNN"}, // its enterprise's contact reads it in his own chat (我的诉求), not on the request's card
		{"another enterprise's request", azTry{action: "ereq.show", params: params(w.foreign)},
			func(v Viewer) error {
				_, err := DashboardRequest(a.ctx, a.f.st, camp, v, store.System, w.foreign.Number, now)
				return err
			}, "NNNNYNNN"},
		{"file of an item", azTry{action: "evidence.open", params: map[string]string{"file": strconv.FormatInt(w.file, 10)}},
			func(v Viewer) error { _, err := DashboardFile(a.ctx, a.f.st, v, store.System, w.file); return err }, "YNYNYNNY"},
		{"file of a request", azTry{action: "evidence.open", params: map[string]string{"file": strconv.FormatInt(w.reqFile, 10)}},
			func(v Viewer) error { _, err := DashboardFile(a.ctx, a.f.st, v, store.System, w.reqFile); return err }, "NNYNYYNN"},
		{"ledger export of 灵宝", azTry{text: "导出台账 灵宝"},
			func(v Viewer) error {
				_, err := DashboardExportLedger(a.ctx, a.f.st, camp, v, "lingbao", &bytes.Buffer{}, now)
				return err
			}, "YNYNYNNY"},
	}
	for _, o := range objects {
		for i, acct := range accounts {
			t.Run(o.name+"/"+names[i], func(t *testing.T) {
				x := o.chat
				x.user = acct
				res := a.try(t, x)
				chat := res.answered(false) && !res.refused() && !res.askedToBind()
				if _, err := a.tx.Exec(a.ctx, "SAVEPOINT dash_cell"); err != nil {
					t.Fatal(err)
				}
				err := o.dash(a.dashViewer(t, acct))
				if _, rerr := a.tx.Exec(a.ctx, "ROLLBACK TO SAVEPOINT dash_cell"); rerr != nil {
					t.Fatal(rerr)
				}
				if err != nil && !errors.Is(err, ErrDashForbidden) {
					t.Fatalf("dashboard: %v", err)
				}
				dash := err == nil
				if chat != dash {
					t.Fatalf("chat says %v, dashboard says %v; the chat saw:\n%s", chat, dash, res.output)
				}
				if want := o.expect[i] == 'Y'; dash != want {
					t.Errorf("both say %v, want %v", dash, want)
				}
			})
		}
	}
}

// TestDashboardLightsMatchItemRule: the lights the overview counts in SQL
// (lightRule.cuts) are those lightRule.item gives each item, on every day
// of two months, for items due on every day around them, with progress at
// every age, waiting for 销号 or not.
func TestDashboardLightsMatchItemRule(t *testing.T) {
	a := newAzFixture(t)
	f := a.f
	loc := f.camp.Location()
	u := f.unit(t, "lushi")
	base := time.Date(2026, 9, 20, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 40; i++ {
		it := f.addItem(t, "lushi", "灯测试", base.AddDate(0, 0, i).Format(time.DateOnly))
		status := store.ItemInProgress
		switch i % 4 {
		case 1:
			status = store.ItemCloseRequested
		case 2:
			status = store.ItemLongTerm
		}
		// Progress days apart, at 23:30 in the campaign's zone: the civil
		// day is the zone's, not UTC's.
		at := time.Date(2026, 9, 1+i%30, 23, 30, 0, 0, loc)
		if _, err := a.tx.Exec(a.ctx, `UPDATE ledger_items SET status = $2, progress_at = $3, created_at = $4 WHERE id = $1`,
			it.ID, status, at, at.AddDate(0, 0, -3)); err != nil {
			t.Fatal(err)
		}
	}
	lr := lightRuleOf(f.camp)
	items, err := f.st.OpenItemsOfUnit(a.ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	for d := 0; d < 60; d++ {
		day := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d)
		var red, yellow int
		for _, it := range items {
			switch lr.item(it, day, loc).Light {
			case LightRed:
				red++
			case LightYellow:
				yellow++
			}
		}
		stats, err := f.st.DashUnitStats(a.ctx, f.camp.ID, []int64{u.ID}, lr.cuts(day, loc))
		if err != nil {
			t.Fatal(err)
		}
		s := stats[u.ID]
		if s == nil || s.Red != red || s.Yellow != yellow {
			t.Fatalf("%s: SQL counts %+v, the rule red %d yellow %d", day.Format(time.DateOnly), s, red, yellow)
		}
	}
}
