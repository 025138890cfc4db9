package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"zhenggai/store"
	"zhenggai/store/storetest"
)

// runtimeRole creates a login role of its own on a fresh schema migrated by
// the owner (the test's postgres), grants it the runtime privileges as
// zhenggai migrate does, and returns a store connected as it. The role is
// dropped when the test ends.
func runtimeRole(ctx context.Context, t *testing.T) (owner *pgxpool.Pool, rt *store.Store, role string) {
	t.Helper()
	owner = storetest.TestSchema(ctx, t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	role = fmt.Sprintf("zgt_rt_%d_%s", os.Getpid(), hex.EncodeToString(b[:]))
	password := hex.EncodeToString(b[:]) + "Pw"
	if _, err := owner.Exec(ctx, fmt.Sprintf(`CREATE ROLE %s LOGIN PASSWORD '%s' NOSUPERUSER NOCREATEDB NOCREATEROLE`,
		pgx.Identifier{role}.Sanitize(), password)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c := context.Background()
		if _, err := owner.Exec(c, `DROP OWNED BY `+pgx.Identifier{role}.Sanitize()); err != nil {
			t.Errorf("drop owned by %s: %v", role, err)
		}
		if _, err := owner.Exec(c, `DROP ROLE `+pgx.Identifier{role}.Sanitize()); err != nil {
			t.Errorf("drop role %s: %v", role, err)
		}
	})
	if err := store.New(owner).GrantRuntime(ctx, role); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgxpool.ParseConfig(storetest.SchemaURL(owner))
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.User, cfg.ConnConfig.Password = role, password
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return owner, store.New(pool), role
}

// TestRuntimeRoleCannotRewriteAudit: as the runtime role the bot's work goes
// on (append audit rows, write the working tables, migrate with nothing
// pending, verify), while every way to change the audit log is refused:
// UPDATE, DELETE, TRUNCATE, disabling the trigger, writing the head,
// inserting a row past audit_append, replacing the hash function.
func TestRuntimeRoleCannotRewriteAudit(t *testing.T) {
	ctx := context.Background()
	owner, rt, role := runtimeRole(ctx, t)

	appendRows(ctx, t, rt, 3)
	if err := rt.InTx(ctx, func(tx *store.Store) error {
		if err := tx.UpsertPerson(ctx, &store.Person{Key: "li-y", Name: "李阳"}); err != nil {
			return err
		}
		_, err := tx.MarkEventSeen(ctx, "sim", "ev-1")
		return err
	}); err != nil {
		t.Fatalf("everyday work as the runtime role: %v", err)
	}
	if applied, err := rt.Migrate(ctx); err != nil || len(applied) != 0 {
		t.Fatalf("migrate with nothing pending as the runtime role: %v, %v", applied, err)
	}
	if n, err := rt.VerifyAudit(ctx); err != nil || n != 3 {
		t.Fatalf("verify as the runtime role: %d rows, %v", n, err)
	}
	rights, err := rt.AuditRightsOfCurrentRole(ctx)
	if err != nil || rights.Owner || rights.Write || rights.Role != role {
		t.Fatalf("rights of the runtime role: %+v, %v", rights, err)
	}
	if rights, err := store.New(owner).AuditRightsOfCurrentRole(ctx); err != nil || !rights.Owner {
		t.Fatalf("rights of the owner: %+v, %v", rights, err)
	}

	for _, stmt := range []string{
		`UPDATE audit_log SET action = 'forged'`,
		`DELETE FROM audit_log`,
		`TRUNCATE audit_log`,
		`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`,
		`ALTER TABLE audit_log DISABLE TRIGGER ALL`,
		`UPDATE audit_head SET last_id = 0`,
		`TRUNCATE audit_head`,
		`INSERT INTO audit_log (id, at, platform, account, message_id, entity, entity_id, action, prev_hash, hash)
		 VALUES (999999, now(), 'x', 'x', 'x', 'x', 'x', 'x', '\x', '\x')`,
		`CREATE OR REPLACE FUNCTION audit_row_hash(bigint, timestamptz, bigint, text, text, text, text, text, text, jsonb, jsonb, bytea)
		 RETURNS bytea LANGUAGE sql AS $$ SELECT '\x'::bytea $$`,
		`ALTER TABLE audit_log OWNER TO ` + pgx.Identifier{role}.Sanitize(),
		`SELECT setval('audit_log_id_seq', 1)`,
	} {
		_, err := rt.DB().Exec(ctx, stmt)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || (pgErr.Code != "42501" && !strings.Contains(pgErr.Message, "must be owner")) {
			t.Errorf("%s: got %v, want permission denied", strings.Fields(stmt)[0]+" "+strings.Fields(stmt)[1], err)
		}
	}
	if n, err := rt.VerifyAudit(ctx); err != nil || n != 3 {
		t.Fatalf("after the refused attempts: %d rows, %v", n, err)
	}
}
