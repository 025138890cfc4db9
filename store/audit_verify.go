package store

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// The chain is checked in Go, not with the database's audit_row_hash: a
// role that can rewrite rows can also replace that function, so a check
// that asks it proves nothing. AuditRowHash is the same computation
// (TestAuditHashMatchesDatabase holds them together); appends still use the
// function, inside the transaction that locks the head.

// AuditRowHash returns the hash of an audit row over its columns and the
// previous row's hash, byte for byte what audit_row_hash computes: sha256
// of the fields joined by U+001F, the time in UTC to the microsecond, a NULL
// person as "", a NULL old or new as "null" (jsonb as Postgres prints it),
// the previous hash in lower-case hex.
func AuditRowHash(e *AuditEntry, prev []byte) []byte {
	person := ""
	if e.PersonID != nil {
		person = strconv.FormatInt(*e.PersonID, 10)
	}
	jsonText := func(b []byte) string {
		if b == nil {
			return "null"
		}
		return string(b)
	}
	fields := []string{
		strconv.FormatInt(e.ID, 10),
		e.At.UTC().Format("2006-01-02T15:04:05.000000"),
		person, e.Platform, e.Account, e.MessageID, e.Entity, e.EntityID, e.Action,
		jsonText(e.Old), jsonText(e.New),
		hex.EncodeToString(prev),
	}
	sum := sha256.Sum256([]byte(strings.Join(fields, "\x1f")))
	return sum[:]
}

// AuditAnchor is a point of the chain kept outside the database: row ID had
// hash Hash. ID 0 with an empty hash is the empty chain.
type AuditAnchor struct {
	ID   int64
	Hash []byte
}

// String renders the anchor as the line `zhenggai audit anchor` prints and
// the scheduler posts: "audit-anchor <id> <hex>".
func (a AuditAnchor) String() string {
	return fmt.Sprintf("audit-anchor %d %s", a.ID, hex.EncodeToString(a.Hash))
}

// ParseAuditAnchor reads an anchor written as "ID:HEX" (the --anchor flag)
// or as the line "audit-anchor ID HEX", which may stand inside a longer line
// (a log line, a pasted chat message).
func ParseAuditAnchor(s string) (AuditAnchor, error) {
	idText, hexText, ok := strings.Cut(strings.TrimSpace(s), ":")
	if i := strings.Index(s, "audit-anchor "); i >= 0 {
		f := append(strings.Fields(strings.Trim(s[i+len("audit-anchor "):], `"' `)), "")
		idText, hexText = strings.Trim(f[0], `"'`), strings.Trim(f[1], `"'`)
		ok = idText != ""
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	if !ok || err != nil || id < 0 {
		return AuditAnchor{}, fmt.Errorf("store: audit anchor %q is not ID:HEX nor \"audit-anchor ID HEX\"", strings.TrimSpace(s))
	}
	h, err := hex.DecodeString(hexText)
	if err != nil || (id > 0 && len(h) != sha256.Size) || (id == 0 && len(h) != 0) {
		return AuditAnchor{}, fmt.Errorf("store: audit anchor %q: the hash is not %d hex bytes", strings.TrimSpace(s), sha256.Size)
	}
	return AuditAnchor{ID: id, Hash: h}, nil
}

// AuditHead returns the chain's head as an anchor: the last row and its
// hash as audit_head records them.
func (s *Store) AuditHead(ctx context.Context) (AuditAnchor, error) {
	var a AuditAnchor
	if err := s.db.QueryRow(ctx, `SELECT last_id, last_hash FROM audit_head`).Scan(&a.ID, &a.Hash); err != nil {
		return a, wrap("audit head", err)
	}
	return a, nil
}

// AuditBreak is the first bad link of the chain.
type AuditBreak struct {
	ID     int64
	Reason string
}

func (b *AuditBreak) Error() string {
	return fmt.Sprintf("store: audit chain broken at row %d: %s", b.ID, b.Reason)
}

// VerifyAudit walks the chain in id order, recomputing every hash in Go
// from the row's columns, and returns the number of rows checked, or an
// *AuditBreak naming the first bad link: a row whose hash does not match its
// columns (edited), whose prev_hash is not the hash of the row before it
// (deleted or inserted rows), a head that is not the last row (the newest
// rows deleted), or a row whose hash is not the one an anchor recorded (the
// chain was rewritten, every later hash recomputed, after the anchor was
// taken).
//
// The rows and the head are read in one statement, so one snapshot: rows
// appended meanwhile are not mistaken for a broken head.
func (s *Store) VerifyAudit(ctx context.Context, anchors ...AuditAnchor) (int64, error) {
	n, _, err := s.VerifiedHead(ctx, anchors...)
	return n, err
}

// VerifiedHead verifies the chain as VerifyAudit does and returns, with the
// number of rows, the head it verified: the anchor to publish (reading the
// head after verifying could name a row appended since, never checked).
func (s *Store) VerifiedHead(ctx context.Context, anchors ...AuditAnchor) (int64, AuditAnchor, error) {
	n, head, grew, err := s.verifyAudit(ctx, anchors)
	if grew {
		// The chain was empty when read and has rows now: read it again.
		n, head, _, err = s.verifyAudit(ctx, anchors)
	}
	return n, head, err
}

func (s *Store) verifyAudit(ctx context.Context, anchors []AuditAnchor) (int64, AuditAnchor, bool, error) {
	anchors = slices.Clone(anchors)
	slices.SortFunc(anchors, func(a, b AuditAnchor) int { return cmp.Compare(a.ID, b.ID) })
	rows, err := s.db.Query(ctx, `
		SELECT id, at, person_id, platform, account, message_id, entity, entity_id, action, old, new,
		       prev_hash, hash,
		       (SELECT last_id FROM audit_head), (SELECT last_hash FROM audit_head)
		FROM audit_log
		ORDER BY id`)
	if err != nil {
		return 0, AuditAnchor{}, false, wrap("verify audit", err)
	}
	defer rows.Close()
	var (
		n        int64
		lastID   int64
		lastHash = []byte{}
		good     int64 // the last anchor passed
		head     AuditAnchor
		haveHead bool
	)
	// checkAnchors checks and drops the anchors at or before row upTo; the
	// chain has been walked to lastID, whose hash is lastHash.
	checkAnchors := func(upTo int64) *AuditBreak {
		for len(anchors) > 0 && anchors[0].ID <= upTo {
			a := anchors[0]
			anchors = anchors[1:]
			switch {
			case a.ID != lastID:
				return &AuditBreak{ID: a.ID, Reason: fmt.Sprintf("the anchor names row %d, which is not in the chain (rows were deleted)", a.ID)}
			case !bytes.Equal(a.Hash, lastHash):
				return &AuditBreak{ID: a.ID, Reason: fmt.Sprintf("its hash is not the anchor's: a row from %d to %d was rewritten after the anchor was taken, and every later hash recomputed", good+1, a.ID)}
			}
			good = a.ID
		}
		return nil
	}
	for rows.Next() {
		var e AuditEntry
		var prev, hash []byte
		if err := rows.Scan(&e.ID, &e.At, &e.PersonID, &e.Platform, &e.Account, &e.MessageID, &e.Entity, &e.EntityID,
			&e.Action, &e.Old, &e.New, &prev, &hash, &head.ID, &head.Hash); err != nil {
			return n, AuditAnchor{}, false, wrap("verify audit", err)
		}
		haveHead = true
		if br := checkAnchors(e.ID - 1); br != nil {
			return n, AuditAnchor{}, false, br
		}
		if !bytes.Equal(prev, lastHash) {
			return n, AuditAnchor{}, false, &AuditBreak{ID: e.ID, Reason: fmt.Sprintf("its previous hash does not match row %d (a row was deleted or inserted)", lastID)}
		}
		if !bytes.Equal(hash, AuditRowHash(&e, prev)) {
			return n, AuditAnchor{}, false, &AuditBreak{ID: e.ID, Reason: "its content does not match its hash (the row was altered)"}
		}
		lastID, lastHash = e.ID, hash
		n++
	}
	if err := rows.Err(); err != nil {
		return n, AuditAnchor{}, false, wrap("verify audit", err)
	}
	if br := checkAnchors(lastID); br != nil {
		return n, AuditAnchor{}, false, br
	}
	if len(anchors) > 0 {
		return n, AuditAnchor{}, false, &AuditBreak{ID: anchors[0].ID, Reason: fmt.Sprintf("the anchor names row %d but the chain ends at row %d (rows were deleted)", anchors[0].ID, lastID)}
	}
	if !haveHead {
		var err error
		if head, err = s.AuditHead(ctx); err != nil {
			return n, AuditAnchor{}, false, err
		}
		if head.ID != 0 && n == 0 {
			return n, AuditAnchor{}, true, nil
		}
	}
	if head.ID != lastID || !bytes.Equal(head.Hash, lastHash) {
		return n, AuditAnchor{}, false, &AuditBreak{ID: head.ID, Reason: fmt.Sprintf("the chain's head names row %d but the last row is %d (rows were deleted)", head.ID, lastID)}
	}
	return n, head, false, nil
}

// ReadAuditAnchors reads anchors one a line, as the scheduler posts them
// ("audit-anchor ID HEX", possibly inside a log line or a pasted chat
// message) or as ID:HEX; blank lines and lines starting with # are skipped.
// An error names the bad line.
func ReadAuditAnchors(r io.Reader) ([]AuditAnchor, error) {
	var out []AuditAnchor
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		a, err := ParseAuditAnchor(text)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, a)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("store: read audit anchors: %w", err)
	}
	return out, nil
}
