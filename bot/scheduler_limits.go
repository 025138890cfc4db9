package bot

import (
	"context"
	"math"
	"strconv"
	"sync"
	"time"
)

// Send rate limits (DESIGN 5), applied by the delivery worker before each
// send, per recipient and per platform: Feishu 5 QPS per chat or user and
// 50 req/s per API; WeCom 30 messages per member per minute (the excess is
// dropped silently, so it must never be reached); DingTalk robots 20 per
// minute per chat. A send that would wait long is put back in the outbox
// for later instead of holding the worker.
//
// The buckets live in the process: a replica spaces its own sends. The
// outbox's claims keep one recipient's burst mostly on one replica, and a
// 429 that still comes back is retried after the platform's Retry-After.

type rateRule struct {
	burst int
	per   time.Duration
}

var recipientRules = map[Platform]rateRule{
	Feishu:   {burst: 5, per: time.Second},
	WeCom:    {burst: 30, per: time.Minute},
	DingTalk: {burst: 20, per: time.Minute},
}

var platformRules = map[Platform]rateRule{
	Feishu: {burst: 50, per: time.Second},
}

// maxLimitWait is the longest a worker sleeps for a rate limit; longer
// waits reschedule the delivery.
const maxLimitWait = 3 * time.Second

// rateLimits is a set of token buckets; the zero value is ready and
// applies platformRules.
type rateLimits struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	// platform replaces platformRules when set (Config.SendRates).
	platform map[Platform]rateRule
}

// platformRates returns platformRules with each rate of rates (requests a
// second) in place of the default; a rate of 0 removes the platform's limit.
func platformRates(rates map[Platform]int) map[Platform]rateRule {
	out := map[Platform]rateRule{}
	for p, r := range platformRules {
		out[p] = r
	}
	for p, n := range rates {
		if n <= 0 {
			delete(out, p)
			continue
		}
		out[p] = rateRule{burst: n, per: time.Second}
	}
	return out
}

type bucket struct {
	tokens float64
	at     time.Time
}

// reserve takes a token from each bucket that applies to a send to `to` at
// now and returns how long to wait before sending (zero: send now). When the
// wait exceeds maxLimitWait nothing is taken and the wait is returned.
func (l *rateLimits) reserve(to Target, now time.Time) time.Duration {
	type use struct {
		key  string
		rule rateRule
	}
	var uses []use
	if r, ok := recipientRules[to.Platform]; ok {
		uses = append(uses, use{string(to.Platform) + "|" + to.ChatID + "|" + to.UserID, r})
	}
	rules := platformRules
	if l.platform != nil {
		rules = l.platform
	}
	if r, ok := rules[to.Platform]; ok {
		uses = append(uses, use{string(to.Platform), r})
	}
	if len(uses) == 0 {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[string]*bucket{}
	}
	var wait time.Duration
	for _, u := range uses {
		b := l.buckets[u.key]
		if b == nil {
			b = &bucket{tokens: float64(u.rule.burst), at: now}
			l.buckets[u.key] = b
		}
		rate := float64(u.rule.burst) / float64(u.rule.per)
		b.tokens = min(float64(u.rule.burst), b.tokens+float64(now.Sub(b.at))*rate)
		b.at = now
		if b.tokens < 1 {
			wait = max(wait, time.Duration(math.Ceil((1-b.tokens)/rate)).Round(time.Millisecond))
		}
	}
	if wait > maxLimitWait {
		return wait
	}
	for _, u := range uses {
		l.buckets[u.key].tokens--
	}
	return wait
}

// waitTurn blocks until a send to `to` is within the limits. It returns
// false, with the time to retry at, when the wait is too long to hold the
// worker.
func (b *Bot) waitTurn(ctx context.Context, to Target) (bool, time.Duration, error) {
	wait := b.limits.reserve(to, time.Now())
	if wait == 0 {
		return true, 0, nil
	}
	if wait > maxLimitWait {
		return false, wait, nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false, 0, ctx.Err()
	case <-t.C:
		return true, 0, nil
	}
}

// idempotencyKey is the key a platform that has one (Feishu's uuid, ≤ 50
// characters) uses to drop a repeated send of the same delivery.
func idempotencyKey(deliveryID int64) string { return "zg-" + strconv.FormatInt(deliveryID, 10) }
