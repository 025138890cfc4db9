package dingtalk

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"time"
)

// Signature checks of HTTP mode. Stream mode needs none: the connection
// itself is opened with the app's credentials.

// signatureWindow is how far a callback's timestamp may be from now.
const signatureWindow = time.Hour

// Verification failures, also the reason label of the rejected-events metric.
var (
	errNoSignature  = errors.New("missing signature")
	errBadTimestamp = errors.New("bad timestamp")
	errStale        = errors.New("stale timestamp")
	errBadSignature = errors.New("bad signature")
)

// robotSign is the sign header of a robot callback:
// Base64(HmacSHA256(key = appSecret, msg = timestamp + "\n" + appSecret)).
func robotSign(appSecret, timestamp string) string {
	return hmacBase64(appSecret, timestamp+"\n"+appSecret)
}

// cardSign is the x-ddpaas-signature header of a card callback:
// Base64(HmacSHA256(key = apiSecret, msg = timestamp)).
func cardSign(apiSecret, timestamp string) string {
	return hmacBase64(apiSecret, timestamp)
}

func hmacBase64(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// checkSigned verifies a timestamp (epoch milliseconds) within the window
// of now and a signature computed by sign, in constant time.
func checkSigned(now time.Time, timestamp, got, want string) error {
	if timestamp == "" || got == "" {
		return errNoSignature
	}
	ms, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return errBadTimestamp
	}
	if d := now.Sub(time.UnixMilli(ms)); d > signatureWindow || d < -signatureWindow {
		return errStale
	}
	if !hmac.Equal([]byte(got), []byte(want)) {
		return errBadSignature
	}
	return nil
}

// rejectReason is the metric label of a verification error.
func rejectReason(err error) string {
	switch {
	case errors.Is(err, errNoSignature):
		return "no_signature"
	case errors.Is(err, errBadTimestamp):
		return "bad_timestamp"
	case errors.Is(err, errStale):
		return "stale"
	case errors.Is(err, errBadSignature):
		return "bad_signature"
	}
	return "undecodable"
}
