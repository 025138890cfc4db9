package feishu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	lark "github.com/larksuite/oapi-sdk-go/v3"
	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"

	"zhenggai/bot"
)

// client calls the OpenAPI through the SDK with a tenant_access_token of
// its own cache (the SDK's cache is off: it is process-global and is not
// cleared when Feishu calls a token invalid).
type client struct {
	sdk       *lark.Client
	appID     string
	appSecret string
	clock     bot.Clock

	mu      sync.Mutex
	token   string
	expires time.Time
}

func newClient(appID, appSecret, baseURL string, hc *http.Client, clock bot.Clock, log *slog.Logger) *client {
	sdk := lark.NewClient(appID, appSecret,
		lark.WithOpenBaseUrl(baseURL),
		lark.WithEnableTokenCache(false),
		lark.WithHttpClient(hc),
		lark.WithLogger(sdkLogger{log}),
		lark.WithLogLevel(larkcore.LogLevelError),
	)
	return &client{sdk: sdk, appID: appID, appSecret: appSecret, clock: clock}
}

// Codes Feishu answers with (shared/platforms/feishu.md §4.1, §4.5, §8).
const (
	codeTokenInvalid       = 99991663
	codeAppTokenInvalid    = 99991661
	codeTokenInvalid2      = 99991664
	codeTokenExpired       = 99991671
	codeRateLimited        = 99991400
	codeChatRateLimited    = 230020
	codeSystemRateLimited  = 11232
	codeV4ChatRateLimited  = 11233
	codeCrossTenant        = 230038
	codeOutsideAvailable   = 230013
	codeBotNotInChat       = 230002
	codeBotOff             = 230006
	codeNoPermission       = 230027
	codeBadReceiveID       = 230034
	codeNoSendPermission   = 230035
	codeUserBlockedBot     = 230053
	codeTypeNotAllowed     = 230054
	codeCardInvalid        = 230099
	codeMessageTooLong     = 230025
	codeMessageGone        = 230011
	codeNotUpdatable       = 230031
	codeCardVersionInvalid = 200830
)

// permanentReasons say, in words an operator or leader reads, why a send
// can never succeed.
var permanentReasons = map[int]string{
	codeCrossTenant:        "对方是外部企业用户，飞书应用未开启“对外共享”能力，无法与其单聊（请管理员在开发者后台开启并发布新版本）",
	codeOutsideAvailable:   "对方不在飞书应用的可用范围内（外部用户需应用开启“对外共享”，或该用户已离职）",
	codeBotNotInChat:       "机器人不在该群中",
	codeBotOff:             "飞书应用未启用机器人能力",
	codeNoPermission:       "飞书应用缺少发送消息的权限",
	codeBadReceiveID:       "接收者 ID 无效",
	codeNoSendPermission:   "机器人在该会话中没有发言权限（群已禁言或机器人被屏蔽）",
	codeUserBlockedBot:     "对方已屏蔽机器人消息",
	codeTypeNotAllowed:     "该会话不允许此类型的消息",
	codeCardInvalid:        "卡片内容无效或超出限制",
	codeMessageTooLong:     "消息过长",
	codeMessageGone:        "原消息已撤回或不存在",
	codeNotUpdatable:       "该消息不能再更新",
	codeCardVersionInvalid: "卡片版本不兼容，无法更新",
}

// APIError is a failed OpenAPI call.
type APIError struct {
	Status int
	Code   int
	Msg    string
	Path   string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("feishu: %s: status=%d code=%d msg=%s", e.Path, e.Status, e.Code, e.Msg)
}

// tenantToken returns a cached token, fetching one through the SDK when
// none is cached or it ends within 3 minutes.
func (c *client) tenantToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	if c.token != "" && now.Before(c.expires) {
		return c.token, nil
	}
	resp, err := c.sdk.GetTenantAccessTokenBySelfBuiltApp(ctx, &larkcore.SelfBuiltTenantAccessTokenReq{AppID: c.appID, AppSecret: c.appSecret})
	if err != nil {
		return "", fmt.Errorf("feishu: tenant_access_token: %w", err)
	}
	if resp.Code != 0 || resp.TenantAccessToken == "" {
		return "", fmt.Errorf("feishu: tenant_access_token: %w", &APIError{Status: resp.StatusCode, Code: resp.Code, Msg: resp.Msg, Path: larkcore.TenantAccessTokenInternalUrlPath})
	}
	ttl := time.Duration(resp.Expire)*time.Second - 3*time.Minute
	if ttl < time.Minute {
		ttl = time.Minute
	}
	c.token, c.expires = resp.TenantAccessToken, now.Add(ttl)
	return c.token, nil
}

// dropToken forgets tok if it is still the cached one.
func (c *client) dropToken(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == tok {
		c.token = ""
	}
}

// envelope is the common shape of OpenAPI answers.
type envelope struct {
	Code int             `json:"code"`
	Msg  string          `json:"msg"`
	Data json.RawMessage `json:"data"`
}

// call makes one OpenAPI call with the tenant token and decodes data into
// out. A token Feishu calls invalid is dropped and the call made once more.
// Errors are classified: rate limits become *bot.RateLimitedError, what
// retrying cannot fix wraps bot.ErrPermanent.
func (c *client) call(ctx context.Context, method, path string, query map[string]string, body, out any) error {
	raw, err := c.callRaw(ctx, method, path, query, body)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("feishu: %s: decode: %w", path, err)
	}
	if len(env.Data) == 0 {
		return nil
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return fmt.Errorf("feishu: %s: decode data: %w", path, err)
	}
	return nil
}

// callRaw is call returning the whole answer body.
func (c *client) callRaw(ctx context.Context, method, path string, query map[string]string, body any) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		tok, err := c.tenantToken(ctx)
		if err != nil {
			return nil, err
		}
		req := &larkcore.ApiReq{
			HttpMethod: method, ApiPath: path, Body: body,
			QueryParams:               larkcore.QueryParams{},
			PathParams:                larkcore.PathParams{},
			SupportedAccessTokenTypes: []larkcore.AccessTokenType{larkcore.AccessTokenTypeTenant},
		}
		for k, v := range query {
			req.QueryParams.Set(k, v)
		}
		resp, err := c.sdk.Do(ctx, req, larkcore.WithTenantAccessToken(tok))
		if err != nil {
			return nil, fmt.Errorf("feishu: %s: %w", path, err)
		}
		var env envelope
		_ = json.Unmarshal(resp.RawBody, &env)
		switch env.Code {
		case codeTokenInvalid, codeAppTokenInvalid, codeTokenInvalid2, codeTokenExpired:
			c.dropToken(tok)
			if attempt == 0 {
				continue
			}
		}
		if resp.StatusCode/100 == 2 && env.Code == 0 {
			return resp.RawBody, nil
		}
		return nil, classify(&APIError{Status: resp.StatusCode, Code: env.Code, Msg: env.Msg, Path: path}, resp.Header)
	}
}

// classify wraps an API error by what the caller should do about it.
func classify(e *APIError, h http.Header) error {
	switch {
	case e.Status == http.StatusTooManyRequests, e.Code == codeRateLimited, e.Code == codeChatRateLimited,
		e.Code == codeSystemRateLimited, e.Code == codeV4ChatRateLimited:
		wait := time.Second
		if s, err := strconv.Atoi(h.Get("x-ogw-ratelimit-reset")); err == nil && s > 0 {
			wait = time.Duration(s) * time.Second
		}
		return &bot.RateLimitedError{RetryAfter: wait, Err: e}
	}
	if reason, ok := permanentReasons[e.Code]; ok {
		// The reason comes first: it is what a leader reads when a
		// message did not arrive.
		return fmt.Errorf("feishu: %s: %w: %w", reason, bot.ErrPermanent, e)
	}
	if e.Status/100 == 4 && e.Code != 0 && e.Status != http.StatusRequestTimeout {
		// Other business errors (HTTP 400 with a code) do not heal by
		// themselves either.
		return fmt.Errorf("%w: %w", bot.ErrPermanent, e)
	}
	return e
}

// IsPermanent reports whether err is a send error retrying cannot fix.
func IsPermanent(err error) bool { return errors.Is(err, bot.ErrPermanent) }

// sdkLogger sends the SDK's log lines to slog; they never carry the secret
// at level error.
type sdkLogger struct{ log *slog.Logger }

func (l sdkLogger) Debug(ctx context.Context, args ...any) {
	l.log.DebugContext(ctx, "Feishu SDK", slog.String("detail", fmt.Sprint(args...)))
}
func (l sdkLogger) Info(ctx context.Context, args ...any) {
	l.log.DebugContext(ctx, "Feishu SDK", slog.String("detail", fmt.Sprint(args...)))
}
func (l sdkLogger) Warn(ctx context.Context, args ...any) {
	l.log.DebugContext(ctx, "Feishu SDK", slog.String("detail", fmt.Sprint(args...)))
}
func (l sdkLogger) Error(ctx context.Context, args ...any) {
	l.log.WarnContext(ctx, "Feishu SDK", slog.String("detail", fmt.Sprint(args...)))
}

func asAPIError(err error, target **APIError) bool { return errors.As(err, target) }
