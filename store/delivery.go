package store

import (
	"context"
	"fmt"
	"time"
)

// Delivery states.
const (
	DeliveryPending    = "pending"
	DeliverySending    = "sending"
	DeliverySent       = "sent"
	DeliveryFailed     = "failed"
	DeliverySuperseded = "superseded"
)

// Delivery is one outbound message, durable until sent.
type Delivery struct {
	ID            int64
	Key           *string
	Platform      string
	ChatID        string
	UserID        string
	Payload       []byte
	State         string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	MessageID     string
	Subject       string
	CreatedAt     time.Time
	SentAt        *time.Time
}

const deliveryColumns = `id, key, platform, chat_id, user_id, payload, state, attempts, next_attempt_at,
	last_error, message_id, subject, created_at, sent_at`

func scanDelivery(row interface{ Scan(...any) error }) (*Delivery, error) {
	var d Delivery
	err := row.Scan(&d.ID, &d.Key, &d.Platform, &d.ChatID, &d.UserID, &d.Payload, &d.State, &d.Attempts,
		&d.NextAttemptAt, &d.LastError, &d.MessageID, &d.Subject, &d.CreatedAt, &d.SentAt)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// EnqueueDelivery inserts d as pending. A delivery whose key exists already
// is not inserted and false is returned: each key goes out once.
func (s *Store) EnqueueDelivery(ctx context.Context, d *Delivery) (bool, error) {
	next := d.NextAttemptAt
	if next.IsZero() {
		next = time.Now()
	}
	err := s.db.QueryRow(ctx, `
		INSERT INTO deliveries (key, platform, chat_id, user_id, payload, subject, next_attempt_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (key) DO NOTHING
		RETURNING id, state, created_at`, d.Key, d.Platform, d.ChatID, d.UserID, d.Payload, d.Subject, next).
		Scan(&d.ID, &d.State, &d.CreatedAt)
	if err != nil {
		if interpretError(err) == ErrNotFound {
			return false, nil
		}
		return false, wrap("enqueue delivery", err)
	}
	return true, nil
}

// ClaimDeliveries takes up to limit deliveries due at now, marks them
// sending with a lease until now+lease, and returns them. Rows claimed by
// another worker are skipped; a row whose lease ran out (its worker died) is
// claimed again.
func (s *Store) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*Delivery, error) {
	rows, err := s.db.Query(ctx, `
		WITH due AS (
		    SELECT id FROM deliveries
		    WHERE state IN ('pending', 'sending') AND next_attempt_at <= $1
		    ORDER BY next_attempt_at, id
		    LIMIT $3
		    FOR UPDATE SKIP LOCKED
		)
		UPDATE deliveries d
		   SET state = 'sending', attempts = d.attempts + 1, next_attempt_at = $2
		  FROM due WHERE d.id = due.id
		RETURNING `+prefixed("d.", deliveryColumns), now, now.Add(lease), limit)
	if err != nil {
		return nil, wrap("claim deliveries", err)
	}
	defer rows.Close()
	var out []*Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, wrap("claim deliveries", err)
		}
		out = append(out, d)
	}
	return out, wrap("claim deliveries", rows.Err())
}

// MarkDeliverySent records the platform's message id of a sent delivery.
func (s *Store) MarkDeliverySent(ctx context.Context, id int64, messageID string, at time.Time) error {
	_, err := s.db.Exec(ctx, `
		UPDATE deliveries SET state = 'sent', message_id = $2, sent_at = $3, last_error = ''
		WHERE id = $1`, id, messageID, at)
	return wrap("mark delivery sent", err)
}

// RetryDelivery records a failed attempt and schedules the next one at
// retryAt, which must be set (FailDelivery gives a delivery up).
func (s *Store) RetryDelivery(ctx context.Context, id int64, errText string, retryAt time.Time) error {
	if retryAt.IsZero() {
		return fmt.Errorf("store: retry delivery %d without a time (FailDelivery gives it up)", id)
	}
	_, err := s.db.Exec(ctx, `
		UPDATE deliveries SET state = 'pending', last_error = $2, next_attempt_at = $3
		WHERE id = $1`, id, errText, retryAt)
	return wrap("retry delivery", err)
}

// FailDelivery gives a delivery up for good: it is not attempted again and
// errText is kept as the reason.
func (s *Store) FailDelivery(ctx context.Context, id int64, errText string) error {
	_, err := s.db.Exec(ctx, `UPDATE deliveries SET state = 'failed', last_error = $2 WHERE id = $1`, id, errText)
	return wrap("fail delivery", err)
}

// DeliveryByID returns the delivery with id.
func (s *Store) DeliveryByID(ctx context.Context, id int64) (*Delivery, error) {
	d, err := scanDelivery(s.db.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = $1`, id))
	return d, wrap("delivery", err)
}

// SetDeliverySubject records that the sent message messageID on platform
// now shows subject (a card answered in place: a ledger page that became an
// item's card), so that later changes of the subject redraw it. A message
// the outbox did not send (none matches) is left alone.
func (s *Store) SetDeliverySubject(ctx context.Context, platform, messageID, subject string) error {
	if messageID == "" {
		return nil
	}
	_, err := s.db.Exec(ctx, `UPDATE deliveries SET subject = $3
		WHERE platform = $1 AND message_id = $2 AND message_id <> '' AND state = 'sent' AND subject IS DISTINCT FROM $3`,
		platform, messageID, subject)
	return wrap("set delivery subject", err)
}

// DeliveriesBySubject returns the sent deliveries about subject, so their
// cards can be updated.
func (s *Store) DeliveriesBySubject(ctx context.Context, subject string) ([]*Delivery, error) {
	rows, err := s.db.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE subject = $1 AND state = 'sent' ORDER BY id`, subject)
	if err != nil {
		return nil, wrap("deliveries by subject", err)
	}
	defer rows.Close()
	var out []*Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, wrap("deliveries by subject", err)
		}
		out = append(out, d)
	}
	return out, wrap("deliveries by subject", rows.Err())
}

// PendingDeliveries counts deliveries not yet sent nor given up.
func (s *Store) PendingDeliveries(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM deliveries WHERE state IN ('pending', 'sending')`).Scan(&n)
	return n, wrap("pending deliveries", err)
}

func prefixed(p, cols string) string {
	out := []byte{}
	start := true
	for i := 0; i < len(cols); i++ {
		c := cols[i]
		if start && c != ' ' && c != '\n' && c != '\t' {
			out = append(out, p...)
			start = false
		}
		out = append(out, c)
		if c == ',' {
			start = true
		}
	}
	return string(out)
}
