package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// The web 看板's login links and sessions (migration 180). Callers hand in
// the secret (the link's token, the session cookie); only its sha256 is
// stored or compared, so the table opens nothing by itself.

// DashSession is an open 看板 session.
type DashSession struct {
	CampaignID int64
	PersonID   int64
	CSRF       string
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// ErrDashTokenUsed is returned when a login link was already used or has
// expired (or never existed).
var ErrDashTokenUsed = errors.New("store: dashboard link used or expired")

func secretHash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// CreateDashToken keeps a login link's token (hashed) for person, valid
// until expires.
func (s *Store) CreateDashToken(ctx context.Context, campaignID, personID int64, token string, now, expires time.Time) error {
	_, err := s.db.Exec(ctx, `INSERT INTO dash_tokens (hash, campaign_id, person_id, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, secretHash(token), campaignID, personID, now, expires)
	return wrap("create dashboard token", err)
}

// UseDashToken spends a login link's token at now and returns whom it is
// for; a token used before, expired or unknown is ErrDashTokenUsed. Two
// concurrent uses: one wins, the other gets ErrDashTokenUsed.
func (s *Store) UseDashToken(ctx context.Context, token string, now time.Time) (campaignID, personID int64, err error) {
	err = s.db.QueryRow(ctx, `UPDATE dash_tokens SET used_at = $2
		WHERE hash = $1 AND used_at IS NULL AND expires_at > $2
		RETURNING campaign_id, person_id`, secretHash(token), now).Scan(&campaignID, &personID)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, 0, ErrDashTokenUsed
	}
	return campaignID, personID, wrap("use dashboard token", err)
}

// CreateDashSession opens a session under the cookie secret.
func (s *Store) CreateDashSession(ctx context.Context, secret string, ds DashSession) error {
	_, err := s.db.Exec(ctx, `INSERT INTO dash_sessions (hash, campaign_id, person_id, csrf, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, secretHash(secret), ds.CampaignID, ds.PersonID, ds.CSRF, ds.CreatedAt, ds.ExpiresAt)
	return wrap("create dashboard session", err)
}

// DashSessionBySecret returns the session of the cookie secret open at
// now, or ErrNotFound.
func (s *Store) DashSessionBySecret(ctx context.Context, secret string, now time.Time) (*DashSession, error) {
	var ds DashSession
	err := s.db.QueryRow(ctx, `SELECT campaign_id, person_id, csrf, created_at, expires_at FROM dash_sessions
		WHERE hash = $1 AND ended_at IS NULL AND expires_at > $2`, secretHash(secret), now).
		Scan(&ds.CampaignID, &ds.PersonID, &ds.CSRF, &ds.CreatedAt, &ds.ExpiresAt)
	if err != nil {
		return nil, wrap("dashboard session", err)
	}
	return &ds, nil
}

// EndDashSession ends the session of the cookie secret; ending one that
// is not open does nothing.
func (s *Store) EndDashSession(ctx context.Context, secret string, now time.Time) error {
	_, err := s.db.Exec(ctx, `UPDATE dash_sessions SET ended_at = $2 WHERE hash = $1 AND ended_at IS NULL`, secretHash(secret), now)
	return wrap("end dashboard session", err)
}

// PruneDash deletes tokens and sessions that ended or expired before
// cutoff, and returns how many rows went.
func (s *Store) PruneDash(ctx context.Context, cutoff time.Time) (int64, error) {
	a, err := s.db.Exec(ctx, `DELETE FROM dash_tokens WHERE expires_at < $1`, cutoff)
	if err != nil {
		return 0, wrap("prune dashboard tokens", err)
	}
	b, err := s.db.Exec(ctx, `DELETE FROM dash_sessions WHERE expires_at < $1 OR ended_at < $1`, cutoff)
	if err != nil {
		return 0, wrap("prune dashboard sessions", err)
	}
	return a.RowsAffected() + b.RowsAffected(), nil
}
