package store

import (
	"context"
	"time"
)

// Evidence is a stored file as one ledger item or enterprise request holds
// it: what it is, who sent it and when, without its content.
type Evidence struct {
	FileID int64
	Name   string
	MIME   string
	Size   int
	SHA256 []byte
	// Sender is the name of the person or contact who sent it.
	Sender string
	At     time.Time
	// ItemID or RequestID is what holds it.
	ItemID    *int64
	RequestID *int64
}

// evidenceOfItems selects the files on items' progress entries.
const evidenceOfItems = `
	SELECT f.id, f.name, f.mime, f.size, f.sha256, coalesce(p.name, ''), pu.created_at, pu.item_id, NULL::bigint
	  FROM progress_updates pu JOIN files f ON f.id = pu.file_id LEFT JOIN people p ON p.id = pu.person_id`

// evidenceOfRequests selects the files on requests' messages.
const evidenceOfRequests = `
	SELECT f.id, f.name, f.mime, f.size, f.sha256, coalesce(p.name, c.name, ''), m.created_at, NULL::bigint, m.request_id
	  FROM request_messages m JOIN files f ON f.id = m.file_id
	  LEFT JOIN people p ON p.id = m.person_id LEFT JOIN contacts c ON c.id = m.contact_id`

func (s *Store) queryEvidence(ctx context.Context, what, q string, args ...any) ([]Evidence, error) {
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, wrap(what, err)
	}
	defer rows.Close()
	var out []Evidence
	for rows.Next() {
		var e Evidence
		if err := rows.Scan(&e.FileID, &e.Name, &e.MIME, &e.Size, &e.SHA256, &e.Sender, &e.At, &e.ItemID, &e.RequestID); err != nil {
			return nil, wrap(what, err)
		}
		out = append(out, e)
	}
	return out, wrap(what, rows.Err())
}

// ItemEvidence returns an item's files, the newest first, at most limit,
// and how many it has.
func (s *Store) ItemEvidence(ctx context.Context, itemID int64, limit int) ([]Evidence, int, error) {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM progress_updates WHERE item_id = $1 AND file_id IS NOT NULL`, itemID).Scan(&n); err != nil {
		return nil, 0, wrap("item evidence", err)
	}
	ev, err := s.queryEvidence(ctx, "item evidence", evidenceOfItems+` WHERE pu.item_id = $1 ORDER BY pu.created_at DESC, pu.id DESC LIMIT $2`, itemID, limit)
	return ev, n, err
}

// RequestEvidence returns an enterprise request's files, the newest first,
// at most limit, and how many it has.
func (s *Store) RequestEvidence(ctx context.Context, requestID int64, limit int) ([]Evidence, int, error) {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM request_messages WHERE request_id = $1 AND file_id IS NOT NULL`, requestID).Scan(&n); err != nil {
		return nil, 0, wrap("request evidence", err)
	}
	ev, err := s.queryEvidence(ctx, "request evidence", evidenceOfRequests+` WHERE m.request_id = $1 ORDER BY m.created_at DESC, m.id DESC LIMIT $2`, requestID, limit)
	return ev, n, err
}

// FileHolders returns every item and request that holds the file.
func (s *Store) FileHolders(ctx context.Context, fileID int64) ([]Evidence, error) {
	return s.queryEvidence(ctx, "file holders", evidenceOfItems+` WHERE f.id = $1
		UNION ALL `+evidenceOfRequests+` WHERE f.id = $1`, fileID)
}

// CampaignItemEvidence returns the files on a campaign's items, in item
// number and time order; unitID and itemID narrow it when not 0.
func (s *Store) CampaignItemEvidence(ctx context.Context, campaignID, unitID, itemID int64) ([]Evidence, error) {
	return s.queryEvidence(ctx, "campaign evidence", evidenceOfItems+` JOIN ledger_items li ON li.id = pu.item_id
		WHERE li.campaign_id = $1 AND ($2 = 0 OR li.unit_id = $2) AND ($3 = 0 OR li.id = $3)
		ORDER BY li.number, pu.created_at, pu.id`, campaignID, unitID, itemID)
}

// FileMeta returns a stored file without its content.
func (s *Store) FileMeta(ctx context.Context, id int64) (*StoredFile, error) {
	var f StoredFile
	err := s.db.QueryRow(ctx, `SELECT id, sha256, name, mime, size, platform, sender, created_at FROM files WHERE id = $1`, id).
		Scan(&f.ID, &f.SHA256, &f.Name, &f.MIME, &f.Size, &f.Platform, &f.Sender, &f.CreatedAt)
	if err != nil {
		return nil, wrap("file meta", err)
	}
	return &f, nil
}

// FileStats is how many files are stored and their total size.
type FileStats struct {
	Count int64
	Bytes int64
	// TableBytes is what the files table takes on disk, TOAST included.
	TableBytes int64
}

// Files returns the stored files' count and size.
func (s *Store) Files(ctx context.Context) (FileStats, error) {
	var fs FileStats
	err := s.db.QueryRow(ctx, `SELECT count(*), coalesce(sum(size), 0), pg_total_relation_size('files') FROM files`).
		Scan(&fs.Count, &fs.Bytes, &fs.TableBytes)
	return fs, wrap("file stats", err)
}
