package loadkit

import (
	"context"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"zhenggai/store"
)

// FreshDatabase drops and creates database name on the server of adminURL
// (a URL of any database there) and returns the new database's URL.
func FreshDatabase(ctx context.Context, adminURL, name string) (string, error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", fmt.Errorf("loadkit: connect: %w", err)
	}
	defer conn.Close(ctx)
	id := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+id+" WITH (FORCE)"); err != nil {
		return "", fmt.Errorf("loadkit: drop %s: %w", name, err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+id); err != nil {
		return "", fmt.Errorf("loadkit: create %s: %w", name, err)
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", fmt.Errorf("loadkit: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// Prepare migrates the database at dbURL and generates a campaign of size
// s in it.
func Prepare(ctx context.Context, dbURL string, s Size) error {
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("loadkit: %w", err)
	}
	defer pool.Close()
	st := store.New(pool)
	if _, err := st.Migrate(ctx); err != nil {
		return fmt.Errorf("loadkit: migrate: %w", err)
	}
	return Generate(ctx, st, s)
}
