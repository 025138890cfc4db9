package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Account is a platform identity of a person or of an enterprise contact.
type Account struct {
	ID         int64
	Platform   string
	ExternalID string
	PersonID   *int64
	ContactID  *int64
	Source     string
}

// AccountByExternal returns the account (platform, externalID).
func (s *Store) AccountByExternal(ctx context.Context, platform, externalID string) (*Account, error) {
	var a Account
	err := s.db.QueryRow(ctx, `
		SELECT id, platform, external_id, person_id, contact_id, source
		FROM accounts WHERE platform = $1 AND external_id = $2`, platform, externalID).
		Scan(&a.ID, &a.Platform, &a.ExternalID, &a.PersonID, &a.ContactID, &a.Source)
	if err != nil {
		return nil, wrap("account", err)
	}
	return &a, nil
}

// UpsertAccount binds (platform, external id) to a.PersonID or a.ContactID,
// moving it when it was bound to someone else, and sets a.ID.
func (s *Store) UpsertAccount(ctx context.Context, a *Account) error {
	if a.Source == "" {
		a.Source = "campaign"
	}
	err := s.db.QueryRow(ctx, `
		INSERT INTO accounts (platform, external_id, person_id, contact_id, source)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (platform, external_id) DO UPDATE
		   SET person_id = excluded.person_id, contact_id = excluded.contact_id, source = excluded.source
		RETURNING id`, a.Platform, a.ExternalID, a.PersonID, a.ContactID, a.Source).Scan(&a.ID)
	return wrap("upsert account", err)
}

// AccountsOfPeople returns the platform accounts of the given people, keyed
// by person id, in one query.
func (s *Store) AccountsOfPeople(ctx context.Context, ids []int64) (map[int64][]Account, error) {
	rows, err := s.db.Query(ctx, `
		SELECT id, platform, external_id, person_id, contact_id, source
		FROM accounts WHERE person_id = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return nil, wrap("accounts of people", err)
	}
	defer rows.Close()
	out := map[int64][]Account{}
	for rows.Next() {
		var a Account
		if err := rows.Scan(&a.ID, &a.Platform, &a.ExternalID, &a.PersonID, &a.ContactID, &a.Source); err != nil {
			return nil, wrap("accounts of people", err)
		}
		out[*a.PersonID] = append(out[*a.PersonID], a)
	}
	return out, wrap("accounts of people", rows.Err())
}

// AccountsOfContact returns a contact's platform accounts.
func (s *Store) AccountsOfContact(ctx context.Context, contactID int64) ([]Account, error) {
	rows, err := s.db.Query(ctx, `
		SELECT id, platform, external_id, person_id, contact_id, source
		FROM accounts WHERE contact_id = $1 ORDER BY id`, contactID)
	if err != nil {
		return nil, wrap("accounts of contact", err)
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		var a Account
		if err := rows.Scan(&a.ID, &a.Platform, &a.ExternalID, &a.PersonID, &a.ContactID, &a.Source); err != nil {
			return nil, wrap("accounts of contact", err)
		}
		out = append(out, a)
	}
	return out, wrap("accounts of contact", rows.Err())
}

// Binding-code errors.
var (
	ErrCodeUnknown = errors.New("store: binding code unknown")
	ErrCodeUsed    = errors.New("store: binding code already used")
	ErrCodeExpired = errors.New("store: binding code expired")
)

// BindCode is a single-use code that binds the account it is sent from.
type BindCode struct {
	Code      string
	PersonID  *int64
	ContactID *int64
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// codeAlphabet leaves out characters that are easy to misread (0/O, 1/I/L).
const codeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// CreateBindCode issues a new 8-character code for a person or a contact,
// valid until expiresAt.
func (s *Store) CreateBindCode(ctx context.Context, personID, contactID *int64, expiresAt time.Time) (*BindCode, error) {
	b := make([]byte, 8)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(codeAlphabet))))
		if err != nil {
			return nil, fmt.Errorf("store: bind code: %w", err)
		}
		b[i] = codeAlphabet[n.Int64()]
	}
	c := &BindCode{Code: string(b), PersonID: personID, ContactID: contactID, ExpiresAt: expiresAt}
	_, err := s.db.Exec(ctx, `
		INSERT INTO bind_codes (code, person_id, contact_id, expires_at) VALUES ($1, $2, $3, $4)`,
		c.Code, personID, contactID, expiresAt)
	if err != nil {
		return nil, wrap("create bind code", err)
	}
	return c, nil
}

// UseBindCode consumes code at now and binds (platform, externalID) to its
// person or contact. The code row is locked, so of two concurrent uses one
// wins and the other gets ErrCodeUsed.
func (s *Store) UseBindCode(ctx context.Context, code, platform, externalID string, now time.Time) (*BindCode, *Account, error) {
	var c BindCode
	err := s.db.QueryRow(ctx, `
		SELECT code, person_id, contact_id, expires_at, used_at
		FROM bind_codes WHERE code = upper($1) FOR UPDATE`, code).
		Scan(&c.Code, &c.PersonID, &c.ContactID, &c.ExpiresAt, &c.UsedAt)
	if err != nil {
		if interpretError(err) == ErrNotFound {
			return nil, nil, ErrCodeUnknown
		}
		return nil, nil, wrap("use bind code", err)
	}
	switch {
	case c.UsedAt != nil:
		return &c, nil, ErrCodeUsed
	case !now.Before(c.ExpiresAt):
		return &c, nil, ErrCodeExpired
	}
	a := &Account{Platform: platform, ExternalID: externalID, PersonID: c.PersonID, ContactID: c.ContactID, Source: "bind_code"}
	if err := s.UpsertAccount(ctx, a); err != nil {
		return nil, nil, err
	}
	if _, err := s.db.Exec(ctx, `UPDATE bind_codes SET used_at = $2, account_id = $3 WHERE code = $1`, c.Code, now, a.ID); err != nil {
		return nil, nil, wrap("use bind code", err)
	}
	c.UsedAt = &now
	return &c, a, nil
}
