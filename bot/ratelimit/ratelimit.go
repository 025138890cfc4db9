// Package ratelimit paces sends to the messengers' published limits. A Set
// holds token buckets (golang.org/x/time/rate), one for each rule and each
// app, chat, user or message the rule counts. Each adapter declares its
// platform's rules (bot.SendLimiter) and the delivery worker consults the
// set once before each send; nothing else in the process limits sends.
//
// Reserve is all or nothing: a send takes a token from every bucket that
// applies, or, when it would wait longer than the set's MaxWait, from none,
// and the delivery is put back in the outbox for later instead of holding
// its worker. Time is passed in, so tests drive the buckets.
//
// The buckets live in the process: a replica spaces its own sends. The
// outbox's claims keep one recipient's burst mostly on one replica, and a
// 429 that still comes back is retried after the platform's Retry-After.
package ratelimit

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Scope is what a rule counts.
type Scope string

const (
	// App counts every send of the platform's app.
	App Scope = "app"
	// Chat counts the sends to one chat.
	Chat Scope = "chat"
	// User counts the sends to one user (a 1:1 chat).
	User Scope = "user"
	// Message counts the updates of one sent message.
	Message Scope = "message"
)

// Rule allows N sends per Per within its scope, N of them at once.
type Rule struct {
	Scope Scope
	N     int
	Per   time.Duration
}

// PerRecipient is the pair of rules that allow n sends per `per` to each
// chat and to each user.
func PerRecipient(n int, per time.Duration) []Rule {
	return []Rule{{Scope: Chat, N: n, Per: per}, {Scope: User, N: n, Per: per}}
}

// Send is what one send counts against: its platform and the chat, user
// and message (for an update) it goes to. An empty field counts against no
// rule of its scope.
type Send struct {
	Platform string
	Chat     string
	User     string
	Message  string
}

// WithAppRate returns rules with the App rule replaced by perSecond sends a
// second, or removed when perSecond is 0 or less (a platform with no
// app-wide limit, such as a local fake).
func WithAppRate(rules []Rule, perSecond int) []Rule {
	out := make([]Rule, 0, len(rules)+1)
	for _, r := range rules {
		if r.Scope != App {
			out = append(out, r)
		}
	}
	if perSecond > 0 {
		out = append(out, Rule{Scope: App, N: perSecond, Per: time.Second})
	}
	return out
}

// maxBuckets is the number of buckets above which full ones (idle long
// enough to have refilled) are dropped.
const maxBuckets = 10000

// Set is the rate-limit set of every platform.
type Set struct {
	maxWait time.Duration

	mu      sync.Mutex
	rules   map[string][]Rule
	buckets map[bucketKey]*rate.Limiter
}

type bucketKey struct {
	platform string
	scope    Scope
	id       string
}

// New returns an empty set whose sends wait at most maxWait.
func New(maxWait time.Duration) *Set {
	return &Set{maxWait: maxWait, rules: map[string][]Rule{}, buckets: map[bucketKey]*rate.Limiter{}}
}

// Declare sets the rules of a platform, replacing earlier ones.
func (s *Set) Declare(platform string, rules ...Rule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules[platform] = append([]Rule(nil), rules...)
	for k := range s.buckets {
		if k.platform == platform {
			delete(s.buckets, k)
		}
	}
}

// Rules returns the rules declared for a platform.
func (s *Set) Rules(platform string) []Rule {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Rule(nil), s.rules[platform]...)
}

// Reserve takes a token from each bucket that applies to send at now and
// returns how long to wait before sending (zero: send now). When the wait
// would exceed the set's maxWait, nothing is taken and the wait is
// returned: the caller comes back after it.
func (s *Set) Reserve(send Send, now time.Time) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	rules := s.rules[send.Platform]
	if len(rules) == 0 {
		return 0
	}
	var taken []*rate.Reservation
	var wait time.Duration
	for _, r := range rules {
		id, ok := send.id(r.Scope)
		if !ok || r.N <= 0 || r.Per <= 0 {
			continue
		}
		k := bucketKey{send.Platform, r.Scope, id}
		b := s.buckets[k]
		if b == nil {
			b = rate.NewLimiter(rate.Limit(float64(r.N)/r.Per.Seconds()), r.N)
			s.buckets[k] = b
		}
		res := b.ReserveN(now, 1)
		taken = append(taken, res)
		wait = max(wait, res.DelayFrom(now).Round(time.Millisecond))
	}
	if wait > s.maxWait {
		for i := len(taken) - 1; i >= 0; i-- {
			taken[i].CancelAt(now)
		}
	}
	if len(s.buckets) > maxBuckets {
		s.prune(now)
	}
	return wait
}

// prune drops the buckets that are full at now: a new one is the same.
func (s *Set) prune(now time.Time) {
	for k, b := range s.buckets {
		if b.TokensAt(now) >= float64(b.Burst()) {
			delete(s.buckets, k)
		}
	}
}

// id is what the send counts as in a scope, and whether it counts at all.
func (send Send) id(scope Scope) (string, bool) {
	switch scope {
	case App:
		return "", true
	case Chat:
		return send.Chat, send.Chat != ""
	case User:
		return send.User, send.User != ""
	case Message:
		return send.Message, send.Message != ""
	}
	return "", false
}
