package store

import (
	"context"
	"crypto/sha256"
	"net/http"
	"strings"
	"time"
)

// StoredFile is evidence or an attachment kept in Postgres, because platform
// media links expire.
type StoredFile struct {
	ID        int64
	SHA256    []byte
	Name      string
	MIME      string
	Size      int
	Content   []byte
	Platform  string
	Sender    string
	CreatedAt time.Time
}

// SaveFile stores f's content once per content hash, types it by its bytes
// and sets f.ID (the existing row's id when the same content was stored
// before). Two transactions saving the same bytes at once both succeed: the
// second waits for the first and takes its row (a DO NOTHING followed by a
// SELECT would miss a row committed after the statement's snapshot).
func (s *Store) SaveFile(ctx context.Context, f *StoredFile) error {
	sum := sha256.Sum256(f.Content)
	f.SHA256 = sum[:]
	f.Size = len(f.Content)
	f.MIME = SniffMIME(f.MIME, f.Content)
	err := s.db.QueryRow(ctx, `
		INSERT INTO files (sha256, name, mime, size, content, platform, sender)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (sha256) DO UPDATE SET sha256 = EXCLUDED.sha256
		RETURNING id, created_at`, f.SHA256, f.Name, f.MIME, f.Size, f.Content, f.Platform, f.Sender).Scan(&f.ID, &f.CreatedAt)
	return wrap("save file", err)
}

// SniffMIME types content by its bytes (net/http.DetectContentType). The
// platform's claim is kept only where the bytes cannot tell more: generic
// text or binary, and a zip container claimed as an office document.
func SniffMIME(claim string, content []byte) string {
	claim = strings.TrimSpace(claim)
	sniffed := http.DetectContentType(content)
	base, _, _ := strings.Cut(sniffed, ";")
	switch {
	case claim == "":
		return sniffed
	case base == "application/octet-stream",
		base == "text/plain" && !strings.HasPrefix(claim, "image/") && !strings.HasPrefix(claim, "video/") && !strings.HasPrefix(claim, "audio/"),
		base == "application/zip" && (strings.Contains(claim, "officedocument") || strings.Contains(claim, "opendocument")):
		return claim
	}
	return sniffed
}

// FileByID returns a stored file with its content.
func (s *Store) FileByID(ctx context.Context, id int64) (*StoredFile, error) {
	var f StoredFile
	err := s.db.QueryRow(ctx, `
		SELECT id, sha256, name, mime, size, content, platform, sender, created_at
		FROM files WHERE id = $1`, id).Scan(&f.ID, &f.SHA256, &f.Name, &f.MIME, &f.Size, &f.Content, &f.Platform, &f.Sender, &f.CreatedAt)
	if err != nil {
		return nil, wrap("file by id", err)
	}
	return &f, nil
}
