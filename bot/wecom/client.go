package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"zhenggai/bot"
)

// The WeCom server API, written by hand over net/http: the library's calls
// take no context, use a process-global HTTP client and fixed
// https://qyapi.weixin.qq.com URLs, lose the errcode of some answers and
// cannot take our token handle (kf.Client builds its own). Ours takes the
// base URL and proxy from configuration, so tests point it at a local fake.

// Token errcodes: the access_token is invalid (40014), expired (42001) or
// the credential is wrong (40001, also returned for a token revoked after the
// secret was reset). A call that gets one refreshes the token and tries once
// more.
var tokenErrcodes = []int{40014, 42001, 40001}

// Errcodes a retry cannot fix.
var permanentErrcodes = []int{
	40003,  // invalid userid
	40013,  // invalid corpid
	40056,  // invalid agentid / chatid
	40058,  // bad parameter
	60011,  // no privilege (user outside the app's visible range)
	81013,  // every recipient is invalid
	86003,  // app group does not exist
	86004,  // app group chatid invalid
	86008,  // not a group created by this app
	95016,  // 微信客服: session not allowed
	95018,  // 微信客服: session ended, cannot send
	301002, // no permission on the resource
}

// Errcodes of API frequency limits.
var rateErrcodes = []int{45009, 45033, 45011}

// APIError is a WeCom answer with a non-zero errcode.
type APIError struct {
	API  string
	Code int
	Msg  string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("wecom: %s: errcode %d: %s", e.API, e.Code, e.Msg)
}

// ErrCode returns the errcode of err, or 0.
func ErrCode(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return 0
}

// sendError maps a send failure to the delivery worker's vocabulary:
// ErrPermanent for what a retry cannot fix, RateLimitedError for limits.
func sendError(err error) error {
	code := ErrCode(err)
	switch {
	case slices.Contains(permanentErrcodes, code):
		return fmt.Errorf("%w: %w", bot.ErrPermanent, err)
	case slices.Contains(rateErrcodes, code):
		return &bot.RateLimitedError{RetryAfter: time.Minute, Err: err}
	}
	return err
}

// Client calls the WeCom server API with a cached access_token.
type Client struct {
	base  string
	http  *http.Client
	token *TokenHandle
}

// status is the errcode/errmsg every answer carries.
type status struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// body is a request body and its content type.
type body struct {
	contentType string
	data        []byte
}

func jsonBody(v any) (body, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return body{}, fmt.Errorf("wecom: encode request: %w", err)
	}
	return body{contentType: "application/json", data: buf.Bytes()}, nil
}

// postJSON POSTs in as JSON to path and decodes the answer into out.
func (c *Client) postJSON(ctx context.Context, path string, query url.Values, in, out any) error {
	b, err := jsonBody(in)
	if err != nil {
		return err
	}
	return c.call(ctx, http.MethodPost, path, query, &b, out)
}

// get GETs path and decodes the answer into out.
func (c *Client) get(ctx context.Context, path string, query url.Values, out any) error {
	return c.call(ctx, http.MethodGet, path, query, nil, out)
}

// call sends one request with the access_token; on a token errcode it
// refreshes the token and sends it once more.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, b *body, out any) error {
	for attempt := 0; ; attempt++ {
		tok, err := c.token.Token(ctx)
		if err != nil {
			return err
		}
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("access_token", tok)
		raw, err := c.do(ctx, method, path, q, b)
		if err != nil {
			return err
		}
		var st status
		if err := json.Unmarshal(raw, &st); err != nil {
			return fmt.Errorf("wecom: %s: decode answer: %w", path, err)
		}
		if slices.Contains(tokenErrcodes, st.ErrCode) && attempt == 0 {
			c.token.Invalidate(tok)
			continue
		}
		if st.ErrCode != 0 {
			return &APIError{API: path, Code: st.ErrCode, Msg: st.ErrMsg}
		}
		if out != nil {
			if err := json.Unmarshal(raw, out); err != nil {
				return fmt.Errorf("wecom: %s: decode answer: %w", path, err)
			}
		}
		return nil
	}
}

// do sends one HTTP request and returns the answer's body.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, b *body) ([]byte, error) {
	var rd io.Reader
	if b != nil {
		rd = bytes.NewReader(b.data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path+"?"+q.Encode(), rd)
	if err != nil {
		return nil, fmt.Errorf("wecom: %s: %w", path, err)
	}
	if b != nil {
		req.Header.Set("Content-Type", b.contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// The URL carries the token: report the path only.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("wecom: %s: %w", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("wecom: %s: read answer: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("wecom: %s: HTTP %d", path, resp.StatusCode)
	}
	return raw, nil
}

// multipartBody builds the media upload body: one part named "media".
func multipartBody(name string, content []byte) (body, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	part, err := w.CreateFormFile("media", strings.ReplaceAll(name, `"`, ""))
	if err != nil {
		return body{}, fmt.Errorf("wecom: upload: %w", err)
	}
	if _, err := part.Write(content); err != nil {
		return body{}, fmt.Errorf("wecom: upload: %w", err)
	}
	if err := w.Close(); err != nil {
		return body{}, fmt.Errorf("wecom: upload: %w", err)
	}
	return body{contentType: w.FormDataContentType(), data: buf.Bytes()}, nil
}
