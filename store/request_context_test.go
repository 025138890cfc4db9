package store_test

import (
	"context"
	"slices"
	"testing"

	"zhenggai/store"
	"zhenggai/store/storetest"
)

func TestLoadRequestContext(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	c := &store.Campaign{Key: "c", Name: "专项整治", Timezone: "Asia/Shanghai", OfficeUnitKey: "office"}
	if err := st.UpsertCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	var leader, liaison, unitID int64
	for _, q := range []struct {
		sql  string
		args []any
		dest *int64
	}{
		{`INSERT INTO people (key, name) VALUES ('leader', '领导') RETURNING id`, nil, &leader},
		{`INSERT INTO people (key, name) VALUES ('liaison', '联络人') RETURNING id`, nil, &liaison},
	} {
		if err := st.DB().QueryRow(ctx, q.sql, q.args...).Scan(q.dest); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.DB().QueryRow(ctx, `INSERT INTO units (campaign_id, key, name, code, leader_id, liaison_id)
		VALUES ($1, 'u', '单位', 'U', $2, $3) RETURNING id`, c.ID, leader, liaison).Scan(&unitID); err != nil {
		t.Fatal(err)
	}
	mustExec := func(sql string, args ...any) {
		t.Helper()
		if _, err := st.DB().Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	mustExec(`INSERT INTO units (campaign_id, key, name, code, leader_id, is_office) VALUES ($1, 'office', '办公室', 'O', $2, true)`, c.ID, leader)
	mustExec(`INSERT INTO accounts (platform, external_id, person_id) VALUES ('feishu', 'ou_leader', $1), ('feishu', 'ou_liaison', $2)`, leader, liaison)
	mustExec(`INSERT INTO enterprises (campaign_id, key, name, leader_id) VALUES ($1, 'e', '企业', $2)`, c.ID, leader)
	mustExec(`INSERT INTO contacts (enterprise_id, name) SELECT id, '张伟' FROM enterprises WHERE key = 'e'`)
	mustExec(`INSERT INTO accounts (platform, external_id, contact_id) SELECT 'feishu', 'ou_contact', id FROM contacts`)
	mustExec(`INSERT INTO chats (platform, external_id, kind, unit_id, title) VALUES ('feishu', 'oc_group', 'group', $1, '单位群')`, unitID)

	t.Run("leader in a known chat", func(t *testing.T) {
		rc, err := st.LoadRequestContext(ctx, "feishu", "ou_leader", "oc_group")
		if err != nil {
			t.Fatal(err)
		}
		if rc.Campaign == nil || rc.Campaign.ID != c.ID || rc.Person == nil || rc.Person.ID != leader || rc.Contact != nil {
			t.Fatalf("got %+v", rc)
		}
		if !rc.Roles.Office || len(rc.Roles.Leads) != 2 || len(rc.Roles.Liaises) != 0 {
			t.Fatalf("roles %+v: want office and two units led", rc.Roles)
		}
		if rc.Chat == nil || rc.Chat.UnitID == nil || *rc.Chat.UnitID != unitID {
			t.Fatalf("chat %+v", rc.Chat)
		}
	})
	t.Run("liaison, unknown chat", func(t *testing.T) {
		rc, err := st.LoadRequestContext(ctx, "feishu", "ou_liaison", "oc_unknown")
		if err != nil {
			t.Fatal(err)
		}
		if rc.Person == nil || rc.Person.ID != liaison || rc.Roles.Office || !slices.Equal(rc.Roles.Liaises, []int64{unitID}) || rc.Chat != nil {
			t.Fatalf("got %+v, roles %+v", rc, rc.Roles)
		}
	})
	t.Run("enterprise contact", func(t *testing.T) {
		rc, err := st.LoadRequestContext(ctx, "feishu", "ou_contact", "")
		if err != nil {
			t.Fatal(err)
		}
		if rc.Contact == nil || rc.Contact.Name != "张伟" || rc.Person != nil || rc.Roles.Office || len(rc.Roles.Leads) != 0 {
			t.Fatalf("got %+v", rc)
		}
	})
	t.Run("stranger on another platform", func(t *testing.T) {
		rc, err := st.LoadRequestContext(ctx, "wecom", "ou_leader", "oc_group")
		if err != nil {
			t.Fatal(err)
		}
		if rc.Campaign == nil || rc.Person != nil || rc.Contact != nil || rc.Chat != nil || rc.Roles.Leads != nil {
			t.Fatalf("got %+v", rc)
		}
	})
}
