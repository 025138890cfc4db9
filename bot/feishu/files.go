package feishu

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"

	"zhenggai/bot"
)

// maxInboundFile bounds a file or picture a user sends the bot (佐证);
// larger ones are left out and the handler says nothing arrived.
const maxInboundFile = 20 << 20

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
		return out
	}
	return nil
}

// downloadFiles fetches a message's files (GET im/v1/messages/:id/resources/:key);
// one that fails or is too large is left out and logged.
func (a *Adapter) downloadFiles(ctx context.Context, messageID string, rs []resource) []bot.File {
	var out []bot.File
	for _, r := range rs {
		f, err := a.download(ctx, messageID, r)
		if err != nil {
			a.log.WarnContext(ctx, "Feishu file not downloaded", slog.String("message_id", messageID), slog.String("file_key", r.Key), slog.Any("error", err))
			continue
		}
		out = append(out, *f)
	}
	return out
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
	if len(resp.RawBody) > maxInboundFile {
		return nil, fmt.Errorf("feishu: file %s is %d bytes, limit %d", r.Key, len(resp.RawBody), maxInboundFile)
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
