package loadkit

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Durability returns the database's durability settings as a benchmark
// prints them beside its figures ("fsync on, synchronous_commit on"): a
// figure measured with fsync off says nothing about a production server.
func Durability(ctx context.Context, url string) (string, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", fmt.Errorf("loadkit: durability: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var fsync, syncCommit string
	if err := conn.QueryRow(ctx, `SELECT current_setting('fsync'), current_setting('synchronous_commit')`).Scan(&fsync, &syncCommit); err != nil {
		return "", fmt.Errorf("loadkit: durability: %w", err)
	}
	return fmt.Sprintf("fsync %s, synchronous_commit %s", fsync, syncCommit), nil
}
