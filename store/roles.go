package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// The bot runs as two roles (deploy/README-operate.md, "Database"): the
// owner, which migrates (MIGRATE_DATABASE_URL), and the runtime role that
// serves (DATABASE_URL). The runtime role reads and writes the working
// tables but may only read the audit tables: it appends through
// audit_append (SECURITY DEFINER, migration 115), it cannot UPDATE, DELETE
// or TRUNCATE audit_log or audit_head, and, not owning them, cannot disable
// their trigger or replace the functions.

// auditTables are the tables the runtime role may only read.
var auditTables = []string{"audit_log", "audit_head"}

// GrantRuntime gives role the runtime privileges on the current schema's
// tables, sequences and audit_append. Run it as the owner after migrating
// (zhenggai migrate does); it is idempotent and covers tables added since.
func (s *Store) GrantRuntime(ctx context.Context, role string) error {
	var schema string
	if err := s.db.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return wrap("grant runtime role", err)
	}
	r, sc := pgx.Identifier{role}.Sanitize(), pgx.Identifier{schema}.Sanitize()
	audit := ""
	for i, t := range auditTables {
		if i > 0 {
			audit += ", "
		}
		audit += pgx.Identifier{schema, t}.Sanitize()
	}
	stmts := []string{
		fmt.Sprintf(`GRANT USAGE ON SCHEMA %s TO %s`, sc, r),
		fmt.Sprintf(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %s TO %s`, sc, r),
		fmt.Sprintf(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %s TO %s`, sc, r),
		fmt.Sprintf(`REVOKE ALL ON %s, %s FROM %s`, audit, pgx.Identifier{schema, "schema_migrations"}.Sanitize(), r),
		fmt.Sprintf(`GRANT SELECT ON %s, %s TO %s`, audit, pgx.Identifier{schema, "schema_migrations"}.Sanitize(), r),
		fmt.Sprintf(`REVOKE ALL ON SEQUENCE %s FROM %s`, pgx.Identifier{schema, "audit_log_id_seq"}.Sanitize(), r),
		fmt.Sprintf(`GRANT EXECUTE ON FUNCTION %s(bigint, text, text, text, text, text, text, jsonb, jsonb) TO %s`,
			pgx.Identifier{schema, "audit_append"}.Sanitize(), r),
	}
	return s.InTx(ctx, func(tx *Store) error {
		for _, q := range stmts {
			if _, err := tx.db.Exec(ctx, q); err != nil {
				return wrap("grant runtime role "+role, err)
			}
		}
		return nil
	})
}

// AuditRights is what the connected role may do to the audit log.
type AuditRights struct {
	Role string
	// Owner: the role owns audit_log (or is a superuser), so it can disable
	// the append-only trigger and rewrite the chain.
	Owner bool
	// Write: it may UPDATE, DELETE or TRUNCATE audit_log or audit_head.
	Write bool
}

// AuditRightsOfCurrentRole tells what the connected role may do to the audit
// tables, for doctor.
func (s *Store) AuditRightsOfCurrentRole(ctx context.Context) (AuditRights, error) {
	var r AuditRights
	err := s.db.QueryRow(ctx, `
		SELECT current_user,
		       pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = 'audit_log'::regclass), 'USAGE')
		       OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
		       has_table_privilege('audit_log', 'UPDATE') OR has_table_privilege('audit_log', 'DELETE')
		       OR has_table_privilege('audit_log', 'TRUNCATE') OR has_table_privilege('audit_head', 'UPDATE')
		       OR has_table_privilege('audit_head', 'DELETE') OR has_table_privilege('audit_head', 'TRUNCATE')`).
		Scan(&r.Role, &r.Owner, &r.Write)
	return r, wrap("audit rights", err)
}

// CurrentRole returns the role the store is connected as.
func (s *Store) CurrentRole(ctx context.Context) (string, error) {
	var r string
	err := s.db.QueryRow(ctx, `SELECT current_user`).Scan(&r)
	return r, wrap("current role", err)
}
