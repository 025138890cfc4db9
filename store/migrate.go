package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

//go:embed migrations/*.up.sql
var migrationFS embed.FS

// Migration is one numbered SQL file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the embedded migrations in order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("store: read migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".up.sql")
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("store: migration %q is not named NNN_name.up.sql", e.Name())
		}
		b, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("store: read migration %s: %w", e.Name(), err)
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("store: two migrations numbered %d", out[i].Version)
		}
	}
	return out, nil
}

// migrateLockKey is the advisory lock that serialises concurrent migrators
// (two replicas starting at once).
const migrateLockKey = 0x7a68656e67676169 // "zhenggai"

// Migrate applies every migration not yet applied, each in its own
// transaction together with its row in schema_migrations. Two processes may
// call it at once: an advisory lock makes the second wait and then find
// nothing to do. It returns the versions it applied.
func (s *Store) Migrate(ctx context.Context) ([]int, error) {
	migs, err := Migrations()
	if err != nil {
		return nil, err
	}
	var applied []int
	err = s.InTx(ctx, func(tx *Store) error {
		if _, err := tx.db.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrateLockKey)); err != nil {
			return wrap("lock migrations", err)
		}
		// Only when missing: CREATE … IF NOT EXISTS needs the right to
		// create, which the runtime role (roles.go) lacks.
		var exists bool
		if err := tx.db.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
			return wrap("find schema_migrations", err)
		}
		if !exists {
			if _, err := tx.db.Exec(ctx, `CREATE TABLE schema_migrations (
				version    int PRIMARY KEY,
				name       text NOT NULL,
				applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
				return wrap("create schema_migrations", ownerHint(err))
			}
		}
		done := map[int]bool{}
		rows, err := tx.db.Query(ctx, "SELECT version FROM schema_migrations")
		if err != nil {
			return wrap("read schema_migrations", err)
		}
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return wrap("read schema_migrations", err)
			}
			done[v] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return wrap("read schema_migrations", err)
		}
		for _, m := range migs {
			if done[m.Version] {
				continue
			}
			err := tx.InTx(ctx, func(mtx *Store) error {
				if _, err := mtx.db.Exec(ctx, m.SQL); err != nil {
					return wrap("apply migration "+m.Name, ownerHint(err))
				}
				_, err := mtx.db.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name)
				return wrap("record migration "+m.Name, err)
			})
			if err != nil {
				return err
			}
			applied = append(applied, m.Version)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return applied, nil
}

// ErrNotOwner is returned when a migration is refused for want of rights:
// the runtime role cannot migrate.
var ErrNotOwner = errors.New("store: this role may not change the schema; run zhenggai migrate with MIGRATE_DATABASE_URL (the owner role)")

// ownerHint marks a permission error (42501 insufficient_privilege) as
// ErrNotOwner.
func ownerHint(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42501" {
		return fmt.Errorf("%w: %s", ErrNotOwner, pgErr.Message)
	}
	return err
}

// SchemaVersion returns the newest applied migration, 0 for none.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, wrap("schema version", err)
	}
	return v, nil
}
