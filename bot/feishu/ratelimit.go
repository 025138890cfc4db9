package feishu

import (
	"context"
	"fmt"
	"sync"
	"time"

	"zhenggai/bot"
)

// targetLimiter holds sends to one chat or one user to qps a second, as
// Feishu allows (shared/platforms/feishu.md §4.5). A send over the limit
// waits for its slot when that is near (up to maxWait); otherwise the
// delivery worker is told to come back later, so one busy chat never
// blocks the others. It paces requests on real time (now and sleep are
// replaceable in tests).
type targetLimiter struct {
	mu      sync.Mutex
	qps     int
	window  time.Duration
	maxWait time.Duration
	sent    map[string][]time.Time
	now     func() time.Time
	sleep   func(ctx context.Context, d time.Duration) error
}

func newTargetLimiter(qps int) *targetLimiter {
	return &targetLimiter{qps: qps, window: time.Second, maxWait: 2 * time.Second, sent: map[string][]time.Time{}, now: time.Now, sleep: sleepCtx}
}

// take reserves a slot for one send to key, waiting for it when needed.
func (l *targetLimiter) take(ctx context.Context, key string) error {
	if l.qps <= 0 {
		return nil
	}
	l.mu.Lock()
	now := l.now()
	ts := l.sent[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.window {
		i++
	}
	ts = ts[i:]
	at := now
	if len(ts) >= l.qps {
		at = ts[len(ts)-l.qps].Add(l.window)
	}
	wait := at.Sub(now)
	if wait > l.maxWait {
		l.sent[key] = ts
		l.mu.Unlock()
		return &bot.RateLimitedError{RetryAfter: wait, Err: fmt.Errorf("feishu: more than %d messages a second to %s", l.qps, key)}
	}
	l.sent[key] = append(ts, at)
	if len(l.sent) > 10000 {
		for k, v := range l.sent {
			if len(v) == 0 || now.Sub(v[len(v)-1]) >= l.window {
				delete(l.sent, k)
			}
		}
	}
	l.mu.Unlock()
	if wait > 0 {
		return l.sleep(ctx, wait)
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func targetKey(to bot.Target) string {
	if to.ChatID != "" {
		return "chat:" + to.ChatID
	}
	return "user:" + to.UserID
}
