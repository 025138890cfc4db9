package store_test

import (
	"context"
	"testing"

	"zhenggai/store"
	"zhenggai/store/storetest"
)

// TestSaveFileConcurrentSameBytes saves identical bytes from two open
// transactions: the second waits on the first's row, and once both commit
// they share one stored copy.
func TestSaveFileConcurrentSameBytes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := storetest.TestSchema(ctx, t)
	content := []byte("\x89PNG\r\n\x1a\n same photo from two phones")
	tx1, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx1.Rollback(ctx)
	tx2, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx2.Rollback(ctx)
	f1 := &store.StoredFile{Name: "a.png", MIME: "application/octet-stream", Content: content}
	if err := store.New(tx1).SaveFile(ctx, f1); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	f2 := &store.StoredFile{Name: "b.png", Content: content}
	go func() { done <- store.New(tx2).SaveFile(ctx, f2) }()
	if err := tx1.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("second save: %v", err)
	}
	if err := tx2.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if f1.ID == 0 || f1.ID != f2.ID {
		t.Fatalf("ids %d and %d, want one shared row", f1.ID, f2.ID)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM files`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("files = %d (%v), want 1", n, err)
	}
	got, err := store.New(pool).FileByID(ctx, f1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.MIME != "image/png" || got.Size != len(content) {
		t.Fatalf("stored %q size %d, want image/png sniffed from the bytes", got.MIME, got.Size)
	}
}

// TestSniffMIME trusts the bytes over the platform's claim, and the claim
// only where the bytes cannot tell.
func TestSniffMIME(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\nxxxx")
	zip := []byte("PK\x03\x04xxxxxxxx")
	docx := "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	for _, c := range []struct {
		claim   string
		content []byte
		want    string
	}{
		{"", png, "image/png"},
		{"application/octet-stream", png, "image/png"},
		{"image/jpeg", png, "image/png"},
		{"image/png", []byte("not a picture at all"), "text/plain; charset=utf-8"},
		{"text/csv", []byte("a,b\n1,2\n"), "text/csv"},
		{docx, zip, docx},
		{"", zip, "application/zip"},
		{"application/x-custom", []byte{0, 1, 2, 3}, "application/x-custom"},
	} {
		if got := store.SniffMIME(c.claim, c.content); got != c.want {
			t.Errorf("SniffMIME(%q) = %q, want %q", c.claim, got, c.want)
		}
	}
}
