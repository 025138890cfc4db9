package dingtalk

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"zhenggai/bot"
)

// attachment is a file or picture in a robot message, named by its
// download code.
type attachment struct {
	DownloadCode string `json:"downloadCode"`
	FileName     string `json:"fileName"`
	Type         string `json:"type"`
}

// attachments lists the files of a message: a file, a picture, or the
// pictures of a rich-text message.
func attachments(m *robotMessage) []attachment {
	switch m.Msgtype {
	case "file", "picture":
		var at attachment
		if json.Unmarshal(m.Content, &at) != nil || at.DownloadCode == "" {
			return nil
		}
		if at.FileName == "" {
			at.FileName = "图片"
		}
		return []attachment{at}
	case "richText":
		var rt struct {
			RichText []attachment `json:"richText"`
		}
		if json.Unmarshal(m.Content, &rt) != nil {
			return nil
		}
		var out []attachment
		for _, part := range rt.RichText {
			if part.DownloadCode != "" {
				out = append(out, part)
			}
		}
		for i := range out {
			// Numbered when there are several, so that a notice names the
			// one it is about.
			name := "图片"
			if len(out) > 1 {
				name = fmt.Sprintf("图片%d", i+1)
			}
			out[i].FileName = cmp.Or(out[i].FileName, name)
		}
		return out
	}
	return nil
}

// fileRefs are a message's files as references (bot.File.Ref is the
// downloadCode), downloaded by the bot after the callback is answered
// (FetchFile).
func fileRefs(m *robotMessage) []bot.File {
	var out []bot.File
	for _, at := range attachments(m) {
		out = append(out, bot.File{Name: at.FileName, Ref: at.DownloadCode})
	}
	return out
}

// FetchFile downloads a message's file through
// /v1.0/robot/messageFiles/download. A download code DingTalk refuses
// (expired, unknown) or a link that answers 4xx is a permanent loss.
func (a *Adapter) FetchFile(ctx context.Context, f bot.File, limit int64) (*bot.File, error) {
	return a.downloadFile(ctx, attachment{DownloadCode: f.Ref, FileName: f.Name}, limit)
}

func (a *Adapter) downloadFile(ctx context.Context, at attachment, limit int64) (*bot.File, error) {
	var link struct {
		DownloadURL string `json:"downloadUrl"`
	}
	body := map[string]string{"downloadCode": at.DownloadCode, "robotCode": a.opts.RobotCode}
	if err := a.api.call(ctx, http.MethodPost, "/v1.0/robot/messageFiles/download", body, &link); err != nil {
		// A refused code (expired, unknown) is ErrPermanent (classify).
		return nil, fmt.Errorf("dingtalk: file download link: %w", err)
	}
	if link.DownloadURL == "" {
		return nil, fmt.Errorf("dingtalk: file download link: empty")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link.DownloadURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := a.api.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("dingtalk: download file: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone {
		return nil, fmt.Errorf("%w: dingtalk: download file: status %d", bot.ErrPermanent, resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("dingtalk: download file: status %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return nil, fmt.Errorf("dingtalk: download file: %w", err)
	}
	typ := resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(typ); err == nil {
		typ = mt
	}
	if typ == "" || typ == "application/octet-stream" {
		typ = http.DetectContentType(data)
	}
	name := at.FileName
	if !strings.Contains(name, ".") {
		if exts, _ := mime.ExtensionsByType(typ); len(exts) > 0 {
			name += exts[0]
		}
	}
	return &bot.File{Name: name, MIME: typ, Content: data}, nil
}
