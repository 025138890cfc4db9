package feishu

import (
	"time"

	"zhenggai/bot/ratelimit"
)

// SendLimits are Feishu's send limits (shared/platforms/feishu.md §4.5):
// 5 QPS to one chat and to one user (PerTargetQPS), 5 QPS of updates to one
// message, and 50 requests a second for the app (message create, reply,
// patch and the delayed update are all tier 4; FEISHU_SEND_RATE replaces
// it through bot.Config.SendRates). The delivery worker applies them before
// each send.
func (a *Adapter) SendLimits() []ratelimit.Rule {
	q := a.opts.PerTargetQPS
	return append(ratelimit.PerRecipient(q, time.Second),
		ratelimit.Rule{Scope: ratelimit.Message, N: q, Per: time.Second},
		ratelimit.Rule{Scope: ratelimit.App, N: 50, Per: time.Second})
}
