package store

import (
	"context"
	"fmt"
	"time"
)

// LockKFCursor returns the sync_msg cursor of a 微信客服 account and locks it
// until the transaction ends, so one process at a time syncs an account;
// another one waits and then continues from the cursor the first one saved.
// Call it inside InTx.
func (s *Store) LockKFCursor(ctx context.Context, openKFID string) (string, error) {
	if _, err := s.db.Exec(ctx, `INSERT INTO wecom_kf_cursors (open_kfid) VALUES ($1) ON CONFLICT DO NOTHING`, openKFID); err != nil {
		return "", wrap("lock kf cursor", err)
	}
	var cursor string
	err := s.db.QueryRow(ctx, `SELECT cursor FROM wecom_kf_cursors WHERE open_kfid = $1 FOR UPDATE`, openKFID).Scan(&cursor)
	return cursor, wrap("lock kf cursor", err)
}

// SetKFCursor saves the cursor after a page of messages was dispatched.
func (s *Store) SetKFCursor(ctx context.Context, openKFID, cursor string, at time.Time) error {
	_, err := s.db.Exec(ctx, `
		INSERT INTO wecom_kf_cursors (open_kfid, cursor, synced_at) VALUES ($1, $2, $3)
		ON CONFLICT (open_kfid) DO UPDATE SET cursor = excluded.cursor, synced_at = excluded.synced_at, updated_at = now()`,
		openKFID, cursor, at)
	return wrap("set kf cursor", err)
}

// KFAccounts returns the 微信客服 accounts synced before, to catch up on
// start.
func (s *Store) KFAccounts(ctx context.Context) ([]string, error) {
	rows, err := s.db.Query(ctx, `SELECT open_kfid FROM wecom_kf_cursors ORDER BY open_kfid`)
	if err != nil {
		return nil, wrap("kf accounts", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, wrap("kf accounts", err)
		}
		out = append(out, id)
	}
	return out, wrap("kf accounts", rows.Err())
}

// KFWindow is the reply window of a WeChat user writing to 微信客服.
type KFWindow struct {
	ExternalUserID string
	OpenKFID       string
	LastInboundAt  time.Time
	Replies        int
}

// NoteKFInbound records a message from a WeChat user: a newer message
// reopens the reply window (no replies used yet).
func (s *Store) NoteKFInbound(ctx context.Context, openKFID, externalUserID string, at time.Time) error {
	_, err := s.db.Exec(ctx, `
		INSERT INTO wecom_kf_windows (external_userid, open_kfid, last_inbound_at) VALUES ($1, $2, $3)
		ON CONFLICT (external_userid) DO UPDATE
		   SET open_kfid = excluded.open_kfid, last_inbound_at = excluded.last_inbound_at, replies = 0, updated_at = now()
		 WHERE wecom_kf_windows.last_inbound_at < excluded.last_inbound_at`, externalUserID, openKFID, at)
	return wrap("note kf inbound", err)
}

// LockKFWindow returns a user's reply window locked until the transaction
// ends; ErrNotFound when the user never wrote.
func (s *Store) LockKFWindow(ctx context.Context, externalUserID string) (*KFWindow, error) {
	w := KFWindow{ExternalUserID: externalUserID}
	err := s.db.QueryRow(ctx, `SELECT open_kfid, last_inbound_at, replies FROM wecom_kf_windows WHERE external_userid = $1 FOR UPDATE`,
		externalUserID).Scan(&w.OpenKFID, &w.LastInboundAt, &w.Replies)
	if err != nil {
		return nil, wrap("lock kf window", err)
	}
	return &w, nil
}

// AddKFReply counts one reply sent in the user's window.
func (s *Store) AddKFReply(ctx context.Context, externalUserID string) error {
	_, err := s.db.Exec(ctx, `UPDATE wecom_kf_windows SET replies = replies + 1, updated_at = now() WHERE external_userid = $1`, externalUserID)
	return wrap("add kf reply", err)
}

// SendLimit is at most Max messages to one member per Per.
type SendLimit struct {
	Per time.Duration
	Max int
}

// ReserveWeComSends takes n sends for each user under every limit, all or
// nothing. When a user is at a limit it takes none and returns how long until
// a slot frees. Rows older than the longest period are pruned. Concurrent
// reservations for a user (other replicas) wait on an advisory lock.
func (s *Store) ReserveWeComSends(ctx context.Context, userIDs []string, n int, now time.Time, limits []SendLimit) (time.Duration, error) {
	var wait time.Duration
	err := s.InTx(ctx, func(tx *Store) error {
		var longest time.Duration
		for _, l := range limits {
			longest = max(longest, l.Per)
		}
		for _, u := range userIDs {
			if _, err := tx.db.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('wecom_sends:' || $1, 0))`, u); err != nil {
				return wrap("lock sends", err)
			}
			if _, err := tx.db.Exec(ctx, `DELETE FROM wecom_sends WHERE user_id = $1 AND sent_at <= $2`, u, now.Add(-longest)); err != nil {
				return wrap("prune sends", err)
			}
			for _, l := range limits {
				var used int
				if err := tx.db.QueryRow(ctx, `SELECT count(*) FROM wecom_sends WHERE user_id = $1 AND sent_at > $2`,
					u, now.Add(-l.Per)).Scan(&used); err != nil {
					return wrap("count sends", err)
				}
				if used+n <= l.Max {
					continue
				}
				if n > l.Max {
					return fmt.Errorf("store: %d sends can never fit a limit of %d per %s", n, l.Max, l.Per)
				}
				// The slots free when the (used+n-Max)-th oldest send leaves the period.
				var oldest time.Time
				if err := tx.db.QueryRow(ctx, `SELECT sent_at FROM wecom_sends WHERE user_id = $1 AND sent_at > $2
					ORDER BY sent_at OFFSET $3 LIMIT 1`, u, now.Add(-l.Per), used+n-l.Max-1).Scan(&oldest); err != nil {
					return wrap("count sends", err)
				}
				wait = max(wait, oldest.Add(l.Per).Sub(now), time.Second)
			}
		}
		if wait > 0 {
			return nil
		}
		for _, u := range userIDs {
			if _, err := tx.db.Exec(ctx, `INSERT INTO wecom_sends (user_id, sent_at) SELECT $1, $2 FROM generate_series(1, $3)`, u, now, n); err != nil {
				return wrap("reserve send", err)
			}
		}
		return nil
	})
	return wait, err
}

// NoteWeComInvalidUsers records recipients WeCom refused in a send that
// otherwise succeeded.
func (s *Store) NoteWeComInvalidUsers(ctx context.Context, userIDs []string, reason string) error {
	for _, u := range userIDs {
		_, err := s.db.Exec(ctx, `
			INSERT INTO wecom_invalid_users (user_id, reason) VALUES ($1, $2)
			ON CONFLICT (user_id) DO UPDATE SET reason = excluded.reason, count = wecom_invalid_users.count + 1, last_at = now()`, u, reason)
		if err != nil {
			return wrap("note invalid user", err)
		}
	}
	return nil
}
