package feishu

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"

	"zhenggai/bot"
	"zhenggai/cards"
)

// sentMessage is the data of a message create or reply.
type sentMessage struct {
	MessageID string `json:"message_id"`
	ChatID    string `json:"chat_id"`
}

// Send sends text, a card, or both as one interactive card (the text
// first), so a retry never repeats half of it.
func (a *Adapter) Send(ctx context.Context, to bot.Target, m *bot.Message) (bot.MessageRef, error) {
	if m.File != nil {
		return a.sendFile(ctx, to, m.File, m.IdempotencyKey)
	}
	if err := checkTarget(to); err != nil {
		return bot.MessageRef{}, err
	}
	msgType, content, err := messageContent(m)
	if err != nil {
		return bot.MessageRef{}, err
	}
	return a.send(ctx, to, msgType, content, m.ReplyTo, m.IdempotencyKey)
}

// messageContent renders m as Feishu's msg_type and content string.
func messageContent(m *bot.Message) (string, string, error) {
	if m.Card == nil && m.Text == "" {
		return "", "", fmt.Errorf("feishu: empty message: %w", bot.ErrPermanent)
	}
	if m.Card == nil {
		var b strings.Builder
		for _, id := range m.Mentions {
			fmt.Fprintf(&b, `<at user_id="%s"></at> `, id)
		}
		b.WriteString(m.Text)
		return "text", jsonString(map[string]string{"text": b.String()}), nil
	}
	c := *m.Card
	var head []cards.Block
	if len(m.Mentions) > 0 {
		var b strings.Builder
		for _, id := range m.Mentions {
			fmt.Fprintf(&b, "<at id=%s></at> ", id)
		}
		head = append(head, cards.MD(strings.TrimSpace(b.String())))
	}
	if m.Text != "" {
		head = append(head, cards.MD(m.Text))
	}
	c.Blocks = append(head, c.Blocks...)
	data, err := cards.RenderFeishu(&c)
	if err != nil {
		return "", "", fmt.Errorf("feishu: render card: %w: %w", bot.ErrPermanent, err)
	}
	return "interactive", string(data), nil
}

// send creates or replies with one message under a deterministic uuid.
func (a *Adapter) send(ctx context.Context, to bot.Target, msgType, content, replyTo, key string) (bot.MessageRef, error) {
	idType, id := "chat_id", to.ChatID
	if id == "" {
		idType, id = "open_id", to.UserID
	}
	uuid := sendUUID(key, id, msgType, content, replyTo)
	var out sentMessage
	var err error
	if replyTo != "" {
		err = a.api.call(ctx, http.MethodPost, "/open-apis/im/v1/messages/"+url.PathEscape(replyTo)+"/reply", nil,
			map[string]any{"msg_type": msgType, "content": content, "uuid": uuid}, &out)
		if ae := apiErr(err); ae != nil && ae.Code == codeMessageGone {
			// The message replied to was recalled: send it plainly.
			replyTo = ""
		}
	}
	if replyTo == "" {
		err = a.api.call(ctx, http.MethodPost, "/open-apis/im/v1/messages", map[string]string{"receive_id_type": idType},
			map[string]any{"receive_id": id, "msg_type": msgType, "content": content, "uuid": uuid}, &out)
	}
	if err != nil {
		return bot.MessageRef{}, err
	}
	return bot.MessageRef{Platform: bot.Feishu, ChatID: out.ChatID, MessageID: out.MessageID}, nil
}

// sendUUID is the send's idempotency key (see the package doc): at most 50
// characters, the same for every attempt of one delivery.
func sendUUID(key, receiveID, msgType, content, replyTo string) string {
	h := sha256.New()
	for _, s := range []string{key, receiveID, msgType, content, replyTo} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "zg" + hex.EncodeToString(h.Sum(nil))[:40]
}

func apiErr(err error) *APIError {
	var ae *APIError
	if err != nil && asAPIError(err, &ae) {
		return ae
	}
	return nil
}

func checkTarget(to bot.Target) error {
	if (to.ChatID == "") == (to.UserID == "") {
		return fmt.Errorf("feishu: target needs exactly one of chat and user: %w", bot.ErrPermanent)
	}
	return nil
}

// UpdateCard redraws a sent card for everyone: PATCH by message id (the
// card was sent with update_multi), or, for a card known only by its
// callback token, the delayed-update API (30 min, twice per token).
func (a *Adapter) UpdateCard(ctx context.Context, ref bot.MessageRef, c *cards.Card) error {
	data, err := cards.RenderFeishu(c)
	if err != nil {
		return fmt.Errorf("feishu: render card: %w: %w", bot.ErrPermanent, err)
	}
	if ref.MessageID != "" {
		return a.api.call(ctx, http.MethodPatch, "/open-apis/im/v1/messages/"+url.PathEscape(ref.MessageID), nil,
			map[string]string{"content": string(data)}, nil)
	}
	if ref.Token != "" {
		return a.api.call(ctx, http.MethodPost, "/open-apis/interactive/v1/card/update", nil,
			map[string]any{"token": ref.Token, "card": json.RawMessage(data)}, nil)
	}
	return fmt.Errorf("feishu: card reference without message id or token: %w", bot.ErrPermanent)
}

// SendFile uploads f (an image through im/v1/images, anything else through
// im/v1/files) and sends it. Its uuid derives from the file's content: the
// same file to the same target within an hour is sent once.
func (a *Adapter) SendFile(ctx context.Context, to bot.Target, f *bot.File) (bot.MessageRef, error) {
	return a.sendFile(ctx, to, f, "")
}

func (a *Adapter) sendFile(ctx context.Context, to bot.Target, f *bot.File, key string) (bot.MessageRef, error) {
	if err := checkTarget(to); err != nil {
		return bot.MessageRef{}, err
	}
	if len(f.Content) == 0 {
		return bot.MessageRef{}, fmt.Errorf("feishu: empty file %q: %w", f.Name, bot.ErrPermanent)
	}
	sum := sha256.Sum256(f.Content)
	key = key + "|file:" + hex.EncodeToString(sum[:])
	if strings.HasPrefix(f.MIME, "image/") {
		var out struct {
			ImageKey string `json:"image_key"`
		}
		fd := larkcore.NewFormdata().AddField("image_type", "message").AddFile("image", bytes.NewReader(f.Content))
		if err := a.api.call(ctx, http.MethodPost, "/open-apis/im/v1/images", nil, fd, &out); err != nil {
			return bot.MessageRef{}, err
		}
		return a.send(ctx, to, "image", jsonString(map[string]string{"image_key": out.ImageKey}), "", key)
	}
	var out struct {
		FileKey string `json:"file_key"`
	}
	fd := larkcore.NewFormdata().AddField("file_type", fileType(f.Name)).AddField("file_name", f.Name).
		AddFileWithName("file", f.Name, bytes.NewReader(f.Content))
	if err := a.api.call(ctx, http.MethodPost, "/open-apis/im/v1/files", nil, fd, &out); err != nil {
		return bot.MessageRef{}, err
	}
	return a.send(ctx, to, "file", jsonString(map[string]string{"file_key": out.FileKey}), "", key)
}

// jsonString encodes v as content strings are written: without escaping
// <, > and & (mentions are tags).
func jsonString(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimRight(b.String(), "\n")
}

// fileType is im/v1/files' file_type for a name.
func fileType(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".pdf":
		return "pdf"
	case ".doc", ".docx":
		return "doc"
	case ".xls", ".xlsx":
		return "xls"
	case ".ppt", ".pptx":
		return "ppt"
	case ".mp4":
		return "mp4"
	case ".opus":
		return "opus"
	}
	return "stream"
}
