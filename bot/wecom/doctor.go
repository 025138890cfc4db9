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
const trustedIPHint = "调用方 IP 不在企业可信IP中：在管理后台「应用管理 → 本应用 → 企业可信IP」加入本服务的出口 IP（约 1 分钟后生效；须先配置接收消息服务器 URL 或可信域名才能填写）"

// The two 微信客服 authorizations (/94670, /94669), which the console sets
// in two places: the app may call the kf APIs at all, and each kf account
// is one the app may manage (its 接待人员 inside the app's 可见范围).
const (
	kfAppHint     = "本应用不在微信客服的「可调用接口的应用」中：在管理后台「应用管理 → 微信客服 → API → 可调用接口的应用」选中本应用"
	kfAccountHint = "客服账号未交给本应用管理：在「微信客服 → API → 通过API管理会话消息 → 企业内部开发 → 可管理的客服账号」中选中该账号，并确认其接待人员在本应用的可见范围内"
)

// doctorProbeUser is a userid no corp has: message/send to it delivers
// nothing and answers 81013 (every recipient invalid) once the call itself
// is allowed.
const doctorProbeUser = "zhenggai-doctor-probe-nobody"

// doctorSend makes a send-side call that delivers nothing: gettoken works
// from any IP, but message/send and media/upload answer 60020 until the
// service's egress IP is a 企业可信IP, which only a send shows.
func (a *Adapter) doctorSend(ctx context.Context) bot.Check {
	req := map[string]any{"touser": doctorProbeUser, "msgtype": "text", "agentid": a.agentID, "text": map[string]string{"content": "doctor"}}
	err := a.client.postJSON(ctx, "/cgi-bin/message/send", nil, req, nil)
	switch code := ErrCode(err); {
	case err == nil || code == 81013 || code == 40003:
		return bot.Check{Name: "send", OK: true, Info: "message/send allowed from this IP (probed with a userid that does not exist; nothing delivered)"}
	case code == 60020:
		return bot.Check{Name: "send", OK: false, Info: "message/send refused (60020)：" + trustedIPHint}
	default:
		return bot.Check{Name: "send", OK: false, Info: "message/send probe failed: " + err.Error()}
	}
}

// doctorKF checks both 微信客服 authorizations and names the missing one.
// 微信客服 is optional: without it the check is informational.
func (a *Adapter) doctorKF(ctx context.Context) []bot.Check {
	var kfs struct {
		AccountList []struct {
			OpenKfID string `json:"open_kfid"`
			Name     string `json:"name"`
		} `json:"account_list"`
	}
	if err := a.client.postJSON(ctx, "/cgi-bin/kf/account/list", nil, map[string]int{"offset": 0, "limit": 100}, &kfs); err != nil {
		if ErrCode(err) == 48002 {
			return []bot.Check{{Name: "kf", OK: true, Info: "微信客服 not usable (48002)：" + kfAppHint + "（不用微信客服时可忽略）"}}
		}
		return []bot.Check{{Name: "kf", OK: true, Info: "微信客服 not managed by this app (" + err.Error() + ")"}}
	}
	if len(kfs.AccountList) == 0 {
		return []bot.Check{{Name: "kf", OK: true, Info: "0 微信客服 accounts managed by this app（要接入微信客服，" + kfAccountHint + "）"}}
	}
	var names, refused []string
	for _, k := range kfs.AccountList {
		label := k.Name + " (" + k.OpenKfID + ")"
		names = append(names, label)
		// A session-state read for a WeChat user that does not exist:
		// refused with 48002/48007 when the account is not the app's to
		// manage, another error (or none) when it is.
		err := a.client.postJSON(ctx, "/cgi-bin/kf/service_state/get", nil,
			map[string]string{"open_kfid": k.OpenKfID, "external_userid": doctorProbeUser}, nil)
		switch ErrCode(err) {
		case 48002:
			refused = append(refused, label+"：48002 "+kfAppHint)
		case 48007:
			refused = append(refused, label+"：48007 "+kfAccountHint)
		}
	}
	if len(refused) > 0 {
		return []bot.Check{{Name: "kf", OK: false, Info: "微信客服 accounts the app cannot answer for: " + strings.Join(refused, "；")}}
	}
	return []bot.Check{{Name: "kf", OK: true, Info: fmt.Sprintf("%d 微信客服 accounts: %s", len(names), strings.Join(names, ", "))}}
}

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
	out = append(out, a.doctorSend(ctx))
	out = append(out, a.doctorKF(ctx)...)
	cb := "callback URL: <PUBLIC_BASE_URL>/callback/wecom (PUBLIC_BASE_URL is not set)"
	if a.cfg.PublicBaseURL != "" {
		cb = "callback URL: " + a.cfg.PublicBaseURL + "/callback/wecom (set it with Token and EncodingAESKey in 接收消息 → API接收)"
	}
	out = append(out, bot.Check{Name: "callback", OK: true, Info: cb})
	return out
}
