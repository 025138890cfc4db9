package dingtalk

import (
	"time"

	"golang.org/x/time/rate"

	"zhenggai/bot/ratelimit"
)

// SendLimits are DingTalk's send limits: a robot may send 20 messages a
// minute to one chat (shared/platforms/wecom-dingtalk.md; no official
// number for enterprise robots was found, so the custom robot's is kept),
// and the same to one user's 1:1 chat. The delivery worker applies them
// before each send.
func (a *Adapter) SendLimits() []ratelimit.Rule {
	return ratelimit.PerRecipient(20, time.Minute)
}

// newAPILimiter paces the app's API calls, every one of them and not only
// the sends (card updates after a callback, downloads, lookups): DingTalk
// allows about 20 calls a second per app on the standard edition. It is
// therefore the client's, not one of SendLimits; callers wait for a token.
func newAPILimiter(perSecond float64) *rate.Limiter {
	if perSecond <= 0 {
		perSecond = 20
	}
	return rate.NewLimiter(rate.Limit(perSecond), max(1, int(perSecond)))
}
