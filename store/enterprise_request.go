package store

import (
	"context"
	"fmt"
	"time"
)

// Enterprise request states. A request is open while the enterprise waits
// for an answer, answered once the leader replied (a new message from the
// enterprise makes it open again), closed after 办结.
const (
	RequestOpen     = "open"
	RequestAnswered = "answered"
	RequestClosed   = "closed"
)

// Ratings an enterprise gives a closed request.
const (
	RatingSatisfied   = "satisfied"
	RatingBasically   = "basically"
	RatingUnsatisfied = "unsatisfied"
)

// EnterpriseRequest is a 诉求: a numbered thread between an enterprise
// contact and the leader who owns it.
type EnterpriseRequest struct {
	ID           int64
	CampaignID   int64
	Number       string
	EnterpriseID int64
	ContactID    int64
	OwnerID      int64
	State        string
	OpenedAt     time.Time
	// WaitingSince is when the enterprise's oldest unanswered message came:
	// the answer clock runs from it. Nil when nothing waits.
	WaitingSince  *time.Time
	FirstAnswerAt *time.Time
	ClosedAt      *time.Time
	Rating        *string
	RatingComment string
	LedgerItemID  *int64

	// Joined from enterprises, contacts and people.
	EnterpriseKey  string
	EnterpriseName string
	// EnterpriseLeaderID is the enterprise's current contact leader.
	EnterpriseLeaderID *int64
	ContactName        string
	ContactPhone       string
	OwnerKey           string
	OwnerName          string
}

const requestColumns = `r.id, r.campaign_id, r.number, r.enterprise_id, r.contact_id, r.owner_id, r.state,
	r.opened_at, r.waiting_since, r.first_answer_at, r.closed_at, r.rating, r.rating_comment,
	coalesce(r.ledger_item_id, (SELECT min(li.id) FROM ledger_items li WHERE li.request_id = r.id)),
	e.key, e.name, e.leader_id, c.name, c.phone, p.key, p.name`

const requestFrom = ` FROM enterprise_requests r
	JOIN enterprises e ON e.id = r.enterprise_id
	JOIN contacts c ON c.id = r.contact_id
	JOIN people p ON p.id = r.owner_id `

func scanRequest(row interface{ Scan(...any) error }) (*EnterpriseRequest, error) {
	var q EnterpriseRequest
	err := row.Scan(&q.ID, &q.CampaignID, &q.Number, &q.EnterpriseID, &q.ContactID, &q.OwnerID, &q.State,
		&q.OpenedAt, &q.WaitingSince, &q.FirstAnswerAt, &q.ClosedAt, &q.Rating, &q.RatingComment, &q.LedgerItemID,
		&q.EnterpriseKey, &q.EnterpriseName, &q.EnterpriseLeaderID, &q.ContactName, &q.ContactPhone, &q.OwnerKey, &q.OwnerName)
	if err != nil {
		return nil, err
	}
	return &q, nil
}

func (s *Store) queryRequests(ctx context.Context, what, where string, args ...any) ([]*EnterpriseRequest, error) {
	rows, err := s.db.Query(ctx, `SELECT `+requestColumns+requestFrom+` WHERE `+where, args...)
	if err != nil {
		return nil, wrap(what, err)
	}
	defer rows.Close()
	var out []*EnterpriseRequest
	for rows.Next() {
		q, err := scanRequest(rows)
		if err != nil {
			return nil, wrap(what, err)
		}
		out = append(out, q)
	}
	return out, wrap(what, rows.Err())
}

// EnterpriseRequestByID returns the request with id.
func (s *Store) EnterpriseRequestByID(ctx context.Context, id int64) (*EnterpriseRequest, error) {
	q, err := scanRequest(s.db.QueryRow(ctx, `SELECT `+requestColumns+requestFrom+` WHERE r.id = $1`, id))
	return q, wrap("enterprise request", err)
}

// LockEnterpriseRequest returns the request with id, its row locked until
// the transaction ends: every change of a request goes through it, so two
// clicks on one request are applied one after the other.
func (s *Store) LockEnterpriseRequest(ctx context.Context, id int64) (*EnterpriseRequest, error) {
	q, err := scanRequest(s.db.QueryRow(ctx, `SELECT `+requestColumns+requestFrom+` WHERE r.id = $1 FOR UPDATE OF r`, id))
	return q, wrap("lock enterprise request", err)
}

// EnterpriseRequestByNumber returns the campaign's request numbered number.
func (s *Store) EnterpriseRequestByNumber(ctx context.Context, campaignID int64, number string) (*EnterpriseRequest, error) {
	q, err := scanRequest(s.db.QueryRow(ctx, `SELECT `+requestColumns+requestFrom+`
		WHERE r.campaign_id = $1 AND r.number = upper($2)`, campaignID, number))
	return q, wrap("enterprise request by number", err)
}

// OpenRequestOfContact returns the contact's request that is not closed,
// locked, after locking the contact's row: of two first messages arriving at
// once, the second waits and then joins the request the first opened.
func (s *Store) OpenRequestOfContact(ctx context.Context, contactID int64) (*EnterpriseRequest, error) {
	if _, err := s.db.Exec(ctx, `SELECT 1 FROM contacts WHERE id = $1 FOR UPDATE`, contactID); err != nil {
		return nil, wrap("lock contact", err)
	}
	q, err := scanRequest(s.db.QueryRow(ctx, `SELECT `+requestColumns+requestFrom+`
		WHERE r.contact_id = $1 AND r.state <> 'closed' FOR UPDATE OF r`, contactID))
	return q, wrap("open request of contact", err)
}

// CreateEnterpriseRequestParams opens a request.
type CreateEnterpriseRequestParams struct {
	CampaignID   int64
	EnterpriseID int64
	ContactID    int64
	OwnerID      int64
	// Prefix and Year make the number: QY-2026-0012.
	Prefix string
	Year   int
	At     time.Time
}

// CreateEnterpriseRequest opens a request numbered Prefix-Year-NNNN from a
// gapless counter per campaign and year. The counter row stays locked until
// the transaction ends, so concurrent requests get consecutive numbers and a
// rolled-back one gives its number back.
func (s *Store) CreateEnterpriseRequest(ctx context.Context, p CreateEnterpriseRequestParams) (*EnterpriseRequest, error) {
	var n int
	scope := fmt.Sprintf("request:%d:%d", p.CampaignID, p.Year)
	err := s.db.QueryRow(ctx, `
		INSERT INTO counters (scope, value) VALUES ($1, 1)
		ON CONFLICT (scope) DO UPDATE SET value = counters.value + 1
		RETURNING value`, scope).Scan(&n)
	if err != nil {
		return nil, wrap("request counter", err)
	}
	number := fmt.Sprintf("%s-%d-%04d", p.Prefix, p.Year, n)
	var id int64
	err = s.db.QueryRow(ctx, `
		INSERT INTO enterprise_requests (campaign_id, number, enterprise_id, contact_id, owner_id, state, opened_at, waiting_since)
		VALUES ($1, $2, $3, $4, $5, 'open', $6, $6)
		RETURNING id`, p.CampaignID, number, p.EnterpriseID, p.ContactID, p.OwnerID, p.At).Scan(&id)
	if err != nil {
		return nil, wrap("create enterprise request", err)
	}
	return s.EnterpriseRequestByID(ctx, id)
}

// MarkRequestWaiting records a new message from the enterprise at at: the
// request is open again and its clock runs from at, unless it was already
// waiting (the clock keeps its older start).
func (s *Store) MarkRequestWaiting(ctx context.Context, id int64, at time.Time) error {
	_, err := s.db.Exec(ctx, `
		UPDATE enterprise_requests
		   SET state = 'open', waiting_since = CASE WHEN state = 'open' AND waiting_since IS NOT NULL THEN waiting_since ELSE $2 END
		 WHERE id = $1`, id, at)
	return wrap("mark request waiting", err)
}

// MarkRequestAnswered records the leader's answer at at: the clock stops and
// the first answer's time is kept.
func (s *Store) MarkRequestAnswered(ctx context.Context, id int64, at time.Time) error {
	_, err := s.db.Exec(ctx, `
		UPDATE enterprise_requests
		   SET state = CASE WHEN state = 'closed' THEN state ELSE 'answered' END,
		       waiting_since = NULL, first_answer_at = coalesce(first_answer_at, $2)
		 WHERE id = $1`, id, at)
	return wrap("mark request answered", err)
}

// SetRequestOwner hands the request to another person.
func (s *Store) SetRequestOwner(ctx context.Context, id, ownerID int64) error {
	_, err := s.db.Exec(ctx, `UPDATE enterprise_requests SET owner_id = $2 WHERE id = $1`, id, ownerID)
	return wrap("set request owner", err)
}

// CloseEnterpriseRequest closes the request at at; it waits for a new
// rating.
func (s *Store) CloseEnterpriseRequest(ctx context.Context, id int64, at time.Time) error {
	_, err := s.db.Exec(ctx, `
		UPDATE enterprise_requests
		   SET state = 'closed', closed_at = $2, waiting_since = NULL, rating = NULL, rating_comment = ''
		 WHERE id = $1`, id, at)
	return wrap("close enterprise request", err)
}

// RateEnterpriseRequest records the enterprise's rating of a closed request
// and returns the rating's id. An unsatisfied rating reopens the request,
// its clock running from at.
func (s *Store) RateEnterpriseRequest(ctx context.Context, q *EnterpriseRequest, rating, comment string, at time.Time) (int64, error) {
	var id int64
	err := s.db.QueryRow(ctx, `
		INSERT INTO request_ratings (request_id, owner_id, contact_id, rating, comment, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, q.ID, q.OwnerID, q.ContactID, rating, comment, at).Scan(&id)
	if err != nil {
		return 0, wrap("rate request", err)
	}
	if rating == RatingUnsatisfied {
		_, err = s.db.Exec(ctx, `
			UPDATE enterprise_requests
			   SET rating = $2, rating_comment = $3, state = 'open', closed_at = NULL, waiting_since = $4
			 WHERE id = $1`, q.ID, rating, comment, at)
	} else {
		_, err = s.db.Exec(ctx, `UPDATE enterprise_requests SET rating = $2, rating_comment = $3 WHERE id = $1`, q.ID, rating, comment)
	}
	return id, wrap("rate request", err)
}

// SetRatingComment adds the enterprise's comment to its latest rating.
func (s *Store) SetRatingComment(ctx context.Context, requestID int64, comment string) error {
	_, err := s.db.Exec(ctx, `
		UPDATE request_ratings SET comment = $2
		 WHERE id = (SELECT max(id) FROM request_ratings WHERE request_id = $1)`, requestID, comment)
	if err != nil {
		return wrap("rating comment", err)
	}
	_, err = s.db.Exec(ctx, `UPDATE enterprise_requests SET rating_comment = $2 WHERE id = $1`, requestID, comment)
	return wrap("rating comment", err)
}

// LinkRequestItem records the ledger item a request became.
func (s *Store) LinkRequestItem(ctx context.Context, requestID, itemID int64) error {
	_, err := s.db.Exec(ctx, `UPDATE enterprise_requests SET ledger_item_id = $2 WHERE id = $1`, requestID, itemID)
	return wrap("link request item", err)
}

// RequestsOfEnterprise returns the enterprise's requests, newest first; with
// openOnly, only those not closed.
func (s *Store) RequestsOfEnterprise(ctx context.Context, enterpriseID int64, openOnly bool, limit int) ([]*EnterpriseRequest, error) {
	return s.queryRequests(ctx, "requests of enterprise", `r.enterprise_id = $1 AND (NOT $2 OR r.state <> 'closed')
		ORDER BY r.opened_at DESC, r.id DESC LIMIT $3`, enterpriseID, openOnly, limit)
}

// RequestsVisibleTo returns the campaign's requests that are not closed and
// that person may see: those he owns or whose enterprise he is paired with;
// all of them when all is set (the office). Oldest waiting first.
func (s *Store) RequestsVisibleTo(ctx context.Context, campaignID, personID int64, all bool, limit int) ([]*EnterpriseRequest, error) {
	return s.queryRequests(ctx, "requests visible to", `r.campaign_id = $1 AND r.state <> 'closed'
		AND ($3 OR r.owner_id = $2 OR e.leader_id = $2)
		ORDER BY r.state = 'answered', coalesce(r.waiting_since, r.opened_at), r.id LIMIT $4`, campaignID, personID, all, limit)
}

// LatestRequestFor returns the campaign's request, not closed, that
// personID owns and most recently got a message on from its enterprise: the
// one a leader's typed "回复 …" answers when it names none.
func (s *Store) LatestRequestFor(ctx context.Context, campaignID, personID int64) (*EnterpriseRequest, error) {
	q, err := scanRequest(s.db.QueryRow(ctx, `SELECT `+requestColumns+requestFrom+`
		WHERE r.campaign_id = $1 AND r.owner_id = $2 AND r.state <> 'closed'
		ORDER BY (SELECT max(m.created_at) FROM request_messages m WHERE m.request_id = r.id AND m.direction = 'in') DESC NULLS LAST,
		         r.opened_at DESC, r.id DESC
		LIMIT 1`, campaignID, personID))
	return q, wrap("latest request for", err)
}

// OpenRequestsOwnedBy returns the enterprise's requests that are not closed
// and that ownerID owns: those that move when its contact leader changes.
func (s *Store) OpenRequestsOwnedBy(ctx context.Context, enterpriseID, ownerID int64) ([]*EnterpriseRequest, error) {
	return s.queryRequests(ctx, "open requests owned by", `r.enterprise_id = $1 AND r.owner_id = $2 AND r.state <> 'closed'
		ORDER BY r.id FOR UPDATE OF r`, enterpriseID, ownerID)
}

// RequestsWaitingSince returns the campaign's open requests whose clock
// started at or before before, oldest first: the candidates for the answer
// clock's reminders (working hours never run faster than the wall clock, so
// a request that started later cannot be late yet).
func (s *Store) RequestsWaitingSince(ctx context.Context, campaignID int64, before time.Time) ([]*EnterpriseRequest, error) {
	return s.queryRequests(ctx, "requests waiting", `r.campaign_id = $1 AND r.state = 'open'
		AND r.waiting_since IS NOT NULL AND r.waiting_since <= $2
		ORDER BY r.waiting_since, r.id`, campaignID, before)
}

// AnsweredRequestsQuietSince returns the campaign's answered requests with
// no message in their thread, either way, after before: answered, not rated,
// and quiet since (the candidates for request_autoclose_days). It locks
// them, so two planners never close one twice.
func (s *Store) AnsweredRequestsQuietSince(ctx context.Context, campaignID int64, before time.Time) ([]*EnterpriseRequest, error) {
	return s.queryRequests(ctx, "answered requests quiet", `r.campaign_id = $1 AND r.state = 'answered'
		AND NOT EXISTS (SELECT 1 FROM request_messages m WHERE m.request_id = r.id AND m.created_at > $2)
		ORDER BY r.id FOR UPDATE OF r`, campaignID, before)
}

// OwnerRequestStats is one leader's record with enterprise requests.
type OwnerRequestStats struct {
	OwnerID  int64
	Opened   int
	Answered int
	// AvgFirstAnswer is the mean time from opening to the first answer
	// over the answered requests.
	AvgFirstAnswer time.Duration
	Satisfied      int
	Basically      int
	Unsatisfied    int
}

// RequestStats returns, per owning leader, the requests opened in
// [from, to), how many were answered and how fast, and the ratings given in
// that span: what the office digest and the monthly report show.
func (s *Store) RequestStats(ctx context.Context, campaignID int64, from, to time.Time) (map[int64]*OwnerRequestStats, error) {
	rows, err := s.db.Query(ctx, `
		WITH opened AS (
		    SELECT owner_id, count(*) AS n, count(first_answer_at) AS answered,
		           coalesce(avg(extract(epoch FROM first_answer_at - opened_at)), 0) AS avg_s
		    FROM enterprise_requests
		    WHERE campaign_id = $1 AND opened_at >= $2 AND opened_at < $3
		    GROUP BY owner_id
		), rated AS (
		    SELECT g.owner_id,
		           count(*) FILTER (WHERE g.rating = 'satisfied') AS s,
		           count(*) FILTER (WHERE g.rating = 'basically') AS b,
		           count(*) FILTER (WHERE g.rating = 'unsatisfied') AS u
		    FROM request_ratings g JOIN enterprise_requests r ON r.id = g.request_id
		    WHERE r.campaign_id = $1 AND g.created_at >= $2 AND g.created_at < $3
		    GROUP BY g.owner_id
		)
		SELECT coalesce(o.owner_id, t.owner_id), coalesce(o.n, 0), coalesce(o.answered, 0), coalesce(o.avg_s, 0)::float8,
		       coalesce(t.s, 0), coalesce(t.b, 0), coalesce(t.u, 0)
		FROM opened o FULL JOIN rated t ON t.owner_id = o.owner_id`, campaignID, from, to)
	if err != nil {
		return nil, wrap("request stats", err)
	}
	defer rows.Close()
	out := map[int64]*OwnerRequestStats{}
	for rows.Next() {
		var st OwnerRequestStats
		var avg float64
		if err := rows.Scan(&st.OwnerID, &st.Opened, &st.Answered, &avg, &st.Satisfied, &st.Basically, &st.Unsatisfied); err != nil {
			return nil, wrap("request stats", err)
		}
		st.AvgFirstAnswer = time.Duration(avg * float64(time.Second))
		out[st.OwnerID] = &st
	}
	return out, wrap("request stats", rows.Err())
}

// UnratedClosedRequestOfContact returns the contact's most recently closed
// request that has no rating yet, locked, or ErrNotFound.
func (s *Store) UnratedClosedRequestOfContact(ctx context.Context, contactID int64) (*EnterpriseRequest, error) {
	q, err := scanRequest(s.db.QueryRow(ctx, `SELECT `+requestColumns+requestFrom+`
		WHERE r.contact_id = $1 AND r.state = 'closed' AND r.rating IS NULL
		ORDER BY r.closed_at DESC, r.id DESC LIMIT 1 FOR UPDATE OF r`, contactID))
	return q, wrap("unrated closed request", err)
}
