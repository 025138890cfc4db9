package dingtalk

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"zhenggai/bot"
)

// maxCallbackBody bounds a callback's body.
const maxCallbackBody = 1 << 20

// Mount serves HTTP mode: POST /callback/dingtalk for robot messages and
// POST /callback/dingtalk/card for card callbacks. A request that fails
// verification gets 401, changes nothing and is counted as rejected.
// Both are mounted in Stream mode too: the signatures guard them, and an
// app switched to HTTP in the console keeps working.
func (a *Adapter) Mount(mux *http.ServeMux, d bot.Dispatcher) {
	reject := bot.NewRejecter(bot.DingTalk, d, a.opts.Metrics, a.log)
	mux.HandleFunc("POST /callback/dingtalk", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCallbackBody))
		if err != nil {
			reject(w, r, http.StatusBadRequest, "undecodable", err)
			return
		}
		ts := r.Header.Get("timestamp")
		if err := checkSigned(a.clock.Now(), ts, r.Header.Get("sign"), robotSign(a.opts.ClientSecret, ts)); err != nil {
			reject(w, r, http.StatusUnauthorized, rejectReason(err), err)
			return
		}
		var m robotMessage
		if err := json.Unmarshal(body, &m); err != nil {
			reject(w, r, http.StatusBadRequest, "undecodable", err)
			return
		}
		a.stream.noteCallback()
		if err := a.handleMessage(r.Context(), d, &m); err != nil {
			if errors.Is(err, errUndecodable) {
				reject(w, r, http.StatusBadRequest, "undecodable", err)
				return
			}
			a.log.ErrorContext(r.Context(), "Robot message failed", slog.String("event_id", m.MsgID), slog.Any("error", err))
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
		bot.WriteJSON(w, map[string]string{"msgtype": "empty"})
	})
	mux.HandleFunc("POST /callback/dingtalk/card", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCallbackBody))
		if err != nil {
			reject(w, r, http.StatusBadRequest, "undecodable", err)
			return
		}
		ts := r.Header.Get("x-ddpaas-signature-timestamp")
		if err := checkSigned(a.clock.Now(), ts, r.Header.Get("x-ddpaas-signature"), cardSign(a.opts.CardCallbackSecret, ts)); err != nil {
			reject(w, r, http.StatusUnauthorized, rejectReason(err), err)
			return
		}
		var cb cardCallback
		if err := json.Unmarshal(body, &cb); err != nil {
			reject(w, r, http.StatusBadRequest, "undecodable", err)
			return
		}
		a.stream.noteCallback()
		resp, err := a.handleCard(r.Context(), d, &cb)
		if err != nil {
			if errors.Is(err, errUndecodable) {
				reject(w, r, http.StatusBadRequest, "undecodable", err)
				return
			}
			a.log.ErrorContext(r.Context(), "Card callback failed", slog.String("out_track_id", cb.OutTrackID), slog.Any("error", err))
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
		bot.WriteJSON(w, resp)
	})
}
