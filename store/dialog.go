package store

import (
	"context"
	"time"
)

// Dialog is a form being filled field by field in a chat: the user's next
// text answers field Step. Form, Params and Answers are JSON owned by the
// bot runtime.
type Dialog struct {
	ID        int64
	Platform  string
	ChatID    string
	UserID    string
	Form      []byte
	Params    []byte
	Answers   []byte
	Step      int
	ExpiresAt time.Time
	CreatedAt time.Time
}

// OpenDialog returns the user's unexpired dialog in the chat at now. An
// expired one is deleted and ErrNotFound returned.
func (s *Store) OpenDialog(ctx context.Context, platform, chatID, userID string, now time.Time) (*Dialog, error) {
	var d Dialog
	err := s.db.QueryRow(ctx, `
		SELECT id, platform, chat_id, user_id, form, params, answers, step, expires_at, created_at
		FROM dialogs WHERE platform = $1 AND chat_id = $2 AND user_id = $3
		FOR UPDATE`, platform, chatID, userID).
		Scan(&d.ID, &d.Platform, &d.ChatID, &d.UserID, &d.Form, &d.Params, &d.Answers, &d.Step, &d.ExpiresAt, &d.CreatedAt)
	if err != nil {
		return nil, wrap("open dialog", err)
	}
	if !now.Before(d.ExpiresAt) {
		if _, err := s.db.Exec(ctx, `DELETE FROM dialogs WHERE id = $1`, d.ID); err != nil {
			return nil, wrap("expire dialog", err)
		}
		return nil, ErrNotFound
	}
	return &d, nil
}

// SaveDialog creates the user's dialog in the chat, replacing an older one,
// or updates it; it sets d.ID.
func (s *Store) SaveDialog(ctx context.Context, d *Dialog) error {
	err := s.db.QueryRow(ctx, `
		INSERT INTO dialogs (platform, chat_id, user_id, form, params, answers, step, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (platform, chat_id, user_id) DO UPDATE
		   SET form = excluded.form, params = excluded.params, answers = excluded.answers,
		       step = excluded.step, expires_at = excluded.expires_at
		RETURNING id, created_at`, d.Platform, d.ChatID, d.UserID, d.Form, d.Params, d.Answers, d.Step, d.ExpiresAt).
		Scan(&d.ID, &d.CreatedAt)
	return wrap("save dialog", err)
}

// DeleteDialog ends a dialog.
func (s *Store) DeleteDialog(ctx context.Context, id int64) error {
	_, err := s.db.Exec(ctx, `DELETE FROM dialogs WHERE id = $1`, id)
	return wrap("delete dialog", err)
}

// PruneDialogs deletes dialogs expired at now.
func (s *Store) PruneDialogs(ctx context.Context, now time.Time) (int64, error) {
	tag, err := s.db.Exec(ctx, `DELETE FROM dialogs WHERE expires_at <= $1`, now)
	if err != nil {
		return 0, wrap("prune dialogs", err)
	}
	return tag.RowsAffected(), nil
}
