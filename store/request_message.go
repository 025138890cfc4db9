package store

import (
	"context"
	"time"
)

// Request message directions: from the enterprise, to it, or an internal
// note (a transfer, a succession) the enterprise does not see.
const (
	MessageIn   = "in"
	MessageOut  = "out"
	MessageNote = "note"
)

// RequestMessage is one message of a request's thread.
type RequestMessage struct {
	ID        int64
	RequestID int64
	Direction string
	PersonID  *int64
	ContactID *int64
	Text      string
	FileID    *int64
	Platform  string
	MessageID string
	// Held is a reply waiting for the enterprise's 微信客服 window.
	Held      bool
	CreatedAt time.Time

	// PersonName is the author's name for out and note messages.
	PersonName string
	// FileName is the attachment's name.
	FileName string
}

const messageColumns = `m.id, m.request_id, m.direction, m.person_id, m.contact_id, m.text, m.file_id, m.platform,
	m.message_id, m.held, m.created_at, coalesce(p.name, ''), coalesce(f.name, '')`

const messageFrom = ` FROM request_messages m
	LEFT JOIN people p ON p.id = m.person_id
	LEFT JOIN files f ON f.id = m.file_id `

func (s *Store) queryMessages(ctx context.Context, what, sql string, args ...any) ([]*RequestMessage, error) {
	rows, err := s.db.Query(ctx, sql, args...)
	if err != nil {
		return nil, wrap(what, err)
	}
	defer rows.Close()
	var out []*RequestMessage
	for rows.Next() {
		var m RequestMessage
		if err := rows.Scan(&m.ID, &m.RequestID, &m.Direction, &m.PersonID, &m.ContactID, &m.Text, &m.FileID, &m.Platform,
			&m.MessageID, &m.Held, &m.CreatedAt, &m.PersonName, &m.FileName); err != nil {
			return nil, wrap(what, err)
		}
		out = append(out, &m)
	}
	return out, wrap(what, rows.Err())
}

// AddRequestMessage appends m to its request's thread and sets m.ID.
func (s *Store) AddRequestMessage(ctx context.Context, m *RequestMessage) error {
	err := s.db.QueryRow(ctx, `
		INSERT INTO request_messages (request_id, direction, person_id, contact_id, text, file_id, platform, message_id, held, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		m.RequestID, m.Direction, m.PersonID, m.ContactID, m.Text, m.FileID, m.Platform, m.MessageID, m.Held, m.CreatedAt).Scan(&m.ID)
	return wrap("add request message", err)
}

// RequestMessages returns the last limit messages of a request, oldest
// first.
func (s *Store) RequestMessages(ctx context.Context, requestID int64, limit int) ([]*RequestMessage, error) {
	return s.queryMessages(ctx, "request messages", `SELECT * FROM (SELECT `+messageColumns+messageFrom+`
		WHERE m.request_id = $1 ORDER BY m.id DESC LIMIT $2) x ORDER BY id`, requestID, limit)
}

// HeldMessagesOfContact returns the replies held for a contact's 微信客服
// window, oldest first, locked.
func (s *Store) HeldMessagesOfContact(ctx context.Context, contactID int64) ([]*RequestMessage, error) {
	return s.queryMessages(ctx, "held messages", `SELECT `+messageColumns+messageFrom+`
		JOIN enterprise_requests r ON r.id = m.request_id
		WHERE r.contact_id = $1 AND m.held ORDER BY m.id FOR UPDATE OF m`, contactID)
}

// SetMessageHeld marks a reply held (waiting for the window) or released.
func (s *Store) SetMessageHeld(ctx context.Context, id int64, held bool) error {
	_, err := s.db.Exec(ctx, `UPDATE request_messages SET held = $2 WHERE id = $1`, id, held)
	return wrap("set message held", err)
}

// KFWindowOf returns a WeChat user's 微信客服 reply window without locking
// it (the adapter locks it around each send), or ErrNotFound.
func (s *Store) KFWindowOf(ctx context.Context, externalUserID string) (*KFWindow, error) {
	w := KFWindow{ExternalUserID: externalUserID}
	err := s.db.QueryRow(ctx, `SELECT open_kfid, last_inbound_at, replies FROM wecom_kf_windows WHERE external_userid = $1`,
		externalUserID).Scan(&w.OpenKFID, &w.LastInboundAt, &w.Replies)
	if err != nil {
		return nil, wrap("kf window", err)
	}
	return &w, nil
}

// QueuedDeliveriesTo counts the deliveries to a user of a platform that are
// queued and not yet sent: with the replies sent, what a 微信客服 window
// has used.
func (s *Store) QueuedDeliveriesTo(ctx context.Context, platform, userID string) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM deliveries
		WHERE platform = $1 AND user_id = $2 AND state IN ('pending', 'sending')`, platform, userID).Scan(&n)
	return n, wrap("queued deliveries", err)
}

// UndeliveredReply is a leader's reply the outbox gave up on.
type UndeliveredReply struct {
	DeliveryID int64
	Error      string
	Message    *RequestMessage
	RequestID  int64
	Number     string
	OwnerID    int64
	Enterprise string
}

// UndeliveredReplies returns the campaign's relay messages (deliveries keyed
// "ereq-msg:<message id>:<n>") that failed since since and that were not
// yet reported (MarkUndeliveredReported).
func (s *Store) UndeliveredReplies(ctx context.Context, campaignID int64, since time.Time) ([]*UndeliveredReply, error) {
	rows, err := s.db.Query(ctx, `
		SELECT d.id, d.last_error, m.id, m.text, m.created_at, r.id, r.number, r.owner_id, e.name
		FROM deliveries d
		JOIN request_messages m ON d.key LIKE 'ereq-msg:%' AND m.id::text = split_part(d.key, ':', 2)
		JOIN enterprise_requests r ON r.id = m.request_id
		JOIN enterprises e ON e.id = r.enterprise_id
		WHERE d.state = 'failed' AND d.created_at >= $2 AND r.campaign_id = $1
		  AND (m.failed_delivery_id IS NULL OR m.failed_delivery_id < d.id)
		ORDER BY d.id`, campaignID, since)
	if err != nil {
		return nil, wrap("undelivered replies", err)
	}
	defer rows.Close()
	var out []*UndeliveredReply
	for rows.Next() {
		u := UndeliveredReply{Message: &RequestMessage{Direction: MessageOut}}
		if err := rows.Scan(&u.DeliveryID, &u.Error, &u.Message.ID, &u.Message.Text, &u.Message.CreatedAt,
			&u.RequestID, &u.Number, &u.OwnerID, &u.Enterprise); err != nil {
			return nil, wrap("undelivered replies", err)
		}
		u.Message.RequestID = u.RequestID
		out = append(out, &u)
	}
	return out, wrap("undelivered replies", rows.Err())
}

// MarkUndeliveredReported records that the leader was told about the failed
// delivery of a message.
func (s *Store) MarkUndeliveredReported(ctx context.Context, messageID, deliveryID int64) error {
	_, err := s.db.Exec(ctx, `UPDATE request_messages SET failed_delivery_id = greatest(coalesce(failed_delivery_id, 0), $2) WHERE id = $1`,
		messageID, deliveryID)
	return wrap("mark undelivered reported", err)
}
