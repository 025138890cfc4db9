package store

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
)

// RequestContext is what every event needs to know before it is handled:
// the current campaign, who sent it (a person with their roles in the
// campaign, or an enterprise contact) and the chat it came from. Each is nil
// (Roles zero) when unknown.
type RequestContext struct {
	Campaign *Campaign
	Person   *Person
	Roles    Roles
	Contact  *Contact
	Chat     *Chat
}

// LoadRequestContext reads an event's context for the account externalID
// and the chat chatID on platform in one round trip (a pipelined batch of
// five lookups): it runs on every event.
func (s *Store) LoadRequestContext(ctx context.Context, platform, externalID, chatID string) (*RequestContext, error) {
	const campaign = `(SELECT id FROM campaigns ORDER BY id DESC LIMIT 1)`
	const account = `FROM accounts WHERE platform = $1 AND external_id = $2`
	b := &pgx.Batch{}
	out := &RequestContext{}
	one := func(err error, what string) error {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return wrap(what, err)
	}
	b.Queue(`SELECT ` + campaignColumns + ` FROM campaigns ORDER BY id DESC LIMIT 1`).QueryRow(func(row pgx.Row) error {
		c, err := scanCampaign(row)
		out.Campaign = c
		return one(err, "current campaign")
	})
	b.Queue(`SELECT `+personColumns+` FROM people WHERE id = (SELECT person_id `+account+`)`, platform, externalID).QueryRow(func(row pgx.Row) error {
		p, err := scanPerson(row)
		out.Person = p
		return one(err, "person of account")
	})
	b.Queue(`SELECT id, enterprise_id, name, phone FROM contacts WHERE id = (SELECT contact_id `+account+`)`, platform, externalID).QueryRow(func(row pgx.Row) error {
		var c Contact
		err := row.Scan(&c.ID, &c.EnterpriseID, &c.Name, &c.Phone)
		if err == nil {
			out.Contact = &c
		}
		return one(err, "contact of account")
	})
	b.Queue(rolesSQL(campaign, `(SELECT person_id `+account+`)`), platform, externalID).QueryRow(func(row pgx.Row) error {
		var r Roles
		if err := row.Scan(&r.Office, &r.Leads, &r.Liaises, &r.Member, &r.Supervisor); err != nil {
			return wrap("roles", err)
		}
		if out.Campaign != nil && out.Person != nil {
			out.Roles = r
		}
		return nil
	})
	b.Queue(`SELECT `+chatColumns+` FROM chats WHERE platform = $1 AND external_id = $2`, platform, chatID).QueryRow(func(row pgx.Row) error {
		c, err := scanChat(row)
		out.Chat = c
		return one(err, "chat")
	})
	if err := s.db.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	return out, nil
}
