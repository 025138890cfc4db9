package wecom

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"

	"zhenggai/bot"
)

// FetchFile downloads an inbound file: bot.File.Ref is its media_id
// (DownloadMedia).
func (a *Adapter) FetchFile(ctx context.Context, f bot.File, limit int64) (*bot.File, error) {
	return a.DownloadMedia(ctx, f.Ref, f.Name, limit)
}

// FetchFile downloads a file a WeChat user sent (as the app's).
func (k *KFAdapter) FetchFile(ctx context.Context, f bot.File, limit int64) (*bot.File, error) {
	return k.a.FetchFile(ctx, f, limit)
}

// DownloadMedia fetches temporary media (images, voice, video and files
// members or WeChat users sent; WeCom keeps them 3 days) with media/get, so
// it can be kept in Postgres, reading at most limit bytes. A media_id WeCom
// refuses (expired, unknown: an API error other than "busy") is a
// permanent loss.
func (a *Adapter) DownloadMedia(ctx context.Context, mediaID, fallbackName string, limit int64) (*bot.File, error) {
	for attempt := 0; ; attempt++ {
		tok, err := a.client.token.Token(ctx)
		if err != nil {
			return nil, err
		}
		q := url.Values{"access_token": {tok}, "media_id": {mediaID}}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.client.base+"/cgi-bin/media/get?"+q.Encode(), nil)
		if err != nil {
			return nil, fmt.Errorf("wecom: media/get: %w", err)
		}
		resp, err := a.client.http.Do(req)
		if err != nil {
			if ue, ok := err.(*url.Error); ok {
				err = ue.Err
			}
			return nil, fmt.Errorf("wecom: media/get: %w", err)
		}
		raw, err := io.ReadAll(io.LimitReader(resp.Body, limit))
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("wecom: media/get: %w", err)
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("wecom: media/get: HTTP %d", resp.StatusCode)
		}
		ct := resp.Header.Get("Content-Type")
		if strings.HasPrefix(ct, "application/json") || strings.HasPrefix(ct, "text/plain") {
			var st status
			if json.Unmarshal(raw, &st) == nil && st.ErrCode != 0 {
				if slices.Contains(tokenErrcodes, st.ErrCode) && attempt == 0 {
					a.client.token.Invalidate(tok)
					continue
				}
				ae := &APIError{API: "/cgi-bin/media/get", Code: st.ErrCode, Msg: st.ErrMsg}
				if st.ErrCode == -1 || st.ErrCode == 45009 || st.ErrCode == 45033 {
					return nil, ae // busy or over the rate: try again later
				}
				return nil, fmt.Errorf("%w: %w", bot.ErrPermanent, ae)
			}
		}
		name := fallbackName
		if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil && params["filename"] != "" {
			name = path.Base(params["filename"])
		}
		if mt, _, err := mime.ParseMediaType(ct); err == nil {
			ct = mt
		}
		if ct == "" {
			ct = http.DetectContentType(raw)
		}
		return &bot.File{Name: name, MIME: ct, Content: raw}, nil
	}
}

// mediaLabel names a kind of media in Chinese.
func mediaLabel(kind string) string {
	if l := map[string]string{"image": "图片", "voice": "语音", "video": "视频", "file": "文件"}[kind]; l != "" {
		return l
	}
	return kind
}

// mediaName is the name a file without one gets: 图片-<media id prefix>.jpg.
func mediaName(kind, mediaID string) string {
	ext := map[string]string{"image": ".jpg", "voice": ".amr", "video": ".mp4"}[kind]
	id := mediaID
	if len(id) > 8 {
		id = id[:8]
	}
	return mediaLabel(kind) + "-" + id + ext
}
