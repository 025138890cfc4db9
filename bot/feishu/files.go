package feishu

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"

	"zhenggai/bot"
)

// resource is a file or picture in a message, named by its key.
type resource struct {
	Key  string
	Type string // "image" or "file", the resources API's type
	Name string
}

// resources lists the files of a message: an image, a file, a video or a
// voice message, or the images of a rich-text (post) message.
func resources(msgType, content string) []resource {
	var c struct {
		ImageKey string `json:"image_key"`
		FileKey  string `json:"file_key"`
		FileName string `json:"file_name"`
		Content  [][]struct {
			Tag      string `json:"tag"`
			ImageKey string `json:"image_key"`
		} `json:"content"`
	}
	if json.Unmarshal([]byte(content), &c) != nil {
		return nil
	}
	switch msgType {
	case "image":
		if c.ImageKey != "" {
			return []resource{{Key: c.ImageKey, Type: "image", Name: "图片"}}
		}
	case "file", "media", "audio":
		if c.FileKey != "" {
			return []resource{{Key: c.FileKey, Type: "file", Name: cmp.Or(c.FileName, map[string]string{"media": "视频", "audio": "语音"}[msgType], "文件")}}
		}
	case "post":
		var out []resource
		for _, para := range c.Content {
			for _, el := range para {
				if el.Tag == "img" && el.ImageKey != "" {
					out = append(out, resource{Key: el.ImageKey, Type: "image", Name: "图片"})
				}
			}
		}
		if len(out) > 1 {
			// Numbered, so that a notice names the one it is about.
			for i := range out {
				out[i].Name = fmt.Sprintf("图片%d", i+1)
			}
		}
		return out
	}
	return nil
}

// fileRefs are a message's files as references (bot.File.Ref is
// "message_id/type/key"), downloaded by the bot after the callback is
// answered (FetchFile).
func fileRefs(messageID string, rs []resource) []bot.File {
	var out []bot.File
	for _, r := range rs {
		out = append(out, bot.File{Name: r.Name, Ref: messageID + "/" + r.Type + "/" + r.Key})
	}
	return out
}

// FetchFile downloads a file of a message (GET
// im/v1/messages/:id/resources/:key). A resource Feishu answers with a
// client error (not in the message, expired, removed) is a permanent loss.
func (a *Adapter) FetchFile(ctx context.Context, f bot.File, limit int64) (*bot.File, error) {
	parts := strings.SplitN(f.Ref, "/", 3)
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: feishu: bad file ref %q", bot.ErrPermanent, f.Ref)
	}
	got, err := a.download(ctx, parts[0], resource{Type: parts[1], Key: parts[2], Name: f.Name})
	var ae *APIError
	if errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500 && ae.Status != http.StatusTooManyRequests &&
		ae.Code != codeTokenInvalid && ae.Code != codeTokenInvalid2 && ae.Code != codeTokenExpired {
		return nil, fmt.Errorf("%w: %w", bot.ErrPermanent, err)
	}
	if err != nil {
		return nil, err
	}
	if int64(len(got.Content)) > limit {
		got.Content = got.Content[:limit]
	}
	return got, nil
}

func (a *Adapter) download(ctx context.Context, messageID string, r resource) (*bot.File, error) {
	tok, err := a.api.tenantToken(ctx)
	if err != nil {
		return nil, err
	}
	p := "/open-apis/im/v1/messages/" + url.PathEscape(messageID) + "/resources/" + url.PathEscape(r.Key)
	req := &larkcore.ApiReq{HttpMethod: http.MethodGet, ApiPath: p, QueryParams: larkcore.QueryParams{}, PathParams: larkcore.PathParams{},
		SupportedAccessTokenTypes: []larkcore.AccessTokenType{larkcore.AccessTokenTypeTenant}}
	req.QueryParams.Set("type", r.Type)
	resp, err := a.api.sdk.Do(ctx, req, larkcore.WithTenantAccessToken(tok), larkcore.WithFileDownload())
	if err != nil {
		return nil, fmt.Errorf("feishu: download %s: %w", r.Key, err)
	}
	ct := resp.Header.Get("Content-Type")
	if resp.StatusCode != http.StatusOK || strings.Contains(ct, "application/json") {
		var env envelope
		_ = json.Unmarshal(resp.RawBody, &env)
		if env.Code == codeTokenInvalid || env.Code == codeTokenInvalid2 || env.Code == codeTokenExpired {
			a.api.dropToken(tok)
		}
		return nil, &APIError{Status: resp.StatusCode, Code: env.Code, Msg: env.Msg, Path: p}
	}
	name := r.Name
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil && params["filename"] != "" {
		name = params["filename"]
	}
	mt, _, _ := mime.ParseMediaType(ct)
	if r.Type == "image" && path.Ext(name) == "" {
		if exts, _ := mime.ExtensionsByType(mt); len(exts) > 0 {
			name += exts[0]
		}
	}
	return &bot.File{Name: name, MIME: cmp.Or(mt, "application/octet-stream"), Content: resp.RawBody}, nil
}
