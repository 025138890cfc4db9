package feishu

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"zhenggai/bot"
)

// botInfo is GET /open-apis/bot/v3/info's bot.
type botInfo struct {
	ActivateStatus int    `json:"activate_status"`
	AppName        string `json:"app_name"`
	OpenID         string `json:"open_id"`
}

func (a *Adapter) fetchBotInfo(ctx context.Context) (*botInfo, error) {
	raw, err := a.api.callRaw(ctx, http.MethodGet, "/open-apis/bot/v3/info", nil, nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		Bot botInfo `json:"bot"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("feishu: bot info: %w", err)
	}
	return &out.Bot, nil
}

// selfOpenID returns the bot's open_id, read once from bot/v3/info ("" when
// it cannot be read yet; the next message tries again).
func (a *Adapter) selfOpenID(ctx context.Context) string {
	a.botMu.Lock()
	defer a.botMu.Unlock()
	if a.botOpenID != "" {
		return a.botOpenID
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	info, err := a.fetchBotInfo(ctx)
	if err != nil {
		a.log.WarnContext(ctx, "Feishu bot info not read", "error", err)
		return ""
	}
	a.botOpenID = info.OpenID
	return a.botOpenID
}

// Scopes the bot needs, each with an API that needs it, probed by the
// doctor.
var scopeProbes = []struct {
	scope, method, path string
	query               map[string]string
}{
	{"im:chat:readonly 或 im:chat（读取群信息）", http.MethodGet, "/open-apis/im/v1/chats", map[string]string{"page_size": "1"}},
	// Reading a message (here one that does not exist) needs what
	// downloading its images and files as evidence needs
	// (im/v1/messages/:id/resources/:key): im:message, im:message:readonly
	// or im:message.history:readonly. Without it, the answer is a
	// permission error rather than "message not found".
	{"im:message:readonly 或 im:message（下载对话中的图片和文件作为佐证）", http.MethodGet, "/open-apis/im/v1/messages/om_zhenggai_doctor_probe", nil},
}

// Doctor checks the credentials (a tenant_access_token), the bot (its
// info: enabled, its open_id), scopes that can be probed, and the
// receiving mode. Event and callback subscriptions cannot be read through
// the API: the last line lists what must be subscribed.
func (a *Adapter) Doctor(ctx context.Context) []bot.Check {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var out []bot.Check
	if _, err := a.api.tenantToken(ctx); err != nil {
		return append(out, bot.Check{Name: "credentials", OK: false,
			Info: fmt.Sprintf("no tenant_access_token for FEISHU_APP_ID/FEISHU_APP_SECRET from %s: %v", a.opts.BaseURL, err)})
	}
	out = append(out, bot.Check{Name: "credentials", OK: true, Info: "tenant_access_token obtained from " + a.opts.BaseURL})
	info, err := a.fetchBotInfo(ctx)
	switch {
	case err != nil:
		out = append(out, bot.Check{Name: "bot", OK: false, Info: "bot/v3/info failed (is the bot capability enabled and a version published?): " + err.Error()})
	case info.ActivateStatus != 2:
		out = append(out, bot.Check{Name: "bot", OK: false, Info: fmt.Sprintf("bot %s is not activated (activate_status=%d): enable the bot capability and publish a version", info.AppName, info.ActivateStatus)})
	default:
		out = append(out, bot.Check{Name: "bot", OK: true, Info: fmt.Sprintf("%s, open_id %s", info.AppName, info.OpenID)})
	}
	var missing []string
	for _, p := range scopeProbes {
		if _, err := a.api.callRaw(ctx, p.method, p.path, p.query, nil); err != nil {
			if ae := apiErr(err); ae != nil && (ae.Code == 99991672 || ae.Code == 99991679 || ae.Status == http.StatusForbidden) {
				missing = append(missing, p.scope)
			}
		}
	}
	if len(missing) > 0 {
		out = append(out, bot.Check{Name: "scopes", OK: false, Info: "missing: " + strings.Join(missing, ", ")})
	} else {
		out = append(out, bot.Check{Name: "scopes", OK: true, Info: "probed scopes granted"})
	}
	switch a.opts.Mode {
	case ModeWebhook:
		out = append(out, bot.Check{Name: "mode", OK: a.opts.EncryptKey != "" && a.opts.VerificationToken != "",
			Info: "webhook: events and card callbacks at <PUBLIC_BASE_URL>/callback/feishu"})
	default:
		out = append(out, a.doctorWS(ctx))
	}
	out = append(out, bot.Check{Name: "events", OK: true, Info: "not readable through the API: subscribe im.message.receive_v1, " +
		"im.chat.member.bot.added_v1, im.chat.member.bot.deleted_v1 and the callback card.action.trigger (deploy/README-feishu.md)"})
	return out
}

// doctorWS asks for a long-connection endpoint, as the SDK does when it
// connects, without connecting.
func (a *Adapter) doctorWS(ctx context.Context) bot.Check {
	body, _ := json.Marshal(map[string]string{"AppID": a.opts.AppID, "AppSecret": a.opts.AppSecret})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.opts.BaseURL+"/callback/ws/endpoint", strings.NewReader(string(body)))
	if err != nil {
		return bot.Check{Name: "long connection", OK: false, Info: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.opts.HTTPClient.Do(req)
	if err != nil {
		return bot.Check{Name: "long connection", OK: false, Info: "endpoint request failed: " + err.Error()}
	}
	defer resp.Body.Close()
	var out struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
		Data struct {
			URL string `json:"URL"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Code != 0 || out.Data.URL == "" {
		return bot.Check{Name: "long connection", OK: false, Info: fmt.Sprintf("no endpoint: status %d code %d %s %v", resp.StatusCode, out.Code, out.Msg, err)}
	}
	// The endpoint is asked of open.feishu.cn, but events come over a
	// WebSocket to another host (msg-frontier.feishu.cn): an egress
	// allow-list without it passes the call above and never gets an event.
	// Dial it as the SDK would, and close at once.
	host := out.Data.URL
	if u, err := url.Parse(out.Data.URL); err == nil {
		host = u.Host
	}
	dialer := &websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: 10 * time.Second}
	if t, ok := a.opts.HTTPClient.Transport.(*http.Transport); ok && t.Proxy != nil {
		dialer.Proxy = t.Proxy
	}
	conn, wsResp, err := dialer.DialContext(ctx, out.Data.URL, nil)
	if wsResp != nil && wsResp.Body != nil {
		_ = wsResp.Body.Close()
	}
	if err != nil {
		return bot.Check{Name: "long connection", OK: false, Info: fmt.Sprintf("endpoint offered, but the WebSocket host %s cannot be reached (allow it in the egress firewall or proxy): %v", host, err)}
	}
	_ = conn.Close()
	return bot.Check{Name: "long connection", OK: true, Info: "WebSocket to " + host + " opened and closed (self-built app; at most 50 connections per app, one random connection gets each event)"}
}
