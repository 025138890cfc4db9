package handlers_test

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"zhenggai/handlers"
	"zhenggai/store"
	"zhenggai/store/storetest"
)

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// counts returns the number of rows of the tables a campaign apply writes.
func counts(ctx context.Context, t *testing.T, st *store.Store) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"campaigns", "phases", "people", "units", "unit_groups", "milestones",
		"enterprises", "contacts", "accounts", "chats", "pairings", "audit_log"} {
		var n int
		if err := st.DB().QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

func TestApplyCampaign(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	for _, file := range []string{"demo.yaml", "sanmenxia-2023.yaml"} {
		t.Run("AppliesAndIsIdempotent/"+file, func(t *testing.T) {
			t.Parallel()
			st := storetest.TestStore(ctx, t)
			f, err := handlers.ParseCampaignFile(file, readFile(t, "../deploy/campaigns/"+file))
			if err != nil {
				t.Fatal(err)
			}
			res, err := handlers.ApplyCampaign(ctx, st, f, store.System)
			if err != nil {
				t.Fatal(err)
			}
			if res.Created == 0 || res.Updated != 0 {
				t.Fatalf("first apply: %s", res)
			}
			before := counts(ctx, t, st)
			res, err = handlers.ApplyCampaign(ctx, st, f, store.System)
			if err != nil {
				t.Fatal(err)
			}
			if res.Created != 0 || res.Updated != 0 {
				t.Fatalf("second apply changed something: %s", res)
			}
			if after := counts(ctx, t, st); !equal(before, after) {
				t.Fatalf("second apply changed rows: %v instead of %v", after, before)
			}
			if n, err := st.VerifyAudit(ctx); err != nil || n == 0 {
				t.Fatalf("audit: %d rows, %v", n, err)
			}
			c, err := st.CampaignByKey(ctx, f.Campaign.Key)
			if err != nil {
				t.Fatal(err)
			}
			office, err := st.UnitByKey(ctx, c.ID, "city-office")
			if err != nil || !office.IsOffice {
				t.Fatalf("office unit: %+v, %v", office, err)
			}
			counties, err := st.UnitsInGroups(ctx, c.ID, []string{"counties"})
			if err != nil || len(counties) < 3 {
				t.Fatalf("counties: %d, %v", len(counties), err)
			}
		})
	}

	t.Run("UpdateIsAudited", func(t *testing.T) {
		t.Parallel()
		st := storetest.TestStore(ctx, t)
		data := readFile(t, "../deploy/campaigns/demo.yaml")
		f, _ := handlers.ParseCampaignFile("demo.yaml", data)
		if _, err := handlers.ApplyCampaign(ctx, st, f, store.System); err != nil {
			t.Fatal(err)
		}
		changed := strings.Replace(string(data), "name: 刘宝山", "name: 刘宝山（调整）", 1)
		changed = strings.Replace(changed, "leader: chen-hm", "leader: wang-jg", 1)
		f2, err := handlers.ParseCampaignFile("demo.yaml", []byte(changed))
		if err != nil {
			t.Fatal(err)
		}
		res, err := handlers.ApplyCampaign(ctx, st, f2, store.System)
		if err != nil {
			t.Fatal(err)
		}
		if res.Updated != 2 || res.Created != 0 {
			t.Fatalf("got %s instead of 2 updated", res)
		}
		entries, err := st.AuditEntries(ctx, "person", "liu-lb")
		if err != nil || len(entries) != 2 || entries[1].Action != "update" {
			t.Fatalf("audit of liu-lb: %+v, %v", entries, err)
		}
		var pairings int
		_ = st.DB().QueryRow(ctx, `SELECT count(*) FROM pairings p JOIN enterprises e ON e.id = p.enterprise_id WHERE e.key = 'ym-wuliu'`).Scan(&pairings)
		if pairings != 2 {
			t.Fatalf("pairings of ym-wuliu: %d instead of 2 (old ended, new started)", pairings)
		}
	})
}

func TestBadCampaignFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	good := string(readFile(t, "../deploy/campaigns/demo.yaml"))
	cases := []struct {
		name    string
		edit    func(string) string
		wantMsg string
	}{
		{"UnknownKey", func(s string) string {
			return strings.Replace(s, "  timezone: Asia/Shanghai", "  timezone: Asia/Shanghai\n  colour: red", 1)
		}, `unknown key "colour"`},
		{"UnknownKeyInUnit", func(s string) string {
			return strings.Replace(s, "code: LB,", "code: LB, boss: x,", 1)
		}, `unknown key "boss"`},
		{"BadDate", func(s string) string { return strings.Replace(s, "due: 2026-09-30", "due: 2026-09-31", 1) }, `"2026-09-31" is not a date`},
		{"UnknownPerson", func(s string) string {
			return strings.Replace(s, "leader: liu-lb", "leader: nobody", 1)
		}, `leader "nobody" is not in people`},
		{"UnknownGroup", func(s string) string {
			return strings.Replace(s, "units: [counties], remind_days_before: [7, 3, 1]}", "units: [villages], remind_days_before: [7, 3, 1]}", 1)
		}, `"villages" is neither a unit group nor a unit`},
		{"DuplicateAccount", func(s string) string {
			return strings.Replace(s, `phone: "13800000004"}`, `phone: "13800000004", accounts: {feishu: ou_1}}`, 1) + ""
		}, ""},
		{"BadTime", func(s string) string { return strings.Replace(s, `remind_at: "09:00"`, `remind_at: "9am"`, 1) }, `"9am" is not a time of day`},
		{"NotYAML", func(string) string { return "campaign: [" }, "bad campaign file"},
		{"ScoreBase", func(s string) string { return strings.Replace(s, "base: 100", "base: 0", 1) },
			"supervision.score.base（基础分）应为 1 到 1000 之间的整数，而不是 0"},
		{"ScoreNegative", func(s string) string { return strings.Replace(s, "item_overdue: 2 ", "item_overdue: -2 ", 1) },
			"supervision.score.item_overdue（逾期问题每条扣分）应为 0 到基础分 100 之间的整数，而不是 -2；写 0 表示不计此项"},
		{"ScoreOverBase", func(s string) string { return strings.Replace(s, "report_missing: 10", "report_missing: 150", 1) },
			"supervision.score.report_missing（月报未报送扣分）应为 0 到基础分 100 之间的整数，而不是 150"},
		{"ScoreNotNumber", func(s string) string { return strings.Replace(s, "request_late: 1", "request_late: 一分", 1) },
			`"一分" 不是整数分值`},
		{"ScoreUnknownKey", func(s string) string { return strings.Replace(s, "base: 100", "base: 100\n      bonus: 5", 1) },
			`unknown key "bonus"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := storetest.TestStore(ctx, t)
			f, err := handlers.ParseCampaignFile("demo.yaml", readFile(t, "../deploy/campaigns/demo.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := handlers.ApplyCampaign(ctx, st, f, store.System); err != nil {
				t.Fatal(err)
			}
			before := counts(ctx, t, st)
			text := tc.edit(good)
			if tc.name == "DuplicateAccount" {
				text = strings.Replace(text, `phone: "13800000005"}`, `phone: "13800000005", accounts: {feishu: ou_1}}`, 1)
				tc.wantMsg = `feishu account "ou_1" is also`
			}
			_, err = handlers.ParseCampaignFile("demo.yaml", []byte(text))
			if err == nil {
				t.Fatal("bad file accepted")
			}
			if !errors.Is(err, handlers.ErrBadCampaignFile) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("got %q, want it to mention %q", err, tc.wantMsg)
			}
			if tc.name != "NotYAML" && !strings.Contains(err.Error(), "demo.yaml:") && !strings.Contains(err.Error(), "line ") {
				t.Fatalf("error names no line: %q", err)
			}
			if after := counts(ctx, t, st); !equal(before, after) {
				t.Fatalf("bad file changed rows")
			}
		})
	}
}

func TestBadCampaignLineNumbers(t *testing.T) {
	t.Parallel()
	text := strings.Replace(string(readFile(t, "../deploy/campaigns/demo.yaml")), "leader: liu-lb", "leader: nobody", 1)
	_, err := handlers.ParseCampaignFile("demo.yaml", []byte(text))
	line := 0
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, "leader: nobody") {
			line = i + 1
		}
	}
	if err == nil || !strings.Contains(err.Error(), "demo.yaml:"+itoa(line)+":") {
		t.Fatalf("got %v, want the error at line %d", err, line)
	}
}

func equal(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestScoreDefaults: a campaign file without supervision.score takes the
// default weights; one giving some weights keeps the others' defaults.
func TestScoreDefaults(t *testing.T) {
	t.Parallel()
	text := string(readFile(t, "../deploy/campaigns/demo.yaml"))
	start := strings.Index(text, "    # 考评:")
	end := strings.Index(text, "  phases:")
	without := text[:start] + text[end:]
	f, err := handlers.ParseCampaignFile("demo.yaml", []byte(without))
	if err != nil {
		t.Fatal(err)
	}
	if s := f.Campaign.Supervision.Score; s.Base.Value != 100 || s.ReportMissing.Value != 10 || s.ItemOverdue.Value != 2 || s.RequestLate.Value != 1 {
		t.Errorf("defaults: %+v", s)
	}
	some := text[:start] + "    score: {item_overdue: 4, report_late_day: 0}\n" + text[end:]
	if f, err = handlers.ParseCampaignFile("demo.yaml", []byte(some)); err != nil {
		t.Fatal(err)
	}
	if s := f.Campaign.Supervision.Score; s.ItemOverdue.Value != 4 || s.ReportLateDay.Value != 0 || s.ReportLate.Value != 5 || s.Base.Value != 100 {
		t.Errorf("some weights: %+v", s)
	}
}
