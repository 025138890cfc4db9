package wecom

import (
	"time"

	"zhenggai/bot/ratelimit"
)

// SendLimits pace sends in the process: WeCom takes 30 app messages a
// minute per member and drops the excess silently
// (shared/platforms/wecom-dingtalk.md), so a replica spaces its sends to
// one member, and to one app group chat, to that. The guarantee across
// replicas is the per-member count in Postgres (MemberLimits, taken in
// reserve before each send), which also covers a group card's mentioned
// members and the hourly limit.
func (a *Adapter) SendLimits() []ratelimit.Rule {
	return ratelimit.PerRecipient(30, time.Minute)
}
