package store

import (
	"context"
)

// Chat is a group or direct chat the bot is in.
type Chat struct {
	ID         int64
	Platform   string
	ExternalID string
	Kind       string // "group" or "direct"
	UnitID     *int64
	Title      string
	Active     bool
}

const chatColumns = `id, platform, external_id, kind, unit_id, title, active`

func scanChat(row interface{ Scan(...any) error }) (*Chat, error) {
	var c Chat
	if err := row.Scan(&c.ID, &c.Platform, &c.ExternalID, &c.Kind, &c.UnitID, &c.Title, &c.Active); err != nil {
		return nil, err
	}
	return &c, nil
}

// ChatByExternal returns the chat (platform, externalID).
func (s *Store) ChatByExternal(ctx context.Context, platform, externalID string) (*Chat, error) {
	c, err := scanChat(s.db.QueryRow(ctx, `SELECT `+chatColumns+` FROM chats WHERE platform = $1 AND external_id = $2`, platform, externalID))
	return c, wrap("chat", err)
}

// ChatsOfUnit returns the unit's active group chats on every platform.
func (s *Store) ChatsOfUnit(ctx context.Context, unitID int64) ([]*Chat, error) {
	rows, err := s.db.Query(ctx, `SELECT `+chatColumns+` FROM chats WHERE unit_id = $1 AND active AND kind = 'group' ORDER BY id`, unitID)
	if err != nil {
		return nil, wrap("chats of unit", err)
	}
	defer rows.Close()
	var out []*Chat
	for rows.Next() {
		c, err := scanChat(rows)
		if err != nil {
			return nil, wrap("chats of unit", err)
		}
		out = append(out, c)
	}
	return out, wrap("chats of unit", rows.Err())
}

// UpsertChat records a chat, keeping its unit when c.UnitID is nil, and sets
// c.ID.
func (s *Store) UpsertChat(ctx context.Context, c *Chat) error {
	err := s.db.QueryRow(ctx, `
		INSERT INTO chats (platform, external_id, kind, unit_id, title, active)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (platform, external_id) DO UPDATE
		   SET kind = excluded.kind, unit_id = coalesce(excluded.unit_id, chats.unit_id),
		       title = CASE WHEN excluded.title = '' THEN chats.title ELSE excluded.title END,
		       active = excluded.active, updated_at = now()
		RETURNING id, unit_id`, c.Platform, c.ExternalID, c.Kind, c.UnitID, c.Title, c.Active).Scan(&c.ID, &c.UnitID)
	return wrap("upsert chat", err)
}

// SetChatActive marks a chat as one the bot is in or was removed from.
func (s *Store) SetChatActive(ctx context.Context, platform, externalID string, active bool) error {
	_, err := s.db.Exec(ctx, `UPDATE chats SET active = $3, updated_at = now() WHERE platform = $1 AND external_id = $2`, platform, externalID, active)
	return wrap("set chat active", err)
}
