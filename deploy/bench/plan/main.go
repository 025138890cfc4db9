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
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"zhenggai/bot"
	"zhenggai/deploy/loadkit"
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
	enterprises := flag.Int("enterprises", 2000, "enterprises")
	flag.Parse()
	if err := run(context.Background(), *db, *units, *items, *leaders, *enterprises); err != nil {
		fmt.Fprintln(os.Stderr, "plan:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, url string, nUnits, nItems, nLeaders, nEnterprises int) error {
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
	durability, err := loadkit.Durability(ctx, url)
	if err != nil {
		return err
	}
	fmt.Printf("Postgres: %s\n", durability)
	st := store.New(pool)
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	start := time.Now()
	if err := loadkit.Generate(ctx, st, loadkit.Size{Units: nUnits, Items: nItems, Leaders: nLeaders, Enterprises: nEnterprises}); err != nil {
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
