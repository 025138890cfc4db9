package feishu

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
)

// Webhook verification (shared/platforms/feishu.md §1.4, §1.5, §7.5).

// Header names of a signed webhook.
const (
	headerTimestamp = "X-Lark-Request-Timestamp"
	headerNonce     = "X-Lark-Request-Nonce"
	headerSignature = "X-Lark-Signature"
)

// Verification failures; each is a 401 and a reason label of
// zhenggai_events_rejected_total.
var (
	errUnsigned     = errors.New("feishu: request not signed")
	errBadSignature = errors.New("feishu: bad signature")
	errStale        = errors.New("feishu: timestamp outside the window")
	errReplayed     = errors.New("feishu: request seen before")
	errBadToken     = errors.New("feishu: wrong verification token")
	errNotEncrypted = errors.New("feishu: body not encrypted")
	errDecrypt      = errors.New("feishu: cannot decrypt")
)

func rejectReason(err error) string {
	switch {
	case errors.Is(err, errUnsigned), errors.Is(err, errBadSignature):
		return "bad_signature"
	case errors.Is(err, errStale):
		return "stale"
	case errors.Is(err, errReplayed):
		return "replayed"
	case errors.Is(err, errBadToken):
		return "bad_token"
	case errors.Is(err, errNotEncrypted), errors.Is(err, errDecrypt):
		return "undecryptable"
	}
	return "undecodable"
}

// signature is hex(sha256(timestamp + nonce + encryptKey + body)), the
// SDK's larkevent.Signature.
func signature(timestamp, nonce, encryptKey string, body []byte) string {
	return larkevent.Signature(timestamp, nonce, encryptKey, string(body))
}

// checkSignature verifies a webhook's signature and timestamp.
func checkSignature(now time.Time, window time.Duration, timestamp, nonce, sig, encryptKey string, body []byte) error {
	if timestamp == "" || sig == "" {
		return errUnsigned
	}
	want := signature(timestamp, nonce, encryptKey, body)
	if subtle.ConstantTimeCompare([]byte(want), []byte(sig)) != 1 {
		return errBadSignature
	}
	secs, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q", errStale, timestamp)
	}
	if d := now.Sub(time.Unix(secs, 0)); d > window || d < -window {
		return fmt.Errorf("%w: %s off", errStale, d.Round(time.Second))
	}
	return nil
}

// checkToken compares a token with the Verification Token in constant
// time.
func checkToken(got, want string) error {
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errBadToken
	}
	return nil
}

// decrypt opens base64(iv || AES-256-CBC(sha256(key), pkcs7(plain))).
//
// It is ours, not the SDK's larkevent.EventDecrypt, which does not check
// or strip the PKCS7 padding but keeps the bytes from the first "{" to the
// last "}": Feishu's own example ("hello world" under "test key") comes
// back with its padding, a wrong Encrypt Key yields garbage instead of an
// error (so a misconfigured key would read as undecodable bodies), and a
// plaintext with a "}" before its first "{" panics on a slice bound, on an
// unsigned request (url_verification is sent without a signature).
// TestDecryptVectors holds both.
func decrypt(encryptKey, encrypted string) ([]byte, error) {
	buf, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil {
		return nil, fmt.Errorf("%w: base64: %w", errDecrypt, err)
	}
	if len(buf) < 2*aes.BlockSize || len(buf)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: %d bytes", errDecrypt, len(buf))
	}
	key := sha256.Sum256([]byte(encryptKey))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errDecrypt, err)
	}
	iv, ct := buf[:aes.BlockSize], buf[aes.BlockSize:]
	plain := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, ct)
	n := int(plain[len(plain)-1])
	if n == 0 || n > aes.BlockSize || n > len(plain) || !bytes.Equal(plain[len(plain)-n:], bytes.Repeat([]byte{byte(n)}, n)) {
		return nil, fmt.Errorf("%w: bad padding (wrong Encrypt Key?)", errDecrypt)
	}
	return plain[:len(plain)-n], nil
}

// replayCache remembers the signatures of handled webhooks until their
// timestamp leaves the window, so the same request sent again is refused
// (a new delivery of the same event is signed anew and reaches the
// dedupe instead).
type replayCache struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

func newReplayCache() *replayCache { return &replayCache{seen: map[string]time.Time{}} }

func (c *replayCache) seenBefore(sig string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	until, ok := c.seen[sig]
	return ok && now.Before(until)
}

func (c *replayCache) remember(sig string, now, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.seen) > 1000 {
		for k, u := range c.seen {
			if !now.Before(u) {
				delete(c.seen, k)
			}
		}
	}
	c.seen[sig] = until
}
