package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Actor is who made a change and through which platform message; the zero
// Actor is the system itself (the CLI, the scheduler).
type Actor struct {
	PersonID  int64
	Platform  string
	Account   string
	MessageID string
}

// System is the actor of changes made by the CLI or the scheduler.
var System = Actor{Platform: "system", Account: "zhenggai"}

// AuditParams is one audit row to append.
type AuditParams struct {
	Actor    Actor
	Entity   string // "ledger_item", "monthly_report", "campaign", …
	EntityID string
	Action   string // "create", "update", "close", …
	Old, New any    // marshalled to JSON; nil for none
}

// AppendAudit appends one row to the hash-chained audit log. Call it inside
// the transaction that makes the change. Appending locks the chain's head
// until the transaction ends, so in a transaction begun by InTx the row is
// held and written just before the commit; on a Store made over a
// transaction by New it is written at once.
func (s *Store) AppendAudit(ctx context.Context, p AuditParams) error {
	row, err := newAuditRow(p)
	if err != nil {
		return err
	}
	if s.audits != nil {
		s.audits.rows = append(s.audits.rows, row)
		return nil
	}
	return row.write(ctx, s.db)
}

// auditBuffer holds a transaction's audit rows until its commit.
type auditBuffer struct {
	rows []auditRow
}

// flush writes the held rows in order.
func (b *auditBuffer) flush(ctx context.Context, db DBTX) error {
	for _, r := range b.rows {
		if err := r.write(ctx, db); err != nil {
			return err
		}
	}
	b.rows = nil
	return nil
}

// auditRow is an audit row's arguments to audit_append, its values
// encoded when the change was made.
type auditRow struct {
	person                     *int64
	platform, account, message string
	entity, entityID, action   string
	oldJSON, newJSON           []byte
}

func newAuditRow(p AuditParams) (auditRow, error) {
	oldJSON, err := auditJSON(p.Old)
	if err != nil {
		return auditRow{}, err
	}
	newJSON, err := auditJSON(p.New)
	if err != nil {
		return auditRow{}, err
	}
	r := auditRow{platform: cmp.Or(p.Actor.Platform, "system"), account: p.Actor.Account, message: p.Actor.MessageID,
		entity: p.Entity, entityID: p.EntityID, action: p.Action, oldJSON: oldJSON, newJSON: newJSON}
	if p.Actor.PersonID != 0 {
		id := p.Actor.PersonID
		r.person = &id
	}
	return r, nil
}

func (r auditRow) write(ctx context.Context, db DBTX) error {
	_, err := db.Exec(ctx, `SELECT audit_append($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		r.person, r.platform, r.account, r.message, r.entity, r.entityID, r.action, r.oldJSON, r.newJSON)
	return wrap("append audit", err)
}

func auditJSON(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("store: audit value: %w", err)
	}
	return b, nil
}

// AuditEntry is one row of the audit log.
type AuditEntry struct {
	ID        int64
	At        time.Time
	PersonID  *int64
	Platform  string
	Account   string
	MessageID string
	Entity    string
	EntityID  string
	Action    string
	Old, New  []byte
}

// AuditEntries returns the rows about one entity, oldest first.
func (s *Store) AuditEntries(ctx context.Context, entity, entityID string) ([]AuditEntry, error) {
	rows, err := s.db.Query(ctx, `
		SELECT id, at, person_id, platform, account, message_id, entity, entity_id, action, old, new
		FROM audit_log
		WHERE entity = $1 AND entity_id = $2
		ORDER BY id`, entity, entityID)
	if err != nil {
		return nil, wrap("audit entries", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.PersonID, &e.Platform, &e.Account, &e.MessageID, &e.Entity, &e.EntityID, &e.Action, &e.Old, &e.New); err != nil {
			return nil, wrap("audit entries", err)
		}
		out = append(out, e)
	}
	return out, wrap("audit entries", rows.Err())
}
