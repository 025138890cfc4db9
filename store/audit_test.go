package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"zhenggai/store"
	"zhenggai/store/storetest"
)

func appendRows(ctx context.Context, t *testing.T, st *store.Store, n int) {
	t.Helper()
	for i := range n {
		err := st.AppendAudit(ctx, store.AuditParams{Actor: store.Actor{Platform: "sim", Account: "p:x", MessageID: "m"},
			Entity: "ledger_item", EntityID: "42", Action: "update",
			Old: map[string]any{"status": "in_progress", "n": i}, New: map[string]any{"status": "closed", "n": i}})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestAuditVerify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("EmptyChainIsValid", func(t *testing.T) {
		t.Parallel()
		st := storetest.TestStore(ctx, t)
		if n, err := st.VerifyAudit(ctx); err != nil || n != 0 {
			t.Fatalf("got %d rows, %v", n, err)
		}
	})

	t.Run("PassesThenFailsAfterAlteredRow", func(t *testing.T) {
		t.Parallel()
		st := storetest.TestStore(ctx, t)
		appendRows(ctx, t, st, 5)
		n, err := st.VerifyAudit(ctx)
		if err != nil || n != 5 {
			t.Fatalf("got %d rows, %v", n, err)
		}
		var target int64
		if err := st.DB().QueryRow(ctx, `SELECT id FROM audit_log ORDER BY id OFFSET 2 LIMIT 1`).Scan(&target); err != nil {
			t.Fatal(err)
		}
		// Ordinary updates are refused by the append-only trigger.
		if _, err := st.DB().Exec(ctx, `SAVEPOINT s`); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB().Exec(ctx, `UPDATE audit_log SET action = 'x' WHERE id = $1`, target); err == nil {
			t.Fatal("update of an audit row was allowed")
		}
		if _, err := st.DB().Exec(ctx, `ROLLBACK TO SAVEPOINT s`); err != nil {
			t.Fatal(err)
		}
		// Someone with the rights to disable the trigger edits a row.
		if _, err := st.DB().Exec(ctx, `ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB().Exec(ctx, `UPDATE audit_log SET new = '{"status":"in_progress"}' WHERE id = $1`, target); err != nil {
			t.Fatal(err)
		}
		_, err = st.VerifyAudit(ctx)
		var br *store.AuditBreak
		if !errors.As(err, &br) || br.ID != target || !strings.Contains(br.Reason, "altered") {
			t.Fatalf("got %v instead of a break at row %d", err, target)
		}
	})

	t.Run("DeletedRowIsFound", func(t *testing.T) {
		t.Parallel()
		st := storetest.TestStore(ctx, t)
		appendRows(ctx, t, st, 4)
		var ids []int64
		rows, _ := st.DB().Query(ctx, `SELECT id FROM audit_log ORDER BY id`)
		for rows.Next() {
			var id int64
			_ = rows.Scan(&id)
			ids = append(ids, id)
		}
		rows.Close()
		if _, err := st.DB().Exec(ctx, `ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update; DELETE FROM audit_log WHERE id = `+itoa(ids[1])); err != nil {
			t.Fatal(err)
		}
		_, err := st.VerifyAudit(ctx)
		var br *store.AuditBreak
		if !errors.As(err, &br) || br.ID != ids[2] {
			t.Fatalf("got %v instead of a break at row %d", err, ids[2])
		}
	})

	t.Run("DeletedNewestRowIsFound", func(t *testing.T) {
		t.Parallel()
		st := storetest.TestStore(ctx, t)
		appendRows(ctx, t, st, 3)
		if _, err := st.DB().Exec(ctx, `ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;
			DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)`); err != nil {
			t.Fatal(err)
		}
		var br *store.AuditBreak
		if _, err := st.VerifyAudit(ctx); !errors.As(err, &br) {
			t.Fatalf("got %v instead of a break", err)
		}
	})
}

func itoa(n int64) string {
	var b [20]byte
	i := len(b)
	for n > 0 || i == len(b) {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// TestAuditWrittenAtCommit checks that a transaction's audit rows are held
// until just before its commit (so the chain's head is locked briefly), that
// a rolled-back savepoint drops its rows and a rolled-back transaction all of
// them, and that the chain stays valid.
func TestAuditWrittenAtCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := storetest.TestSchema(ctx, t)
	st := store.New(pool)
	count := func(db store.DBTX) int {
		t.Helper()
		var n int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM audit_log`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	refused := errors.New("refused")
	err := st.InTx(ctx, func(tx *store.Store) error {
		appendRows(ctx, t, tx, 2)
		if n := count(tx.DB()); n != 0 {
			t.Errorf("%d audit rows written before the commit; want them held", n)
		}
		if err := tx.InTx(ctx, func(sp *store.Store) error {
			appendRows(ctx, t, sp, 3)
			return refused
		}); !errors.Is(err, refused) {
			t.Fatalf("savepoint: %v", err)
		}
		return tx.InTx(ctx, func(sp *store.Store) error {
			appendRows(ctx, t, sp, 1)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(pool); n != 3 {
		t.Fatalf("%d audit rows after the commit, want 3 (2 + 1; the refused savepoint's 3 dropped)", n)
	}
	if err := st.InTx(ctx, func(tx *store.Store) error {
		appendRows(ctx, t, tx, 4)
		return refused
	}); !errors.Is(err, refused) {
		t.Fatal(err)
	}
	if n := count(pool); n != 3 {
		t.Fatalf("%d audit rows after a rolled-back transaction, want 3", n)
	}
	if n, err := st.VerifyAudit(ctx); err != nil || n != 3 {
		t.Fatalf("verify: %d rows, %v", n, err)
	}
}
