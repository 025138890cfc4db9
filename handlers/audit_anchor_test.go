package handlers

import (
	"context"
	"strings"
	"testing"

	"zhenggai/store"
	"zhenggai/store/storetest"
)

// anchorTexts returns the texts of the audit-anchor deliveries among keys.
func anchorTexts(t *testing.T, st *store.Store, keys []string) []string {
	t.Helper()
	var out []string
	for _, k := range keys {
		if !strings.HasPrefix(k, scheduleAuditAnchor+":") {
			continue
		}
		var text string
		if err := st.DB().QueryRow(context.Background(), `SELECT payload->>'text' FROM deliveries WHERE key = $1`, k).Scan(&text); err != nil {
			t.Fatal(err)
		}
		out = append(out, text)
	}
	return out
}

// TestAuditAnchorPosted: once a day the office's chat gets the chain's head
// as a line `zhenggai audit verify --anchor` accepts; a second tick that day
// posts nothing; a chain that does not verify is not anchored, the office is
// told instead.
func TestAuditAnchorPosted(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	f := newPlanFixture(t, ctx, st, "../deploy/campaigns/sanmenxia-2023.yaml")

	texts := anchorTexts(t, st, f.tick(t, at("2023-06-20", "09:00")))
	if len(texts) != 1 {
		t.Fatalf("anchor messages on the first day: %q", texts)
	}
	if !strings.Contains(texts[0], "【审计锚点】2023年6月20日") || !strings.Contains(texts[0], "校验通过") {
		t.Errorf("anchor message: %q", texts[0])
	}
	anchor, err := store.ParseAuditAnchor(texts[0][strings.LastIndex(texts[0], "\n")+1:])
	if err != nil {
		t.Fatal(err)
	}
	head, _ := st.AuditHead(ctx)
	if anchor.String() != head.String() || anchor.ID == 0 {
		t.Fatalf("posted %s, the head is %s", anchor, head)
	}
	if _, err := st.VerifyAudit(ctx, anchor); err != nil {
		t.Fatalf("the posted anchor does not verify: %v", err)
	}
	if texts := anchorTexts(t, st, f.tick(t, at("2023-06-20", "15:00"))); len(texts) != 0 {
		t.Fatalf("a second tick the same day posted %q", texts)
	}

	// A row altered (without recomputing): the next day there is no anchor.
	if _, err := st.DB().Exec(ctx, `ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;
		UPDATE audit_log SET action = 'forged' WHERE id = (SELECT min(id) FROM audit_log);
		ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update`); err != nil {
		t.Fatal(err)
	}
	texts = anchorTexts(t, st, f.tick(t, at("2023-06-21", "09:00")))
	if len(texts) != 1 || !strings.Contains(texts[0], "审计日志校验未通过") || !strings.Contains(texts[0], "记录被修改") ||
		strings.Contains(texts[0], "audit-anchor ") {
		t.Fatalf("after an edit: %q", texts)
	}
}

// TestAuditAnchorToLiaison: an office without a group chat gets the day's
// anchor in its liaison's 1:1 chat.
func TestAuditAnchorToLiaison(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	f := newPlanFixture(t, ctx, st, "../deploy/campaigns/sanmenxia-2023.yaml")
	if _, err := st.DB().Exec(ctx, `UPDATE chats SET active = false WHERE unit_id = $1`, f.unitID(t, "city-office")); err != nil {
		t.Fatal(err)
	}
	keys := f.tick(t, at("2023-06-20", "09:00"))
	texts := anchorTexts(t, st, keys)
	if len(texts) != 1 || !strings.Contains(texts[0], "audit-anchor ") {
		t.Fatalf("anchor messages: %q", texts)
	}
	for _, k := range keys {
		if strings.HasPrefix(k, scheduleAuditAnchor+":") && !strings.HasSuffix(k, ":p:lu-xm") {
			t.Errorf("anchor key %s is not the office liaison's", k)
		}
	}
}
