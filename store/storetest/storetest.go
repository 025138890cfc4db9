// Package storetest gives tests a real, migrated Postgres: a rolled-back
// transaction per test (TestTx) or a fresh schema when commits must be seen
// across connections (TestSchema).
//
// The database is TEST_DATABASE_URL, by default zhenggai_test on
// 127.0.0.1:5432 as user postgres; it is created when missing. Tests fail,
// never skip, when Postgres does not answer: the test command starts it.
package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"zhenggai/store"
)

// TestDatabaseURL returns the URL of the test database.
func TestDatabaseURL() string {
	return cmp.Or(os.Getenv("TEST_DATABASE_URL"), "postgres://postgres@127.0.0.1:5432/zhenggai_test?sslmode=disable")
}

var (
	dbOnce sync.Once
	dbErr  error
	shared struct {
		once   sync.Once
		pool   *pgxpool.Pool
		schema string
		err    error
	}
	schemaSeq atomic.Int64
	runStamp  = time.Now().UTC().Format("20060102t150405")
)

// ensureDatabase creates the test database when it does not exist and drops
// schemas older than an hour left by earlier runs.
func ensureDatabase(ctx context.Context) error {
	dbOnce.Do(func() {
		cfg, err := pgx.ParseConfig(TestDatabaseURL())
		if err != nil {
			dbErr = fmt.Errorf("storetest: parse TEST_DATABASE_URL: %w", err)
			return
		}
		name := cfg.Database
		admin := cfg.Copy()
		admin.Database = "postgres"
		conn, err := pgx.ConnectConfig(ctx, admin)
		if err != nil {
			dbErr = fmt.Errorf("storetest: Postgres does not answer at %s (run the test command from the README, which starts it): %w", TestDatabaseURL(), err)
			return
		}
		defer conn.Close(ctx)
		var exists bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
			dbErr = err
			return
		}
		if !exists {
			_, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
			var pgErr *pgconn.PgError
			if err != nil && !(errors.As(err, &pgErr) && (pgErr.Code == "42P04" || pgErr.Code == "23505")) {
				dbErr = fmt.Errorf("storetest: create database %s: %w", name, err)
				return
			}
		}
		c2, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			dbErr = err
			return
		}
		defer c2.Close(ctx)
		rows, err := c2.Query(ctx, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'zgt\\_%'")
		if err != nil {
			dbErr = err
			return
		}
		stale, _ := pgx.CollectRows(rows, pgx.RowTo[string])
		cutoff := time.Now().UTC().Add(-time.Hour)
		for _, s := range stale {
			parts := strings.Split(s, "_")
			if len(parts) < 3 {
				continue
			}
			t, err := time.Parse("20060102t150405", parts[1])
			if err == nil && t.Before(cutoff) {
				_, _ = c2.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{s}.Sanitize()+" CASCADE")
			}
		}
	})
	return dbErr
}

// newSchema creates and migrates a schema and returns a pool whose
// connections use it.
func newSchema(ctx context.Context, maxConns int) (*pgxpool.Pool, string, error) {
	if err := ensureDatabase(ctx); err != nil {
		return nil, "", err
	}
	schema := fmt.Sprintf("zgt_%s_%d_%d", runStamp, os.Getpid(), schemaSeq.Add(1))
	cfg, err := pgxpool.ParseConfig(TestDatabaseURL())
	if err != nil {
		return nil, "", err
	}
	cfg.MaxConns = int32(maxConns)
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, "", err
	}
	if _, err := pool.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		pool.Close()
		return nil, "", fmt.Errorf("storetest: create schema: %w", err)
	}
	if _, err := store.New(pool).Migrate(ctx); err != nil {
		pool.Close()
		return nil, "", fmt.Errorf("storetest: migrate %s: %w", schema, err)
	}
	return pool, schema, nil
}

// TestTx returns a transaction on the package's shared, migrated schema,
// rolled back when the test ends. Use it by default; it is cheap and leaves
// nothing behind.
func TestTx(ctx context.Context, tb testing.TB) pgx.Tx {
	tb.Helper()
	shared.once.Do(func() {
		shared.pool, shared.schema, shared.err = newSchema(context.Background(), 8)
	})
	if shared.err != nil {
		tb.Fatal(shared.err)
	}
	tx, err := shared.pool.Begin(ctx)
	if err != nil {
		tb.Fatalf("storetest: begin: %v", err)
	}
	tb.Cleanup(func() {
		err := tx.Rollback(context.WithoutCancel(ctx))
		if err != nil && !errors.Is(err, pgx.ErrTxClosed) {
			tb.Errorf("storetest: rollback: %v", err)
		}
	})
	return tx
}

// TestStore returns a Store on TestTx.
func TestStore(ctx context.Context, tb testing.TB) *store.Store {
	tb.Helper()
	return store.New(TestTx(ctx, tb))
}

// TestSchema returns a pool on a fresh, migrated schema of its own, dropped
// when the test ends. Use it when commits must be seen across connections
// (dedupe races, workers, several replicas).
func TestSchema(ctx context.Context, tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	pool, schema, err := newSchema(ctx, 10)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		pool.Close()
		if os.Getenv("STORETEST_KEEP_SCHEMAS") != "" {
			return
		}
		conn, err := pgx.Connect(context.Background(), TestDatabaseURL())
		if err == nil {
			_, _ = conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
			conn.Close(context.Background())
		}
	})
	return pool
}

// SchemaURL returns TestDatabaseURL with search_path set to the schema of
// pool, for starting a child process (a second replica) on the same schema.
func SchemaURL(pool *pgxpool.Pool) string {
	u := TestDatabaseURL()
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + "search_path=" + pool.Config().ConnConfig.RuntimeParams["search_path"]
}
