package store_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"zhenggai/store"
	"zhenggai/store/storetest"
)

// TestAuditHashMatchesDatabase checks that AuditRowHash (Go, what verify
// uses) and audit_row_hash (the database, what appends use) give the same
// bytes for every row: NULL and set persons, NULL and JSON old/new, unicode
// and separators in text, JSON escapes, times at microsecond, midnight and
// year boundaries in other zones.
func TestAuditHashMatchesDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	rows := []store.AuditParams{
		{Actor: store.System, Entity: "campaign", EntityID: "1", Action: "apply"},
		{Actor: store.Actor{PersonID: 42, Platform: "feishu", Account: "ou_卢旭明", MessageID: "om_1"},
			Entity: "ledger_item", EntityID: "7", Action: "update",
			Old: map[string]any{"status": "正在整改", "n": 1.5, "z": nil}, New: map[string]any{"status": "已整改", "备注": "含\"引号\"、\\反斜杠\\ 与 \t 制表符 😀"}},
		{Actor: store.Actor{Platform: "wecom", Account: "a\x1fb", MessageID: ""}, Entity: "e\u2028", EntityID: "", Action: "x",
			New: []any{1, "二", true, map[string]any{"b": 1, "a": []int{}}, 1e21, -0.0001}},
		{Actor: store.Actor{PersonID: 9007199254740993, Platform: "dingtalk", Account: "0420", MessageID: "msg"},
			Entity: "report", EntityID: "lingbao:2023-06", Action: "submit", Old: "plain string", New: 12345678901234567},
	}
	for _, p := range rows {
		if err := st.AppendAudit(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	// Times audit_append would not choose, set as the owner can.
	if _, err := st.DB().Exec(ctx, `ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`); err != nil {
		t.Fatal(err)
	}
	for i, at := range []string{"1999-12-31 23:59:59.999999+08", "2000-02-29 00:00:00+00", "2026-12-03 08:00:00.000001-05:30"} {
		if _, err := st.DB().Exec(ctx, `UPDATE audit_log SET at = $1 WHERE id = (SELECT id FROM audit_log ORDER BY id OFFSET $2 LIMIT 1)`, at, i); err != nil {
			t.Fatal(err)
		}
	}
	q, err := st.DB().Query(ctx, `
		SELECT id, at, person_id, platform, account, message_id, entity, entity_id, action, old, new, prev_hash,
		       audit_row_hash(id, at, person_id, platform, account, message_id, entity, entity_id, action, old, new, prev_hash)
		FROM audit_log ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	n := 0
	for q.Next() {
		var e store.AuditEntry
		var prev, want []byte
		if err := q.Scan(&e.ID, &e.At, &e.PersonID, &e.Platform, &e.Account, &e.MessageID, &e.Entity, &e.EntityID,
			&e.Action, &e.Old, &e.New, &prev, &want); err != nil {
			t.Fatal(err)
		}
		if got := store.AuditRowHash(&e, prev); !bytes.Equal(got, want) {
			t.Errorf("row %d (at %s, old %s, new %s): Go hash %x, database %x", e.ID, e.At, e.Old, e.New, got, want)
		}
		n++
	}
	if err := q.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(rows) {
		t.Fatalf("compared %d rows, want %d", n, len(rows))
	}
}

// rewriteAsOwner edits row id the way an insider with the owner role can:
// the trigger disabled, the row changed, every hash from it on and the head
// recomputed with the database's own function, the trigger enabled again.
func rewriteAsOwner(ctx context.Context, t *testing.T, st *store.Store, id int64) {
	t.Helper()
	_, err := st.DB().Exec(ctx, `
		ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;
		UPDATE audit_log SET new = '{"status":"in_progress","n":99}' WHERE id = `+itoa(id)+`;
		DO $$
		DECLARE r record; prev bytea := NULL; h bytea;
		BEGIN
			FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
				IF prev IS NOT NULL THEN
					UPDATE audit_log SET prev_hash = prev WHERE id = r.id;
					r.prev_hash := prev;
				END IF;
				h := audit_row_hash(r.id, r.at, r.person_id, r.platform, r.account, r.message_id, r.entity,
				                    r.entity_id, r.action, r.old, r.new, r.prev_hash);
				UPDATE audit_log SET hash = h WHERE id = r.id;
				prev := h;
			END LOOP;
			UPDATE audit_head SET last_hash = prev WHERE one;
		END $$;
		ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update`)
	if err != nil {
		t.Fatal(err)
	}
}

func head(ctx context.Context, t *testing.T, st *store.Store) store.AuditAnchor {
	t.Helper()
	a, err := st.AuditHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestAuditAnchors is the insider's rewrite: the chain stays
// self-consistent, so verify alone passes, but an anchor taken before the
// edit no longer matches, and the break names the anchor's row and the
// rows between the last good anchor and it.
func TestAuditAnchors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	empty := head(ctx, t, st)
	appendRows(ctx, t, st, 2)
	a1 := head(ctx, t, st)
	appendRows(ctx, t, st, 3)
	a2 := head(ctx, t, st)
	appendRows(ctx, t, st, 2)
	if n, err := st.VerifyAudit(ctx, empty, a1, a2); err != nil || n != 7 {
		t.Fatalf("before the edit: %d rows, %v", n, err)
	}
	var target int64 // the third row: after a1, before a2
	if err := st.DB().QueryRow(ctx, `SELECT id FROM audit_log ORDER BY id OFFSET 2 LIMIT 1`).Scan(&target); err != nil {
		t.Fatal(err)
	}
	rewriteAsOwner(ctx, t, st, target)

	if n, err := st.VerifyAudit(ctx); err != nil || n != 7 {
		t.Fatalf("without anchors a recomputed chain verifies (it is self-consistent): %d rows, %v", n, err)
	}
	if _, err := st.VerifyAudit(ctx, a1); err != nil {
		t.Fatalf("an anchor before the edited row still holds: %v", err)
	}
	var br *store.AuditBreak
	_, err := st.VerifyAudit(ctx, a2)
	if !errors.As(err, &br) || br.ID != a2.ID || !strings.Contains(br.Reason, "from 1 to "+itoa(a2.ID)) {
		t.Fatalf("with the anchor of row %d: got %v", a2.ID, err)
	}
	_, err = st.VerifyAudit(ctx, a2, a1) // any order
	if !errors.As(err, &br) || br.ID != a2.ID || !strings.Contains(br.Reason, "from "+itoa(a1.ID+1)+" to "+itoa(a2.ID)) {
		t.Fatalf("with anchors of rows %d and %d: got %v", a1.ID, a2.ID, err)
	}
	if !strings.Contains(err.Error(), "rewritten") {
		t.Errorf("the error does not say the chain was rewritten: %v", err)
	}

	// An anchor naming a row that is gone, or past the end of the chain.
	if _, err := st.VerifyAudit(ctx, store.AuditAnchor{ID: a2.ID + 100, Hash: a2.Hash}); !errors.As(err, &br) || !strings.Contains(br.Reason, "deleted") {
		t.Fatalf("an anchor past the end: got %v", err)
	}
}

func TestParseAuditAnchor(t *testing.T) {
	t.Parallel()
	h := strings.Repeat("ab", 32)
	for _, s := range []string{"12:" + h, "audit-anchor 12 " + h, `time=… level=INFO msg="Audit anchor" anchor="audit-anchor 12 ` + h + `"`} {
		a, err := store.ParseAuditAnchor(s)
		if err != nil || a.ID != 12 || a.String() != "audit-anchor 12 "+h {
			t.Errorf("%q: %v, %v", s, a, err)
		}
	}
	if a, err := store.ParseAuditAnchor("audit-anchor 0 "); err != nil || a.ID != 0 {
		t.Errorf("the empty chain's anchor: %v, %v", a, err)
	}
	for _, s := range []string{"", "12", "x:" + h, "12:" + h[:10], "12:zz" + h[2:], "-1:" + h, "audit-anchor 12"} {
		if _, err := store.ParseAuditAnchor(s); err == nil {
			t.Errorf("%q was accepted", s)
		}
	}
}

func TestReadAuditAnchors(t *testing.T) {
	t.Parallel()
	h := strings.Repeat("0f", 32)
	got, err := store.ReadAuditAnchors(strings.NewReader("# anchors\n\naudit-anchor 3 " + h + "\n  7:" + h + "\n"))
	if err != nil || len(got) != 2 || got[0].ID != 3 || got[1].ID != 7 {
		t.Fatalf("got %v, %v", got, err)
	}
	if _, err := store.ReadAuditAnchors(strings.NewReader("audit-anchor 3 " + h + "\nnonsense\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("a bad line: %v", err)
	}
}

// TestAuditVerifyWhileAppending: verify reads the rows and the head in one
// snapshot, so rows appended while it runs (the daily anchor verifies on a
// busy system) never look like a broken chain.
func TestAuditVerifyWhileAppending(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := store.New(storetest.TestSchema(ctx, t))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 150; i++ {
			if err := st.AppendAudit(ctx, store.AuditParams{Actor: store.System, Entity: "x", EntityID: itoa(int64(i)), Action: "a"}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	verified := 0
	for {
		select {
		case <-done:
			if n, err := st.VerifyAudit(ctx); err != nil || n != 150 {
				t.Fatalf("after the appends: %d rows, %v", n, err)
			}
			if verified == 0 {
				t.Log("no verification overlapped the appends")
			}
			return
		default:
		}
		if _, err := st.VerifyAudit(ctx); err != nil {
			t.Fatalf("verify during appends: %v", err)
		}
		verified++
	}
}

func TestVerifiedHead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	if n, h, err := st.VerifiedHead(ctx); err != nil || n != 0 || h.ID != 0 || h.String() != "audit-anchor 0 " {
		t.Fatalf("empty chain: %d, %v, %v", n, h, err)
	}
	appendRows(ctx, t, st, 3)
	n, h, err := st.VerifiedHead(ctx)
	if want, _ := st.AuditHead(ctx); err != nil || n != 3 || h.String() != want.String() {
		t.Fatalf("got %d, %v, %v; head %v", n, h, err, want)
	}
}
