package dingtalk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"zhenggai/bot"
)

// client is the hand-written DingTalk OpenAPI client: the v1.0 API at
// baseURL (api.dingtalk.com) and the older oapi host for media upload. It
// owns the access token and the app-wide rate limit.
type client struct {
	http        *http.Client
	baseURL     string
	oapiBaseURL string
	appKey      string
	appSecret   string
	clock       bot.Clock
	limit       *rate.Limiter

	mu      sync.Mutex
	token   string
	expires time.Time
}

// tokenMargin is how long before its expiry a token is replaced.
const tokenMargin = 5 * time.Minute

// apiError is an answer of the v1.0 API other than 2xx:
// {"code": "...", "message": "...", "requestid": "..."}.
type apiError struct {
	Status    int    `json:"-"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"requestid"`
}

func (e *apiError) Error() string {
	return fmt.Sprintf("status=%d code=%s message=%s", e.Status, e.Code, e.Message)
}

// tokenExpired reports whether the API refused the access token.
func (e *apiError) tokenExpired() bool {
	c := strings.ToLower(e.Code)
	return e.Status == http.StatusUnauthorized || strings.Contains(c, "invalidauthentication") ||
		strings.Contains(c, "token.expired") || strings.Contains(c, "invalidaccesstoken")
}

// throttled reports whether the API asked us to slow down.
func (e *apiError) throttled() bool {
	c := strings.ToLower(e.Code)
	return e.Status == http.StatusTooManyRequests || strings.Contains(c, "throttl") ||
		strings.Contains(c, "qpslimit") || strings.Contains(c, "flowcontrol")
}

// accessToken returns a valid token, fetching one when there is none or it
// expires within tokenMargin.
func (c *client) accessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.clock.Now().Add(tokenMargin).Before(c.expires) {
		return c.token, nil
	}
	var out struct {
		AccessToken string `json:"accessToken"`
		ExpireIn    int64  `json:"expireIn"`
	}
	body := map[string]string{"appKey": c.appKey, "appSecret": c.appSecret}
	if err := c.doJSON(ctx, http.MethodPost, c.baseURL+"/v1.0/oauth2/accessToken", "", body, &out); err != nil {
		return "", fmt.Errorf("dingtalk: get access token: %w", err)
	}
	if out.AccessToken == "" {
		return "", errors.New("dingtalk: get access token: empty token")
	}
	c.token = out.AccessToken
	c.expires = c.clock.Now().Add(time.Duration(out.ExpireIn) * time.Second)
	return c.token, nil
}

// forgetToken drops the cached token after the API refused it.
func (c *client) forgetToken(tok string) {
	c.mu.Lock()
	if c.token == tok {
		c.token = ""
	}
	c.mu.Unlock()
}

// call sends one v1.0 request with the access token, retrying once with a
// fresh token when the API says the token is invalid, and maps errors:
// throttling to *bot.RateLimitedError, other 4xx to bot.ErrPermanent.
func (c *client) call(ctx context.Context, method, path string, in, out any) error {
	if err := c.limit.Wait(ctx); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		tok, err := c.accessToken(ctx)
		if err != nil {
			return err
		}
		err = c.doJSON(ctx, method, c.baseURL+path, tok, in, out)
		var ae *apiError
		if errors.As(err, &ae) && ae.tokenExpired() && attempt == 0 {
			c.forgetToken(tok)
			continue
		}
		return classify(err)
	}
}

// classify maps an API error to the bot's error kinds.
func classify(err error) error {
	var ae *apiError
	if !errors.As(err, &ae) {
		return err
	}
	switch {
	case ae.throttled():
		return &bot.RateLimitedError{RetryAfter: time.Minute, Err: err}
	case ae.Status >= 400 && ae.Status < 500 && !ae.tokenExpired():
		return fmt.Errorf("%w: %w", bot.ErrPermanent, err)
	}
	return err
}

// doJSON posts in as JSON (when not nil) and decodes the answer into out.
func (c *client) doJSON(ctx context.Context, method, url, token string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("x-acs-dingtalk-access-token", token)
	}
	return c.do(req, out)
}

func (c *client) do(req *http.Request, out any) error {
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode/100 != 2 {
		ae := &apiError{Status: resp.StatusCode}
		_ = json.Unmarshal(data, ae)
		if ae.Code == "" {
			ae.Code = http.StatusText(resp.StatusCode)
		}
		if ae.throttled() {
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
				return &bot.RateLimitedError{RetryAfter: time.Duration(s) * time.Second, Err: ae}
			}
		}
		return ae
	}
	if out == nil || len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", req.Method, req.URL.Path, err)
	}
	return nil
}

// uploadMedia uploads a file through the oapi media API and returns its
// media id.
func (c *client) uploadMedia(ctx context.Context, f *bot.File) (string, error) {
	if err := c.limit.Wait(ctx); err != nil {
		return "", err
	}
	for attempt := 0; ; attempt++ {
		tok, err := c.accessToken(ctx)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, err := mw.CreateFormFile("media", f.Name)
		if err != nil {
			return "", err
		}
		if _, err := fw.Write(f.Content); err != nil {
			return "", err
		}
		if err := mw.Close(); err != nil {
			return "", err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost,
			c.oapiBaseURL+"/media/upload?type=file&access_token="+tok, &buf)
		if err != nil {
			return "", err
		}
		req.Header.Set("Content-Type", mw.FormDataContentType())
		var out struct {
			ErrCode int    `json:"errcode"`
			ErrMsg  string `json:"errmsg"`
			MediaID string `json:"media_id"`
		}
		if err := c.do(req, &out); err != nil {
			return "", fmt.Errorf("dingtalk: upload media: %w", classify(err))
		}
		// 40014 and 42001: invalid or expired access_token (oapi codes).
		if (out.ErrCode == 40014 || out.ErrCode == 42001) && attempt == 0 {
			c.forgetToken(tok)
			continue
		}
		if out.ErrCode != 0 || out.MediaID == "" {
			return "", fmt.Errorf("dingtalk: upload media: errcode=%d errmsg=%s: %w", out.ErrCode, out.ErrMsg, bot.ErrPermanent)
		}
		return out.MediaID, nil
	}
}
