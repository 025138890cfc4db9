// Package loadkit is what the load benchmark (deploy/bench/load), the
// planner benchmark (deploy/bench/plan) and the crash and outage tests
// (deploy/chaos) share: a generated campaign of realistic size, the bot as
// a child process in Feishu webhook mode against a local fake Feishu, and
// a generator of signed, encrypted callbacks that records every answer.
package loadkit

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"zhenggai/store"
)

// Size is the size of a generated campaign.
type Size struct {
	Units       int // besides the office
	Items       int
	Leaders     int
	Enterprises int
}

// FullSize is the size issue 11 asks for: 1,000 units, 50,000 ledger
// items, 500 leaders, 2,000 enterprises.
var FullSize = Size{Units: 1000, Items: 50000, Leaders: 500, Enterprises: 2000}

// Open ids of the generated people on Feishu (and "p:" + key on the
// simulator): liaison i of unit-i, leader i, contact i of enterprise e-i.
func LiaisonOpenID(i int) string { return "ou_liaison_" + strconv.Itoa(i) }
func LeaderOpenID(i int) string  { return "ou_leader_" + strconv.Itoa(i) }
func ContactOpenID(i int) string { return "ou_contact_" + strconv.Itoa(i) }

// P2PChatID is the direct chat of an open id with the bot.
func P2PChatID(openID string) string { return "oc_p2p_" + strings.TrimPrefix(openID, "ou_") }

// Generate writes a campaign "bench" of size s into a migrated, empty
// database in a few set-based statements: units with a leader and a liaison
// each, items spread over the units (one in ten closed, one in twenty-five
// with a pending 销号 request), a month's reports from half the units,
// three milestones, enterprises paired round-robin with the leaders, each
// with one contact, half of them with an open request; every person and
// contact has a Feishu and a simulator account. Dates are in 2023 (the
// seed's calendar) so a bot serving today plans no reminders of its own.
func Generate(ctx context.Context, st *store.Store, s Size) error {
	c := &store.Campaign{Key: "bench", Name: "基准测试专项整治", Timezone: "Asia/Shanghai", OfficeUnitKey: "office",
		Settings: store.CampaignSettings{
			MonthlyReport:      store.MonthlyReportSettings{DueDay: 23, From: "2023-05-11", Until: "2023-10-31", RemindDaysBefore: []int{3, 1, 0}, RemindAt: "09:00"},
			Digest:             store.DigestSettings{At: "08:30", WorkdaysOnly: true},
			RequestAnswerHours: 24,
		}}
	if err := st.UpsertCampaign(ctx, c); err != nil {
		return fmt.Errorf("loadkit: %w", err)
	}
	stmts := []string{
		`INSERT INTO people (key, name) SELECT 'leader-' || g, '领导' || g FROM generate_series(1, $L) g`,
		`INSERT INTO people (key, name) SELECT 'liaison-' || g, '联络人' || g FROM generate_series(0, $U) g`,
		`INSERT INTO accounts (platform, external_id, person_id) SELECT 'sim', 'p:' || key, id FROM people`,
		`INSERT INTO accounts (platform, external_id, person_id) SELECT 'feishu', 'ou_' || replace(key, '-', '_'), id FROM people`,
		`INSERT INTO units (campaign_id, key, name, code, position, leader_id, liaison_id, is_office)
		 SELECT $1, CASE WHEN g = 0 THEN 'office' ELSE 'unit-' || g END, '单位' || g, 'U' || g, g,
		        (SELECT id FROM people WHERE key = 'leader-' || (1 + g % $L)),
		        (SELECT id FROM people WHERE key = 'liaison-' || g), g = 0
		 FROM generate_series(0, $U) g`,
		`INSERT INTO unit_groups (unit_id, group_key) SELECT id, 'counties' FROM units WHERE NOT is_office`,
		`INSERT INTO chats (platform, external_id, kind, unit_id, title) SELECT 'sim', 'g:' || key, 'group', id, name FROM units`,
		`INSERT INTO milestones (campaign_id, key, title, due_on, remind_days_before) VALUES
		 ($1, 'm1', '节点一', '2023-06-30', '{7,3,1}'), ($1, 'm2', '节点二', '2023-06-27', '{7,3,1}'),
		 ($1, 'm3', '节点三', '2023-08-31', '{7,3,1}')`,
		`INSERT INTO monthly_reports (campaign_id, unit_id, period, summary, on_time)
		 SELECT $1, id, '2023-06', '进展', true FROM units WHERE NOT is_office AND id % 2 = 0`,
		`INSERT INTO ledger_items (campaign_id, unit_id, number, source, category, description, due_on, status, responsible_person)
		 SELECT $1, (SELECT id FROM units WHERE key = 'unit-' || (1 + g % $U)), 'N-' || g, '自查', '执法不规范', '问题描述' || g,
		        date '2023-06-20' + (g % 121 - 60), CASE WHEN g % 10 = 0 THEN 'closed' ELSE 'in_progress' END,
		        CASE WHEN g % 3 = 0 THEN '联络人' || (g % $U) ELSE '' END
		 FROM generate_series(1, $I) g`,
		`INSERT INTO item_requests (item_id, kind, reason, requested_at)
		 SELECT id, 'close', '已整改', timestamptz '2023-06-19 10:00+08' FROM ledger_items WHERE id % 25 = 1`,
		`INSERT INTO enterprises (campaign_id, key, name, leader_id)
		 SELECT $1, 'e-' || g, '企业' || g, (SELECT id FROM people WHERE key = 'leader-' || (1 + g % $L)) FROM generate_series(1, $E) g`,
		`INSERT INTO pairings (enterprise_id, leader_id, started_at)
		 SELECT id, leader_id, timestamptz '2023-05-11 00:00+08' FROM enterprises`,
		`INSERT INTO contacts (enterprise_id, name) SELECT id, '联系人' FROM enterprises`,
		`INSERT INTO accounts (platform, external_id, contact_id)
		 SELECT p.platform, p.prefix || substr(e.key, 3), c.id
		 FROM contacts c JOIN enterprises e ON e.id = c.enterprise_id, (VALUES ('sim', 'c:'), ('feishu', 'ou_contact_')) p(platform, prefix)`,
		`INSERT INTO enterprise_requests (campaign_id, number, enterprise_id, contact_id, owner_id, opened_at)
		 SELECT $1, 'SQ-' || e.id, e.id, c.id, e.leader_id, timestamptz '2023-06-18 15:00+08'
		 FROM enterprises e JOIN contacts c ON c.enterprise_id = e.id WHERE e.id % 2 = 0`,
	}
	r := strings.NewReplacer("$L", strconv.Itoa(s.Leaders), "$U", strconv.Itoa(s.Units), "$I", strconv.Itoa(s.Items), "$E", strconv.Itoa(s.Enterprises))
	for _, q := range stmts {
		q = r.Replace(q)
		var args []any
		if strings.Contains(q, "$1") {
			args = append(args, c.ID)
		}
		if _, err := st.DB().Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("loadkit: generate: %.70s…: %w", strings.Join(strings.Fields(q), " "), err)
		}
	}
	if _, err := st.DB().Exec(ctx, `ANALYZE`); err != nil {
		return fmt.Errorf("loadkit: analyze: %w", err)
	}
	return nil
}
