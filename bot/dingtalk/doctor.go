package dingtalk

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"zhenggai/bot"
)

// Doctor checks the credentials (an access token), the robot code, the
// receiving mode and the configured card templates.
func (a *Adapter) Doctor(ctx context.Context) []bot.Check {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var out []bot.Check
	if _, err := a.api.accessToken(ctx); err != nil {
		out = append(out, bot.Check{Name: "credentials", OK: false,
			Info: fmt.Sprintf("no access token for DINGTALK_CLIENT_ID/DINGTALK_CLIENT_SECRET: %v", err)})
	} else {
		out = append(out, bot.Check{Name: "credentials", OK: true, Info: "access token obtained from " + a.opts.BaseURL})
	}
	out = append(out, bot.Check{Name: "robot", OK: a.opts.RobotCode != "", Info: "robot code " + a.opts.RobotCode})
	switch a.opts.Mode {
	case ModeHTTP:
		c := bot.Check{Name: "mode", OK: a.opts.PublicBaseURL != "",
			Info: "http: robot callbacks at " + a.opts.PublicBaseURL + "/callback/dingtalk, cards at /callback/dingtalk/card"}
		if !c.OK {
			c.Info = "http mode needs PUBLIC_BASE_URL (the card callback URL is registered from it)"
		}
		out = append(out, c)
		if c.OK {
			if err := a.ensureCallbackRoute(ctx); err != nil {
				out = append(out, bot.Check{Name: "card callback", OK: false, Info: err.Error()})
			} else {
				out = append(out, bot.Check{Name: "card callback", OK: true, Info: "route " + callbackRouteKey + " registered"})
			}
		}
	default:
		out = append(out, a.doctorStream(ctx))
	}
	out = append(out, bot.Check{Name: "configuration", OK: true, Info: a.configuration()})
	out = append(out, templateCheck("card template", "DINGTALK_CARD_TEMPLATE_ID", a.opts.CardTemplateID,
		"cards are sent as markdown messages whose actions are dtmd links (in 1:1 chats)"))
	out = append(out, templateCheck("form template", "DINGTALK_FORM_TEMPLATE_ID", a.opts.FormTemplateID,
		"forms are asked field by field in a dialog"))
	return out
}

// configuration says which of DingTalk's configurations is in force and
// what its users will see.
func (a *Adapter) configuration() string {
	mode := "Stream 模式"
	if a.opts.Mode == ModeHTTP {
		mode = "HTTP 模式"
	}
	switch {
	case a.opts.CardTemplateID == "" && a.opts.FormTemplateID == "":
		return mode + "，无卡片模板：单聊中以链接操作（点击链接即代用户发送命令，也可直接输入），" +
			"群内只发通知、操作单独发到相关人员的单聊，表单在单聊中逐项回复"
	case a.opts.FormTemplateID == "":
		return mode + "，仅通用卡片模板：卡片按钮在群聊和单聊中均可点击，表单在对话中逐项回复"
	case a.opts.CardTemplateID == "":
		return mode + "，仅表单卡片模板：所有卡片以表单模板发送，按钮可点击，表单在卡片内填写"
	}
	return mode + "，两个卡片模板均已配置：卡片按钮在群聊和单聊中均可点击，表单在卡片内填写，提交后卡片显示结果"
}

// doctorStream asks the gateway for a Stream endpoint, as the SDK does
// when it connects, without connecting.
func (a *Adapter) doctorStream(ctx context.Context) bot.Check {
	var out struct {
		Endpoint string `json:"endpoint"`
		Ticket   string `json:"ticket"`
	}
	body := map[string]any{
		"clientId": a.opts.ClientID, "clientSecret": a.opts.ClientSecret, "ua": "zhenggai-doctor",
		"subscriptions": []map[string]string{{"type": "CALLBACK", "topic": "/v1.0/im/bot/messages/get"}},
	}
	if err := a.api.doJSON(ctx, http.MethodPost, a.opts.BaseURL+"/v1.0/gateway/connections/open", "", body, &out); err != nil {
		return bot.Check{Name: "stream", OK: false, Info: "gateway refused a Stream connection: " + err.Error()}
	}
	if out.Endpoint == "" {
		return bot.Check{Name: "stream", OK: false, Info: "gateway gave no endpoint"}
	}
	return bot.Check{Name: "stream", OK: true, Info: "stream endpoint " + out.Endpoint}
}

// templateCheck reports a template id. A missing template is not a
// failure: the bot falls back, and the check says how.
func templateCheck(name, env, id, fallback string) bot.Check {
	if id == "" {
		return bot.Check{Name: name, OK: true, Info: env + " not set: " + fallback + " (see deploy/README-dingtalk.md)"}
	}
	if len(id) < 8 {
		return bot.Check{Name: name, OK: false, Info: fmt.Sprintf("%s=%q does not look like a card-platform template id (xxxx.schema)", env, id)}
	}
	return bot.Check{Name: name, OK: true, Info: id}
}
