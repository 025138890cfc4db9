package store

import (
	"context"
	"encoding/json"
	"time"
)

// SimMessage is one message in a simulated chat. Card is the neutral card
// as JSON, kept opaque here (store imports nothing of ours).
type SimMessage struct {
	ID     int64
	Seq    int64
	ChatID string
	// Sender is the sender's sim account; "" for the bot.
	Sender    string
	Text      string
	Card      json.RawMessage
	Mentions  []string
	ReplyTo   string
	FileName  string
	FileMIME  string
	FileSize  int
	Submitted bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// simMessageColumns leaves out the file's content; SimFile reads it.
const simMessageColumns = `id, seq, chat_id, sender, text, card, mentions, reply_to, file_name, file_mime,
	coalesce(octet_length(file_content), 0), submitted, created_at, updated_at`

func scanSimMessage(row interface{ Scan(...any) error }) (*SimMessage, error) {
	var m SimMessage
	var card []byte
	err := row.Scan(&m.ID, &m.Seq, &m.ChatID, &m.Sender, &m.Text, &card, &m.Mentions, &m.ReplyTo,
		&m.FileName, &m.FileMIME, &m.FileSize, &m.Submitted, &m.CreatedAt, &m.UpdatedAt)
	if err != nil {
		return nil, err
	}
	if card != nil {
		m.Card = card
	}
	return &m, nil
}

// SimMessageParams is a new simulator message.
type SimMessageParams struct {
	ChatID      string
	Sender      string
	Text        string
	Card        json.RawMessage
	Mentions    []string
	ReplyTo     string
	FileName    string
	FileMIME    string
	FileContent []byte
	At          time.Time
}

// CreateSimMessage appends a message to a simulated chat and returns it.
func (s *Store) CreateSimMessage(ctx context.Context, p *SimMessageParams) (*SimMessage, error) {
	var card any
	if len(p.Card) > 0 {
		card = string(p.Card)
	}
	mentions := p.Mentions
	if mentions == nil {
		mentions = []string{}
	}
	at := p.At
	if at.IsZero() {
		at = time.Now()
	}
	m, err := scanSimMessage(s.db.QueryRow(ctx, `
		INSERT INTO sim_messages (chat_id, sender, text, card, mentions, reply_to, file_name, file_mime, file_content,
		                          created_at, updated_at)
		VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $10)
		RETURNING `+simMessageColumns,
		p.ChatID, p.Sender, p.Text, card, mentions, p.ReplyTo, p.FileName, p.FileMIME, p.FileContent, at))
	return m, wrap("create sim message", err)
}

// SimMessageByID returns the simulator message with id.
func (s *Store) SimMessageByID(ctx context.Context, id int64) (*SimMessage, error) {
	m, err := scanSimMessage(s.db.QueryRow(ctx, `SELECT `+simMessageColumns+` FROM sim_messages WHERE id = $1`, id))
	return m, wrap("sim message", err)
}

// UpdateSimCard replaces the card of a message in place, clears its
// submitted mark and gives it a fresh seq. It returns ErrNotFound when the
// message does not exist or holds no card.
func (s *Store) UpdateSimCard(ctx context.Context, id int64, card json.RawMessage) (*SimMessage, error) {
	m, err := scanSimMessage(s.db.QueryRow(ctx, `
		UPDATE sim_messages
		   SET card = $2::jsonb, submitted = false, seq = nextval('sim_messages_seq'), updated_at = now()
		 WHERE id = $1 AND card IS NOT NULL
		RETURNING `+simMessageColumns, id, string(card)))
	return m, wrap("update sim card", err)
}

// MarkSimSubmitted marks a card message as submitted (its form was sent and
// the card was not replaced), with a fresh seq.
func (s *Store) MarkSimSubmitted(ctx context.Context, id int64) (*SimMessage, error) {
	m, err := scanSimMessage(s.db.QueryRow(ctx, `
		UPDATE sim_messages SET submitted = true, seq = nextval('sim_messages_seq'), updated_at = now()
		 WHERE id = $1 AND card IS NOT NULL
		RETURNING `+simMessageColumns, id))
	return m, wrap("mark sim submitted", err)
}

// SimMessages returns the last limit messages of a chat, oldest first.
func (s *Store) SimMessages(ctx context.Context, chatID string, limit int) ([]*SimMessage, error) {
	return s.querySimMessages(ctx, "sim messages", `
		SELECT * FROM (
			SELECT `+simMessageColumns+` FROM sim_messages WHERE chat_id = $1 ORDER BY id DESC LIMIT $2
		) m ORDER BY id`, chatID, limit)
}

// SimChanges returns the messages of chats that were created or changed
// after seq, in seq order, at most limit.
func (s *Store) SimChanges(ctx context.Context, chatIDs []string, afterSeq int64, limit int) ([]*SimMessage, error) {
	return s.querySimMessages(ctx, "sim changes", `
		SELECT `+simMessageColumns+` FROM sim_messages
		 WHERE chat_id = ANY($1) AND seq > $2 ORDER BY seq LIMIT $3`, chatIDs, afterSeq, limit)
}

// SimLastSeq returns the newest seq handed out, or 0.
func (s *Store) SimLastSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := s.db.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM sim_messages`).Scan(&seq)
	return seq, wrap("sim last seq", err)
}

// SimFile returns the name, type and content of a message's file.
func (s *Store) SimFile(ctx context.Context, id int64) (name, mime string, content []byte, err error) {
	err = s.db.QueryRow(ctx, `
		SELECT file_name, file_mime, file_content FROM sim_messages
		 WHERE id = $1 AND file_content IS NOT NULL`, id).Scan(&name, &mime, &content)
	return name, mime, content, wrap("sim file", err)
}

func (s *Store) querySimMessages(ctx context.Context, what, sql string, args ...any) ([]*SimMessage, error) {
	rows, err := s.db.Query(ctx, sql, args...)
	if err != nil {
		return nil, wrap(what, err)
	}
	defer rows.Close()
	var out []*SimMessage
	for rows.Next() {
		m, err := scanSimMessage(rows)
		if err != nil {
			return nil, wrap(what, err)
		}
		out = append(out, m)
	}
	return out, wrap(what, rows.Err())
}

// SimPerson is a bureau person the simulator can play: a person of the
// campaign (a unit's leader, liaison or member, or an enterprise's contact
// leader) with a sim account.
type SimPerson struct {
	PersonID int64
	Key      string
	Name     string
	Title    string
	Account  string
	// Supervisor is true for a 社会义务监督员 of the campaign.
	Supervisor bool
}

// SimContact is an enterprise contact the simulator can play.
type SimContact struct {
	ContactID      int64
	EnterpriseID   int64
	EnterpriseKey  string
	EnterpriseName string
	Name           string
	Account        string
}

// SimGroup is a unit's simulated group chat.
type SimGroup struct {
	ChatID string // the chat's external id, "g:<unit>"
	UnitID int64
	Title  string
}

// SimDirectory is everyone and every group chat of a campaign on the sim
// platform.
type SimDirectory struct {
	People   []SimPerson
	Contacts []SimContact
	Groups   []SimGroup
	// LeaderOf maps a person id to the names of the enterprises they are the
	// contact leader of.
	LeaderOf map[int64][]string
}

// SimDirectory reads, in four queries, whom the simulator can play in a
// campaign and the units' group chats.
func (s *Store) SimDirectory(ctx context.Context, campaignID int64) (*SimDirectory, error) {
	d := &SimDirectory{LeaderOf: map[int64][]string{}}
	rows, err := s.db.Query(ctx, `
		SELECT p.id, p.key, p.name, p.title, a.external_id,
		       EXISTS (SELECT 1 FROM campaign_supervisors cs WHERE cs.campaign_id = $1 AND cs.person_id = p.id)
		FROM people p JOIN accounts a ON a.person_id = p.id AND a.platform = 'sim'
		WHERE EXISTS (SELECT 1 FROM campaign_supervisors cs WHERE cs.campaign_id = $1 AND cs.person_id = p.id)
		   OR EXISTS (SELECT 1 FROM units u WHERE u.campaign_id = $1 AND (u.leader_id = p.id OR u.liaison_id = p.id))
		   OR EXISTS (SELECT 1 FROM unit_members m JOIN units u ON u.id = m.unit_id
		              WHERE u.campaign_id = $1 AND m.person_id = p.id)
		   OR EXISTS (SELECT 1 FROM enterprises e WHERE e.campaign_id = $1 AND e.leader_id = p.id)
		ORDER BY p.id, a.id`, campaignID)
	if err != nil {
		return nil, wrap("sim directory people", err)
	}
	seen := map[int64]bool{}
	for rows.Next() {
		var p SimPerson
		if err := rows.Scan(&p.PersonID, &p.Key, &p.Name, &p.Title, &p.Account, &p.Supervisor); err != nil {
			rows.Close()
			return nil, wrap("sim directory people", err)
		}
		if !seen[p.PersonID] {
			seen[p.PersonID] = true
			d.People = append(d.People, p)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrap("sim directory people", err)
	}

	rows, err = s.db.Query(ctx, `
		SELECT c.id, e.id, e.key, e.name, c.name, a.external_id
		FROM contacts c JOIN enterprises e ON e.id = c.enterprise_id
		JOIN accounts a ON a.contact_id = c.id AND a.platform = 'sim'
		WHERE e.campaign_id = $1
		ORDER BY e.id, c.id, a.id`, campaignID)
	if err != nil {
		return nil, wrap("sim directory contacts", err)
	}
	seenC := map[int64]bool{}
	for rows.Next() {
		var c SimContact
		if err := rows.Scan(&c.ContactID, &c.EnterpriseID, &c.EnterpriseKey, &c.EnterpriseName, &c.Name, &c.Account); err != nil {
			rows.Close()
			return nil, wrap("sim directory contacts", err)
		}
		if !seenC[c.ContactID] {
			seenC[c.ContactID] = true
			d.Contacts = append(d.Contacts, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrap("sim directory contacts", err)
	}

	rows, err = s.db.Query(ctx, `
		SELECT ch.external_id, ch.unit_id, CASE WHEN ch.title = '' THEN u.name ELSE ch.title END
		FROM chats ch JOIN units u ON u.id = ch.unit_id
		WHERE ch.platform = 'sim' AND ch.kind = 'group' AND ch.active AND u.campaign_id = $1
		ORDER BY u.position, u.id, ch.id`, campaignID)
	if err != nil {
		return nil, wrap("sim directory groups", err)
	}
	for rows.Next() {
		var g SimGroup
		if err := rows.Scan(&g.ChatID, &g.UnitID, &g.Title); err != nil {
			rows.Close()
			return nil, wrap("sim directory groups", err)
		}
		d.Groups = append(d.Groups, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrap("sim directory groups", err)
	}

	rows, err = s.db.Query(ctx, `
		SELECT leader_id, name FROM enterprises
		WHERE campaign_id = $1 AND leader_id IS NOT NULL ORDER BY id`, campaignID)
	if err != nil {
		return nil, wrap("sim directory enterprises", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, wrap("sim directory enterprises", err)
		}
		d.LeaderOf[id] = append(d.LeaderOf[id], name)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("sim directory enterprises", err)
	}
	return d, nil
}
