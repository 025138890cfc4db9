package dingtalk

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"zhenggai/bot"
)

// maxInboundFile bounds a file or picture a user sends the robot (佐证);
// larger ones are left out and the user is told by the handler that
// nothing arrived.
const maxInboundFile = 20 << 20

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
				part.FileName = cmp.Or(part.FileName, "图片")
				out = append(out, part)
			}
		}
		return out
	}
	return nil
}

// downloadFiles fetches a message's files through
// /v1.0/robot/messageFiles/download. A file that cannot be fetched is
// logged and left out: the message still reaches the bot.
func (a *Adapter) downloadFiles(ctx context.Context, m *robotMessage) []bot.File {
	var out []bot.File
	for _, at := range attachments(m) {
		f, err := a.downloadFile(ctx, at)
		if err != nil {
			a.log.WarnContext(ctx, "Message file not downloaded", slog.String("event_id", m.MsgID), slog.Any("error", err))
			continue
		}
		out = append(out, *f)
	}
	return out
}

func (a *Adapter) downloadFile(ctx context.Context, at attachment) (*bot.File, error) {
	var link struct {
		DownloadURL string `json:"downloadUrl"`
	}
	body := map[string]string{"downloadCode": at.DownloadCode, "robotCode": a.opts.RobotCode}
	if err := a.api.call(ctx, http.MethodPost, "/v1.0/robot/messageFiles/download", body, &link); err != nil {
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
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("dingtalk: download file: status %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxInboundFile+1))
	if err != nil {
		return nil, fmt.Errorf("dingtalk: download file: %w", err)
	}
	if len(data) > maxInboundFile {
		return nil, fmt.Errorf("dingtalk: file %q is over %d MiB", at.FileName, maxInboundFile>>20)
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
