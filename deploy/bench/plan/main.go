// Command plan measures the reminder and digest planner: it generates a
// campaign of 1,000 units, 50,000 ledger items and 500 leaders in a scratch
// schema, plans the day's digests and reminders as the scheduler would, and
// prints how long each took.
//
//	go run ./deploy/bench/plan [-db URL] [-units 1000] [-items 50000] [-leaders 500]
//
// The database defaults to TEST_DATABASE_URL or the local test database; the
// scratch schema is dropped at the end.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"zhenggai/bot"
	"zhenggai/handlers"
	"zhenggai/store"
)

// discard is a platform that accepts everything.
type discard struct{}

func (discard) Platform() bot.Platform { return bot.Sim }
func (discard) Send(context.Context, bot.Target, *bot.Message) (bot.MessageRef, error) {
	return bot.MessageRef{MessageID: "x"}, nil
}

func main() {
	db := flag.String("db", cmp.Or(os.Getenv("TEST_DATABASE_URL"), "postgres://postgres@127.0.0.1:5432/zhenggai_test?sslmode=disable"), "Postgres URL")
	units := flag.Int("units", 1000, "units")
	items := flag.Int("items", 50000, "ledger items")
	leaders := flag.Int("leaders", 500, "leaders")
	flag.Parse()
	if err := run(context.Background(), *db, *units, *items, *leaders); err != nil {
		fmt.Fprintln(os.Stderr, "plan:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, url string, nUnits, nItems, nLeaders int) error {
	schema := fmt.Sprintf("bench_plan_%d", time.Now().UnixNano())
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return err
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		return err
	}
	if os.Getenv("BENCH_KEEP_SCHEMA") == "" {
		defer pool.Exec(context.WithoutCancel(ctx), "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE") //nolint:errcheck
	} else {
		fmt.Println("schema", schema)
	}
	st := store.New(pool)
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	start := time.Now()
	if err := generate(ctx, st, nUnits, nItems, nLeaders); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	fmt.Printf("generated %d units, %d items, %d leaders in %v\n", nUnits, nItems, nLeaders, time.Since(start).Round(time.Millisecond))

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	loc, _ := time.LoadLocation("Asia/Shanghai")
	b, err := bot.New(bot.Config{Store: st, Router: bot.NewRouter(), Logger: log, Clock: bot.SystemClock{}})
	if err != nil {
		return err
	}
	b.AddAdapter(discard{})
	sched := bot.NewScheduler(bot.SchedulerConfig{Bot: b, Planner: handlers.NewPlanner(handlers.Deps{Logger: log}), Logger: log})
	for _, step := range []struct {
		what string
		at   time.Time
	}{
		{"digests (08:30)", time.Date(2023, 6, 20, 8, 45, 0, 0, loc)},
		{"reminders (09:00)", time.Date(2023, 6, 20, 9, 0, 0, 0, loc)},
	} {
		t0 := time.Now()
		res, err := sched.RunDue(ctx, step.at)
		if err != nil {
			return err
		}
		fmt.Printf("planned %-18s %6d deliveries in %v\n", step.what, len(res.DeliveryIDs), time.Since(t0).Round(time.Millisecond))
	}
	return nil
}

// generate writes the campaign in a few set-based statements.
func generate(ctx context.Context, st *store.Store, nUnits, nItems, nLeaders int) error {
	c := &store.Campaign{Key: "bench", Name: "基准测试专项整治", Timezone: "Asia/Shanghai", OfficeUnitKey: "office",
		Settings: store.CampaignSettings{
			MonthlyReport:      store.MonthlyReportSettings{DueDay: 23, From: "2023-05-11", Until: "2023-10-31", RemindDaysBefore: []int{3, 1, 0}, RemindAt: "09:00"},
			Digest:             store.DigestSettings{At: "08:30", WorkdaysOnly: true},
			RequestAnswerHours: 24,
		}}
	if err := st.UpsertCampaign(ctx, c); err != nil {
		return err
	}
	stmts := []string{
		`INSERT INTO people (key, name) SELECT 'leader-' || g, '领导' || g FROM generate_series(1, $2) g`,
		`INSERT INTO people (key, name) SELECT 'liaison-' || g, '联络人' || g FROM generate_series(0, $3) g`,
		`INSERT INTO accounts (platform, external_id, person_id) SELECT 'sim', 'p:' || key, id FROM people`,
		`INSERT INTO units (campaign_id, key, name, code, position, leader_id, liaison_id, is_office)
		 SELECT $1, CASE WHEN g = 0 THEN 'office' ELSE 'unit-' || g END, '单位' || g, 'U' || g, g,
		        (SELECT id FROM people WHERE key = 'leader-' || (1 + g % $2)),
		        (SELECT id FROM people WHERE key = 'liaison-' || g), g = 0
		 FROM generate_series(0, $3) g`,
		`INSERT INTO unit_groups (unit_id, group_key) SELECT id, 'counties' FROM units WHERE NOT is_office`,
		`INSERT INTO chats (platform, external_id, kind, unit_id, title) SELECT 'sim', 'g:' || key, 'group', id, name FROM units`,
		`INSERT INTO milestones (campaign_id, key, title, due_on, remind_days_before) VALUES
		 ($1, 'm1', '节点一', '2023-06-30', '{7,3,1}'), ($1, 'm2', '节点二', '2023-06-27', '{7,3,1}'),
		 ($1, 'm3', '节点三', '2023-08-31', '{7,3,1}')`,
		`INSERT INTO monthly_reports (campaign_id, unit_id, period, summary, on_time)
		 SELECT $1, id, '2023-06', '进展', true FROM units WHERE NOT is_office AND id % 2 = 0`,
		`INSERT INTO ledger_items (campaign_id, unit_id, number, source, category, description, due_on, status, responsible_person)
		 SELECT $1, (SELECT id FROM units WHERE key = 'unit-' || (1 + g % $3)), 'N-' || g, '自查', '执法不规范', '问题描述' || g,
		        date '2023-06-20' + (g % 121 - 60), CASE WHEN g % 10 = 0 THEN 'closed' ELSE 'in_progress' END,
		        CASE WHEN g % 3 = 0 THEN '联络人' || (g % $3) ELSE '' END
		 FROM generate_series(1, $4) g`,
		`INSERT INTO item_requests (item_id, kind, reason, requested_at)
		 SELECT id, 'close', '已整改', timestamptz '2023-06-19 10:00+08' FROM ledger_items WHERE id % 25 = 1`,
		`INSERT INTO enterprises (campaign_id, key, name, leader_id)
		 SELECT $1, 'e-' || g, '企业' || g, (SELECT id FROM people WHERE key = 'leader-' || (1 + g % $2)) FROM generate_series(1, $2) g`,
		`INSERT INTO contacts (enterprise_id, name) SELECT id, '联系人' FROM enterprises`,
		`INSERT INTO enterprise_requests (campaign_id, number, enterprise_id, contact_id, owner_id, opened_at)
		 SELECT $1, 'SQ-' || e.id, e.id, c.id, e.leader_id, timestamptz '2023-06-18 15:00+08'
		 FROM enterprises e JOIN contacts c ON c.enterprise_id = e.id WHERE e.id % 2 = 0`,
	}
	r := strings.NewReplacer("$2", strconv.Itoa(nLeaders), "$3", strconv.Itoa(nUnits), "$4", strconv.Itoa(nItems))
	for _, s := range stmts {
		s = r.Replace(s)
		var args []any
		if strings.Contains(s, "$1") {
			args = append(args, c.ID)
		}
		if _, err := st.DB().Exec(ctx, s, args...); err != nil {
			return fmt.Errorf("%.60s…: %w", s, err)
		}
	}
	_, err := st.DB().Exec(ctx, `ANALYZE`)
	return err
}
