package feishu

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"zhenggai/bot"
)

// maxCallbackBody bounds a webhook's body.
const maxCallbackBody = 1 << 20

// Mount serves webhook mode at POST /callback/feishu: events and card
// callbacks, encrypted and signed (see the package doc). It is mounted in
// long-connection mode too when an Encrypt Key and a Verification Token
// are configured, so an app switched to webhooks in the console keeps
// working; without them every request is refused.
func (a *Adapter) Mount(mux *http.ServeMux, d bot.Dispatcher) {
	reject := bot.NewRejecter(bot.Feishu, d, a.opts.Metrics, a.log)
	mux.HandleFunc("POST /callback/feishu", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCallbackBody))
		if err != nil {
			reject(w, r, http.StatusBadRequest, "undecodable", err)
			return
		}
		if a.opts.EncryptKey == "" || a.opts.VerificationToken == "" {
			reject(w, r, http.StatusUnauthorized, "unconfigured", errors.New("feishu: FEISHU_ENCRYPT_KEY and FEISHU_VERIFICATION_TOKEN are not set"))
			return
		}
		now := a.clock.Now()
		ts, nonce, sig := r.Header.Get(headerTimestamp), r.Header.Get(headerNonce), r.Header.Get(headerSignature)
		signed := sig != ""
		if signed {
			// The signature is checked on the raw bytes before anything
			// else is done with them.
			if err := checkSignature(now, a.opts.TimestampWindow, ts, nonce, sig, a.opts.EncryptKey, body); err != nil {
				reject(w, r, http.StatusUnauthorized, rejectReason(err), err)
				return
			}
			if a.replays.seenBefore(sig, now) {
				reject(w, r, http.StatusUnauthorized, "replayed", errReplayed)
				return
			}
		}
		var outer struct {
			Encrypt string `json:"encrypt"`
		}
		if err := json.Unmarshal(body, &outer); err != nil {
			reject(w, r, http.StatusUnauthorized, "undecodable", err)
			return
		}
		if outer.Encrypt == "" {
			reject(w, r, http.StatusUnauthorized, "undecryptable", errNotEncrypted)
			return
		}
		plain, err := decrypt(a.opts.EncryptKey, outer.Encrypt)
		if err != nil {
			reject(w, r, http.StatusUnauthorized, rejectReason(err), err)
			return
		}
		var env eventEnvelope
		if err := json.Unmarshal(plain, &env); err != nil {
			reject(w, r, http.StatusUnauthorized, "undecodable", err)
			return
		}
		if env.Type == "url_verification" {
			// Sent unsigned when the URL is saved in the console; the
			// decryption and the token authenticate it. Answered at once
			// (Feishu waits 1 s).
			if err := checkToken(env.Token, a.opts.VerificationToken); err != nil {
				reject(w, r, http.StatusUnauthorized, rejectReason(err), err)
				return
			}
			bot.WriteJSON(w, map[string]string{"challenge": env.Challenge})
			return
		}
		if !signed {
			reject(w, r, http.StatusUnauthorized, "bad_signature", errUnsigned)
			return
		}
		if err := checkToken(env.Header.Token, a.opts.VerificationToken); err != nil {
			reject(w, r, http.StatusUnauthorized, rejectReason(err), err)
			return
		}
		ans, err := a.handle(r.Context(), d, plain)
		if err != nil {
			if errors.Is(err, errUndecodable) {
				reject(w, r, http.StatusBadRequest, "undecodable", err)
				return
			}
			a.log.ErrorContext(r.Context(), "Feishu event failed", slog.String("event_id", env.Header.EventID),
				slog.String("event_type", env.Header.EventType), slog.Any("error", err))
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
		a.replays.remember(sig, now, now.Add(2*a.opts.TimestampWindow))
		if ans != nil {
			bot.WriteJSON(w, ans)
			return
		}
		bot.WriteJSON(w, map[string]string{"msg": "success"})
	})
}
