package store

import (
	"context"
	"crypto/sha256"
	"time"
)

// MaxFileSize is the largest file kept (the files table's limit).
const MaxFileSize = 20 * 1024 * 1024

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

// SaveFile stores f's content once per content hash and sets f.ID (the
// existing row's id when the same content was stored before).
func (s *Store) SaveFile(ctx context.Context, f *StoredFile) error {
	sum := sha256.Sum256(f.Content)
	f.SHA256 = sum[:]
	f.Size = len(f.Content)
	err := s.db.QueryRow(ctx, `
		WITH ins AS (
		    INSERT INTO files (sha256, name, mime, size, content, platform, sender)
		    VALUES ($1, $2, $3, $4, $5, $6, $7)
		    ON CONFLICT (sha256) DO NOTHING
		    RETURNING id, created_at
		)
		SELECT id, created_at FROM ins
		UNION ALL
		SELECT id, created_at FROM files WHERE sha256 = $1
		LIMIT 1`, f.SHA256, f.Name, f.MIME, f.Size, f.Content, f.Platform, f.Sender).Scan(&f.ID, &f.CreatedAt)
	return wrap("save file", err)
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
