package wecom

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"

	"github.com/silenceper/wechat/v2/util"
)

// The callback crypto of /90968: msg_signature = sha1 of the sorted token,
// timestamp, nonce and ciphertext; the ciphertext is AES-256-CBC of
// random(16) | length(4) | message | receiveid, where receiveid is the corp
// id for a self-built app. The primitives are the library's util package.

// ErrSignature is a callback whose msg_signature does not match.
var ErrSignature = errors.New("wecom: bad msg_signature")

// Crypto verifies, decrypts and encrypts callback payloads.
type Crypto struct {
	token     string
	aesKey    string
	receiveID string
}

// NewCrypto checks the EncodingAESKey (43 characters of base64).
func NewCrypto(token, encodingAESKey, receiveID string) (*Crypto, error) {
	if len(encodingAESKey) != 43 {
		return nil, fmt.Errorf("wecom: EncodingAESKey must be 43 characters, not %d", len(encodingAESKey))
	}
	if k, err := base64.StdEncoding.DecodeString(encodingAESKey + "="); err != nil || len(k) != 32 {
		return nil, errors.New("wecom: EncodingAESKey is not base64 of 32 bytes")
	}
	if token == "" {
		return nil, errors.New("wecom: callback Token is empty")
	}
	return &Crypto{token: token, aesKey: encodingAESKey, receiveID: receiveID}, nil
}

// Verify checks msg_signature in constant time.
func (c *Crypto) Verify(signature, timestamp, nonce, encrypted string) bool {
	want := util.Signature(c.token, timestamp, nonce, encrypted)
	return subtle.ConstantTimeCompare([]byte(want), []byte(signature)) == 1
}

// Decrypt opens a verified ciphertext and checks its receive id.
func (c *Crypto) Decrypt(encrypted string) ([]byte, error) {
	_, plain, err := util.DecryptMsg(c.receiveID, encrypted, c.aesKey)
	if err != nil {
		return nil, fmt.Errorf("wecom: decrypt: %w", err)
	}
	return plain, nil
}

// Open verifies and decrypts in one step.
func (c *Crypto) Open(signature, timestamp, nonce, encrypted string) ([]byte, error) {
	if encrypted == "" || !c.Verify(signature, timestamp, nonce, encrypted) {
		return nil, ErrSignature
	}
	return c.Decrypt(encrypted)
}

// replyEnvelope is the encrypted passive reply of /90968.
type replyEnvelope struct {
	XMLName      xml.Name `xml:"xml"`
	Encrypt      cdata    `xml:"Encrypt"`
	MsgSignature cdata    `xml:"MsgSignature"`
	TimeStamp    string   `xml:"TimeStamp"`
	Nonce        cdata    `xml:"Nonce"`
}

type cdata struct {
	Text string `xml:",cdata"`
}

// Seal encrypts a passive reply with random as the 16 random bytes and
// returns the envelope to answer the callback with.
func (c *Crypto) Seal(plain, random []byte, timestamp, nonce string) ([]byte, error) {
	enc, err := util.EncryptMsg(random, plain, c.receiveID, c.aesKey)
	if err != nil {
		return nil, fmt.Errorf("wecom: encrypt reply: %w", err)
	}
	env := replyEnvelope{
		Encrypt:      cdata{string(enc)},
		MsgSignature: cdata{util.Signature(c.token, timestamp, nonce, string(enc))},
		TimeStamp:    timestamp,
		Nonce:        cdata{nonce},
	}
	out, err := xml.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("wecom: encode reply: %w", err)
	}
	return out, nil
}
