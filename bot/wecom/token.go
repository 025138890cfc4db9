package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"zhenggai/bot"
)

// TokenHandle is our access_token cache. It has the method set of the
// library's credential.AccessTokenContextHandle, and unlike the library's it
// forgets a token that WeCom reports invalid (40014, 42001, 40001), so the
// next call fetches a new one (silenceper/wechat#336, #641).
type TokenHandle struct {
	c      *Client
	corpID string
	secret string
	clock  bot.Clock

	mu      sync.Mutex
	token   string
	expires time.Time
}

// tokenMargin renews a token this long before WeCom's expiry.
const tokenMargin = 5 * time.Minute

// Token returns a valid access_token, fetching one with gettoken when none is
// cached or the cached one is about to expire. Concurrent callers share one
// fetch.
func (h *TokenHandle) Token(ctx context.Context) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.token != "" && h.clock.Now().Before(h.expires) {
		return h.token, nil
	}
	q := url.Values{"corpid": {h.corpID}, "corpsecret": {h.secret}}
	raw, err := h.c.do(ctx, "GET", "/cgi-bin/gettoken", q, nil)
	if err != nil {
		return "", err
	}
	var ans struct {
		status
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal(raw, &ans); err != nil {
		return "", fmt.Errorf("wecom: gettoken: decode answer: %w", err)
	}
	if ans.ErrCode != 0 {
		return "", &APIError{API: "/cgi-bin/gettoken", Code: ans.ErrCode, Msg: ans.ErrMsg}
	}
	if ans.AccessToken == "" {
		return "", errors.New("wecom: gettoken: empty access_token")
	}
	life := time.Duration(ans.ExpiresIn)*time.Second - tokenMargin
	if life < time.Minute {
		life = time.Minute
	}
	h.token, h.expires = ans.AccessToken, h.clock.Now().Add(life)
	return h.token, nil
}

// Invalidate forgets token if it is still the cached one (another caller
// may have replaced it already).
func (h *TokenHandle) Invalidate(token string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.token == token {
		h.token, h.expires = "", time.Time{}
	}
}

// GetAccessTokenContext is Token under the library's name.
func (h *TokenHandle) GetAccessTokenContext(ctx context.Context) (string, error) {
	return h.Token(ctx)
}

// GetAccessToken is Token without a context, for the library's interface.
func (h *TokenHandle) GetAccessToken() (string, error) {
	return h.Token(context.Background())
}
