package bot

import (
	"context"
	"time"

	"zhenggai/bot/ratelimit"
)

// Send rate limits (DESIGN 5): each adapter declares its platform's rules
// (SendLimiter; Feishu 5 QPS per chat, per user and per message and 50
// req/s per app, WeCom 30 messages per member a minute, DingTalk robots 20
// a minute per chat), and the delivery worker applies them once, before
// each send, through one ratelimit.Set. A send that would wait long is put
// back in the outbox for later instead of holding the worker.

// maxLimitWait is the longest a worker sleeps for a rate limit; longer
// waits reschedule the delivery.
const maxLimitWait = 3 * time.Second

// sendLimits are the rules a's platform sends under: what the adapter
// declares, with the App rule replaced by Config.SendRates.
func (b *Bot) sendLimits(a Adapter) []ratelimit.Rule {
	sl, ok := a.(SendLimiter)
	if !ok {
		return nil
	}
	rules := sl.SendLimits()
	if n, ok := b.sendRates[a.Platform()]; ok {
		rules = ratelimit.WithAppRate(rules, n)
	}
	return rules
}

// waitTurn blocks until a send to `to` (an update of message `update`, when
// not empty) is within the limits. It returns false, with the time to
// retry after, when the wait is too long to hold the worker. It paces on
// real time, as the platforms count.
func (b *Bot) waitTurn(ctx context.Context, to Target, update string) (bool, time.Duration, error) {
	wait := b.limits.Reserve(ratelimit.Send{Platform: string(to.Platform), Chat: to.ChatID, User: to.UserID, Message: update}, time.Now())
	if wait == 0 {
		return true, 0, nil
	}
	if wait > maxLimitWait {
		return false, wait, nil
	}
	if err := Sleep(ctx, wait); err != nil {
		return false, 0, err
	}
	return true, 0, nil
}
