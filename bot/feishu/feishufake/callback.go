// Package feishufake is Feishu's side of the wire, for load generators and
// tests: a local Open API server (fakeapi.go) and the signed, encrypted
// webhook callbacks Feishu sends (this file), as documented in
// shared/platforms/feishu.md §6.3 and §7.
package feishufake

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Header names of a signed webhook.
const (
	HeaderTimestamp = "X-Lark-Request-Timestamp"
	HeaderNonce     = "X-Lark-Request-Nonce"
	HeaderSignature = "X-Lark-Signature"
)

// App is what Feishu knows of an app: its verification token and encrypt
// key.
type App struct {
	AppID             string
	VerificationToken string
	EncryptKey        string
}

// Message is an im.message.receive_v1 event.
type Message struct {
	MessageID string // the event's dedupe key in Zhenggai
	ChatID    string
	P2P       bool
	SenderID  string // open_id
	Text      string
	// ImageKeys, when set, make it a rich-text (post) message: Text and
	// these pictures (served by API.AddResource).
	ImageKeys []string
}

// CardAction is a card.action.trigger callback.
type CardAction struct {
	EventID    string
	OperatorID string // open_id
	ChatID     string
	MessageID  string
	Value      map[string]any // the button's value (action name under "action")
	FormValue  map[string]any // nil for a button outside a form
}

// MessageEvent is the plaintext JSON of m.
func (a App) MessageEvent(m Message, at time.Time) []byte {
	content, _ := json.Marshal(map[string]string{"text": m.Text})
	msgType := "text"
	if len(m.ImageKeys) > 0 {
		para := []map[string]string{{"tag": "text", "text": m.Text}}
		for _, k := range m.ImageKeys {
			para = append(para, map[string]string{"tag": "img", "image_key": k})
		}
		content, _ = json.Marshal(map[string]any{"title": "", "content": [][]map[string]string{para}})
		msgType = "post"
	}
	chatType := "group"
	if m.P2P {
		chatType = "p2p"
	}
	ms := strconv.FormatInt(at.UnixMilli(), 10)
	ev := map[string]any{
		"schema": "2.0",
		"header": map[string]any{"event_id": "ev_" + m.MessageID, "event_type": "im.message.receive_v1",
			"create_time": ms, "token": a.VerificationToken, "app_id": a.AppID, "tenant_key": "tenant"},
		"event": map[string]any{
			"sender": map[string]any{"sender_id": map[string]string{"open_id": m.SenderID}, "sender_type": "user", "tenant_key": "tenant"},
			"message": map[string]any{"message_id": m.MessageID, "chat_id": m.ChatID, "chat_type": chatType,
				"message_type": msgType, "content": string(content), "create_time": ms},
		},
	}
	b, _ := json.Marshal(ev)
	return b
}

// CardActionEvent is the plaintext JSON of c.
func (a App) CardActionEvent(c CardAction, at time.Time) []byte {
	action := map[string]any{"value": c.Value, "tag": "button"}
	if c.FormValue != nil {
		action["form_value"] = c.FormValue
		action["name"] = "submit"
	}
	ev := map[string]any{
		"schema": "2.0",
		"header": map[string]any{"event_id": c.EventID, "event_type": "card.action.trigger",
			"create_time": strconv.FormatInt(at.UnixMicro(), 10), "token": a.VerificationToken, "app_id": a.AppID, "tenant_key": "tenant"},
		"event": map[string]any{
			"operator": map[string]string{"open_id": c.OperatorID},
			"token":    "c-" + c.EventID,
			"action":   action,
			"context":  map[string]string{"open_message_id": c.MessageID, "open_chat_id": c.ChatID},
		},
	}
	b, _ := json.Marshal(ev)
	return b
}

// Seal encrypts plain as Feishu does and signs the body: the request body
// {"encrypt": …} and its three signature headers. Each call uses a new
// nonce and IV, as each delivery (and redelivery) of Feishu does.
func (a App) Seal(plain []byte, at time.Time) ([]byte, http.Header) {
	var iv [aes.BlockSize]byte
	_, _ = rand.Read(iv[:])
	body, _ := json.Marshal(map[string]string{"encrypt": Encrypt(a.EncryptKey, plain, iv[:])})
	var nb [8]byte
	_, _ = rand.Read(nb[:])
	ts, nonce := strconv.FormatInt(at.Unix(), 10), hex.EncodeToString(nb[:])
	h := http.Header{}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderNonce, nonce)
	h.Set(HeaderSignature, Signature(ts, nonce, a.EncryptKey, body))
	return body, h
}

// Request is a sealed callback as an HTTP request to url.
func (a App) Request(url string, plain []byte, at time.Time) (*http.Request, error) {
	body, h := a.Seal(plain, at)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("feishufake: %w", err)
	}
	req.Header = h
	return req, nil
}

// Signature is hex(sha256(timestamp + nonce + encryptKey + body)).
func Signature(timestamp, nonce, encryptKey string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(timestamp + nonce + encryptKey))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Encrypt is how Feishu encrypts a callback: base64(iv ||
// AES-256-CBC(sha256(key), pkcs7(plain))), iv being 16 bytes.
func Encrypt(encryptKey string, plain, iv []byte) string {
	key := sha256.Sum256([]byte(encryptKey))
	block, _ := aes.NewCipher(key[:])
	n := aes.BlockSize - len(plain)%aes.BlockSize
	padded := append(append([]byte{}, plain...), bytes.Repeat([]byte{byte(n)}, n)...)
	out := make([]byte, aes.BlockSize+len(padded))
	copy(out, iv[:aes.BlockSize])
	cipher.NewCBCEncrypter(block, out[:aes.BlockSize]).CryptBlocks(out[aes.BlockSize:], padded)
	return base64.StdEncoding.EncodeToString(out)
}
