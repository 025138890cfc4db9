// Package store keeps everything in Postgres through pgx v5: embedded
// migrations, one file per entity, the audit chain. It imports nothing of
// ours.
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNotFound is returned when a row asked for does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrConflict is returned when a write lost to a concurrent one (a unique
// key taken, a version changed since it was read).
var ErrConflict = errors.New("store: conflict")

// DBTX is what a pool and a transaction both offer.
type DBTX interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Begin(ctx context.Context) (pgx.Tx, error)
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// Store runs queries on a pool or inside a transaction.
type Store struct {
	db DBTX
	// audits holds the audit rows of a transaction begun by InTx until just
	// before it commits (see AppendAudit); nil outside one.
	audits *auditBuffer
}

// New returns a Store over db, a *pgxpool.Pool or a pgx.Tx.
func New(db DBTX) *Store { return &Store{db: db} }

// DB returns the connection the store runs on.
func (s *Store) DB() DBTX { return s.db }

// Tx returns the transaction the store runs in, or nil when it runs on a
// pool.
func (s *Store) Tx() pgx.Tx {
	tx, _ := s.db.(pgx.Tx)
	return tx
}

// InTx runs fn in a transaction: a new one on a pool, a savepoint inside a
// transaction. It commits when fn returns nil and rolls back otherwise. The
// audit rows fn appends are written as the transaction's last statements
// (a savepoint's are dropped with it when it rolls back).
func (s *Store) InTx(ctx context.Context, fn func(tx *Store) error) error {
	tx, err := s.db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // the error that got here is the one to report
		}
	}()
	inner := &Store{db: tx, audits: s.audits}
	if inner.audits == nil {
		inner.audits = &auditBuffer{}
	}
	mark := len(inner.audits.rows)
	if err := fn(inner); err != nil {
		inner.audits.rows = inner.audits.rows[:mark]
		return err
	}
	if _, nested := s.db.(pgx.Tx); nested {
		// A savepoint that succeeded is left in place: the enclosing
		// transaction's end releases it, which saves a round trip.
		done = true
		if s.audits == nil {
			// Over a transaction begun elsewhere: audit rows go now.
			return inner.audits.flush(ctx, tx)
		}
		return nil
	}
	// The outermost transaction: the chain's head is locked from here to
	// the commit, as briefly as can be.
	if err := inner.audits.flush(ctx, tx); err != nil {
		return err
	}
	done = true
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("store: commit: %w", interpretError(err))
	}
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.db.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// DefaultMaxConns is the pool's size unless DATABASE_URL sets
// pool_max_conns. A callback holds a connection for its whole transaction,
// much of it waiting on the commit's WAL flush or a row lock rather than on
// a CPU, so the pool is larger than pgx's default (the number of cores).
const DefaultMaxConns = 16

// Open connects a pool to url. Each connection prepares statements once and
// reuses them (pgx's default statement cache).
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: parse DATABASE_URL: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		// A database that does not answer (not one that refuses) must not
		// hold a callback past the platform's patience.
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	return pool, nil
}

// interpretError maps driver errors to this package's sentinels.
func interpretError(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505", "40001", "40P01": // unique_violation, serialization_failure, deadlock
			return fmt.Errorf("%w: %s", ErrConflict, pgErr.Message)
		}
	}
	return err
}

// wrap prefixes err with what failed and maps it through interpretError.
func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("store: %s: %w", what, interpretError(err))
}
