package store

import (
	"context"
	"time"
)

// ClaimScheduleRunParams names one occurrence of a campaign's schedule.
type ClaimScheduleRunParams struct {
	CampaignID int64
	Schedule   string
	Occurrence time.Time
	Runner     string
	// Skipped records the occurrence without planning it (its day has
	// passed).
	Skipped bool
}

// ClaimScheduleRun records that an occurrence runs, in the caller's
// transaction. It returns false when the occurrence ran already (or another
// replica's transaction that claimed it commits first: the insert waits for
// it). Call it first in the transaction that enqueues the occurrence's
// deliveries, so the claim and the deliveries commit or vanish together.
func (s *Store) ClaimScheduleRun(ctx context.Context, p ClaimScheduleRunParams) (bool, error) {
	tag, err := s.db.Exec(ctx, `
		INSERT INTO scheduler_runs (campaign_id, schedule, occurrence, runner, skipped)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT DO NOTHING`, p.CampaignID, p.Schedule, p.Occurrence, p.Runner, p.Skipped)
	if err != nil {
		return false, wrap("claim schedule run", err)
	}
	return tag.RowsAffected() == 1, nil
}

// ScheduleRunDone reports whether an occurrence has run.
func (s *Store) ScheduleRunDone(ctx context.Context, campaignID int64, schedule string, occurrence time.Time) (bool, error) {
	var done bool
	err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM scheduler_runs
		WHERE campaign_id = $1 AND schedule = $2 AND occurrence = $3)`, campaignID, schedule, occurrence).Scan(&done)
	return done, wrap("schedule run done", err)
}

// SetScheduleRunEnqueued records how many deliveries an occurrence queued.
func (s *Store) SetScheduleRunEnqueued(ctx context.Context, campaignID int64, schedule string, occurrence time.Time, n int) error {
	_, err := s.db.Exec(ctx, `UPDATE scheduler_runs SET enqueued = $4
		WHERE campaign_id = $1 AND schedule = $2 AND occurrence = $3`, campaignID, schedule, occurrence, n)
	return wrap("set schedule run enqueued", err)
}

// AcquireLease takes or renews the lease name for holder for ttl, by the
// database's clock (replicas' clocks may differ). It returns false while
// another holder's lease runs.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	tag, err := s.db.Exec(ctx, `
		INSERT INTO scheduler_leases (name, holder, expires_at)
		VALUES ($1, $2, now() + $3 * interval '1 millisecond')
		ON CONFLICT (name) DO UPDATE
		   SET holder = excluded.holder, expires_at = excluded.expires_at
		 WHERE scheduler_leases.holder = excluded.holder OR scheduler_leases.expires_at < now()`,
		name, holder, ttl.Milliseconds())
	if err != nil {
		return false, wrap("acquire lease", err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReleaseLease gives up holder's lease, so another replica can take over at
// once.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := s.db.Exec(ctx, `DELETE FROM scheduler_leases WHERE name = $1 AND holder = $2`, name, holder)
	return wrap("release lease", err)
}

// EnqueueDeliveries inserts ds as pending in one statement; a delivery whose
// key exists already is dropped. It returns the ids of the new rows.
func (s *Store) EnqueueDeliveries(ctx context.Context, ds []*Delivery) ([]int64, error) {
	if len(ds) == 0 {
		return nil, nil
	}
	keys := make([]*string, len(ds))
	platforms := make([]string, len(ds))
	chats := make([]string, len(ds))
	users := make([]string, len(ds))
	payloads := make([]string, len(ds))
	subjects := make([]string, len(ds))
	nexts := make([]time.Time, len(ds))
	now := time.Now()
	for i, d := range ds {
		keys[i], platforms[i], chats[i], users[i] = d.Key, d.Platform, d.ChatID, d.UserID
		payloads[i], subjects[i], nexts[i] = string(d.Payload), d.Subject, d.NextAttemptAt
		if nexts[i].IsZero() {
			nexts[i] = now
		}
	}
	rows, err := s.db.Query(ctx, `
		INSERT INTO deliveries (key, platform, chat_id, user_id, payload, subject, next_attempt_at)
		SELECT k, p, c, u, pl::jsonb, s, n
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])
		     AS t(k, p, c, u, pl, s, n)
		ON CONFLICT (key) DO NOTHING
		RETURNING id`, keys, platforms, chats, users, payloads, subjects, nexts)
	if err != nil {
		return nil, wrap("enqueue deliveries", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, wrap("enqueue deliveries", err)
		}
		ids = append(ids, id)
	}
	return ids, wrap("enqueue deliveries", rows.Err())
}

// DeliveryStateCounts counts the deliveries with ids by state.
func (s *Store) DeliveryStateCounts(ctx context.Context, ids []int64) (map[string]int, error) {
	rows, err := s.db.Query(ctx, `SELECT state, count(*) FROM deliveries WHERE id = ANY($1) GROUP BY state`, ids)
	if err != nil {
		return nil, wrap("delivery state counts", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, wrap("delivery state counts", err)
		}
		out[st] = n
	}
	return out, wrap("delivery state counts", rows.Err())
}

// LastKeysBySubject returns, for each of subjects, the key of the newest
// delivery about it that was sent or is on its way (a failed or superseded
// one never reached its recipient): a digest's key carries the counts the
// next one compares with.
func (s *Store) LastKeysBySubject(ctx context.Context, subjects []string) (map[string]string, error) {
	rows, err := s.db.Query(ctx, `
		SELECT DISTINCT ON (subject) subject, coalesce(key, '')
		FROM deliveries WHERE subject = ANY($1) AND state IN ('pending', 'sending', 'sent')
		ORDER BY subject, id DESC`, subjects)
	if err != nil {
		return nil, wrap("last keys by subject", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var subject, key string
		if err := rows.Scan(&subject, &key); err != nil {
			return nil, wrap("last keys by subject", err)
		}
		out[subject] = key
	}
	return out, wrap("last keys by subject", rows.Err())
}
