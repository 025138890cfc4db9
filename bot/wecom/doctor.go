package wecom

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"zhenggai/bot"
)

// trustedIPHint explains errcode 60020.
const trustedIPHint = "调用方 IP 不在企业可信IP中：在管理后台「应用管理 → 本应用 → 企业可信IP」加入本服务的出口 IP（约 1 分钟后生效）"

// Doctor checks the credentials (gettoken), the agent (agent/get: name and
// visible range), the 微信客服 accounts the app manages, and the callback
// settings.
func (a *Adapter) Doctor(ctx context.Context) []bot.Check {
	var out []bot.Check
	hint := func(err error) string {
		if ErrCode(err) == 60020 {
			return err.Error() + "；" + trustedIPHint
		}
		return err.Error()
	}
	if _, err := a.client.token.Token(ctx); err != nil {
		out = append(out, bot.Check{Name: "token", OK: false, Info: hint(err)})
		return out
	}
	out = append(out, bot.Check{Name: "token", OK: true, Info: "gettoken ok for corp " + a.cfg.CorpID})
	var agent struct {
		Name           string `json:"name"`
		RedirectDomain string `json:"redirect_domain"`
		AllowUserinfos struct {
			User []struct {
				UserID string `json:"userid"`
			} `json:"user"`
		} `json:"allow_userinfos"`
		AllowPartys struct {
			PartyID []int `json:"partyid"`
		} `json:"allow_partys"`
	}
	if err := a.client.get(ctx, "/cgi-bin/agent/get", url.Values{"agentid": {strconv.Itoa(a.agentID)}}, &agent); err != nil {
		out = append(out, bot.Check{Name: "agent", OK: false, Info: hint(err)})
	} else {
		out = append(out, bot.Check{Name: "agent", OK: true, Info: fmt.Sprintf("%s (agentid %d): visible to %d departments and %d members",
			agent.Name, a.agentID, len(agent.AllowPartys.PartyID), len(agent.AllowUserinfos.User))})
	}
	var kfs struct {
		AccountList []struct {
			OpenKfID string `json:"open_kfid"`
			Name     string `json:"name"`
		} `json:"account_list"`
	}
	if err := a.client.postJSON(ctx, "/cgi-bin/kf/account/list", nil, map[string]int{"offset": 0, "limit": 100}, &kfs); err != nil {
		// 微信客服 is optional: report, do not fail.
		out = append(out, bot.Check{Name: "kf", OK: true, Info: "微信客服 not managed by this app (" + hint(err) + ")"})
	} else {
		var names []string
		for _, k := range kfs.AccountList {
			names = append(names, k.Name+" ("+k.OpenKfID+")")
		}
		out = append(out, bot.Check{Name: "kf", OK: true, Info: fmt.Sprintf("%d 微信客服 accounts: %s", len(names), strings.Join(names, ", "))})
	}
	cb := "callback URL: <PUBLIC_BASE_URL>/callback/wecom (PUBLIC_BASE_URL is not set)"
	if a.cfg.PublicBaseURL != "" {
		cb = "callback URL: " + a.cfg.PublicBaseURL + "/callback/wecom (set it with Token and EncodingAESKey in 接收消息 → API接收)"
	}
	out = append(out, bot.Check{Name: "callback", OK: true, Info: cb})
	return out
}
