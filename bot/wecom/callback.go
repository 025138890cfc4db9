package wecom

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"strconv"
	"time"

	"zhenggai/bot"
	"zhenggai/cards"
)

// Inbound is a decrypted app callback (/90239 messages, /90240 events); it
// is the Raw of the events this adapter dispatches.
type Inbound struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   string   `xml:"ToUserName"`
	FromUserName string   `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      string   `xml:"MsgType"`
	Content      string   `xml:"Content"`
	MediaID      string   `xml:"MediaId"`
	MsgID        string   `xml:"MsgId"`
	AgentID      string   `xml:"AgentID"`
	Event        string   `xml:"Event"`
	EventKey     string   `xml:"EventKey"`
	TaskID       string   `xml:"TaskId"`
	CardType     string   `xml:"CardType"`
	ResponseCode string   `xml:"ResponseCode"`
	Selected     []struct {
		QuestionKey string   `xml:"QuestionKey"`
		OptionIDs   []string `xml:"OptionIds>OptionId"`
	} `xml:"SelectedItems>SelectedItem"`
	// Token and OpenKfID come with kf_msg_or_event (微信客服).
	Token    string `xml:"Token"`
	OpenKfID string `xml:"OpenKfId"`
}

// envelope is the POST body before decryption.
type envelope struct {
	ToUserName string `xml:"ToUserName"`
	AgentID    string `xml:"AgentID"`
	Encrypt    string `xml:"Encrypt"`
}

// Mount serves GET|POST /callback/wecom.
func (a *Adapter) Mount(mux *http.ServeMux, d bot.Dispatcher) {
	mux.HandleFunc("GET /callback/wecom", func(w http.ResponseWriter, r *http.Request) { a.verifyURL(w, r, d) })
	mux.HandleFunc("POST /callback/wecom", func(w http.ResponseWriter, r *http.Request) { a.callback(w, r, d) })
}

// reject answers 401 and counts the refusal.
func (a *Adapter) reject(w http.ResponseWriter, r *http.Request, d bot.Dispatcher, reason string) {
	bot.NewRejecter(bot.WeCom, d, nil, a.log)(w, r, http.StatusUnauthorized, reason, nil)
}

// verifyURL answers WeCom's URL check with the bare decrypted echostr
// (within 1 s: no I/O happens here).
func (a *Adapter) verifyURL(w http.ResponseWriter, r *http.Request, d bot.Dispatcher) {
	q := r.URL.Query()
	plain, err := a.crypto.Open(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), q.Get("echostr"))
	if err != nil {
		a.reject(w, r, d, "signature")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write(plain)
}

// callback verifies, decrypts and dispatches one POSTed message or event,
// and answers inside WeCom's 5 s: 200 when handled (or a duplicate), 500
// when the dispatch failed so that WeCom retries.
func (a *Adapter) callback(w http.ResponseWriter, r *http.Request, d bot.Dispatcher) {
	start := time.Now()
	q := r.URL.Query()
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var env envelope
	if err := xml.Unmarshal(raw, &env); err != nil {
		a.reject(w, r, d, "malformed")
		return
	}
	ts := q.Get("timestamp")
	plain, err := a.crypto.Open(q.Get("msg_signature"), ts, q.Get("nonce"), env.Encrypt)
	if err != nil {
		a.reject(w, r, d, "signature")
		return
	}
	if sec, err := strconv.ParseInt(ts, 10, 64); err != nil || a.stale(time.Unix(sec, 0)) {
		a.reject(w, r, d, "stale")
		return
	}
	// The receive id inside the ciphertext was checked to be our corp id;
	// ToUserName is not checked again (微信客服 events may name the kf
	// component there).
	var in Inbound
	if err := xml.Unmarshal(plain, &in); err != nil {
		a.reject(w, r, d, "malformed")
		return
	}
	ctx := r.Context()
	media := in.MediaID != "" && (in.MsgType == "image" || in.MsgType == "voice" || in.MsgType == "video" || in.MsgType == "file")
	card := in.MsgType == "event" && (in.Event == "template_card_event" || in.Event == "template_card_menu_event")
	if ((in.MsgType == "text" || media) && (in.MsgID == "" || in.FromUserName == "")) || (card && in.FromUserName == "") {
		// Nothing to deduplicate on, or nobody to answer.
		a.reject(w, r, d, "malformed")
		return
	}
	switch {
	case in.MsgType == "text":
		_, err = d.Dispatch(ctx, a.textEvent(&in))
	case media:
		err = a.mediaEvent(ctx, d, &in)
	case card:
		a.cardEvent(ctx, w, d, &in, start)
		return
	case in.MsgType == "event" && in.Event == "kf_msg_or_event":
		a.kf.Kick(in.OpenKfID, in.Token)
	default:
		a.log.DebugContext(ctx, "Callback ignored", slog.String("msg_type", in.MsgType), slog.String("event", in.Event))
	}
	if err != nil {
		http.Error(w, "retry", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (a *Adapter) stale(t time.Time) bool {
	skew := a.cfg.MaxSkew
	if skew == 0 {
		skew = time.Hour
	}
	d := a.clock.Now().Sub(t)
	return d > skew || d < -skew
}

// textEvent decodes a text message a member sent the app in their 1:1 chat
// (the app never hears group messages). Its ID is the MsgId.
func (a *Adapter) textEvent(in *Inbound) *bot.Event {
	ev := &bot.Event{
		ID: in.MsgID, Kind: bot.KindMessage, Platform: bot.WeCom,
		Chat:   bot.Chat{Kind: bot.Direct},
		Sender: bot.User{ID: in.FromUserName},
		Text:   in.Content,
		At:     time.Unix(in.CreateTime, 0),
		Raw:    in,
	}
	ev.Message = bot.MessageRef{Platform: bot.WeCom, MessageID: in.MsgID}
	return ev
}

// mediaEvent dispatches what a member sent (a photo of the rectified
// site, a document) as a message with the file as a reference (its
// media_id): the bot answers at once and downloads it afterwards
// (FetchFile), retrying on its own schedule rather than WeCom's.
func (a *Adapter) mediaEvent(ctx context.Context, d bot.Dispatcher, in *Inbound) error {
	ev := a.textEvent(in)
	ev.Text = ""
	ev.Files = []bot.File{{Name: mediaName(in.MsgType, in.MediaID), Ref: in.MediaID}}
	_, err := d.Dispatch(ctx, ev)
	return err
}

// CardEventID is the dedupe id of a card click: a hash of the clicker, the
// card's task_id and the clicked key, so WeCom's retries and a second click
// of the same button apply once.
func CardEventID(from, taskID, key string) string {
	h := sha256.Sum256([]byte(from + "\x00" + taskID + "\x00" + key))
	return "card:" + hex.EncodeToString(h[:16])
}

// actionEvent decodes a template_card_event. A key we did not make is
// dispatched as an action named after it, which the router refuses.
func (a *Adapter) actionEvent(in *Inbound) *bot.Event {
	act := &bot.Action{Name: in.EventKey, Params: map[string]string{}}
	kind, name, params, err := cards.ParseWeComKey(in.EventKey)
	if err == nil {
		act.Name, act.Params = name, params
		switch kind {
		case cards.WeComKeySubmit:
			act.Form = cards.Values{}
			for _, s := range in.Selected {
				act.Form[s.QuestionKey] = append([]string(nil), s.OptionIDs...)
			}
		case cards.WeComKeyForm:
			// A form WeCom cannot show: the submit action without values; the
			// handler answers with the form and the bot asks it field by field.
		}
	}
	ev := &bot.Event{
		ID: CardEventID(in.FromUserName, in.TaskID, in.EventKey), Kind: bot.KindCardAction, Platform: bot.WeCom,
		Chat:   bot.Chat{Kind: bot.Direct},
		Sender: bot.User{ID: in.FromUserName},
		Action: act,
		At:     time.Unix(in.CreateTime, 0),
		Raw:    in,
	}
	ev.Message = bot.MessageRef{Platform: bot.WeCom, MessageID: in.TaskID, Token: in.ResponseCode}
	return ev
}

// cardEvent dispatches a click and answers it: a new card replaces the
// clicker's copy through update_template_card with the click's
// response_code; without a new card, a short success toast relabels (and
// disables) the clicked button through the encrypted passive reply; warnings,
// errors and long toasts go to the clicker as text.
func (a *Adapter) cardEvent(ctx context.Context, w http.ResponseWriter, d bot.Dispatcher, in *Inbound, start time.Time) {
	ev := a.actionEvent(in)
	reply, err := d.Dispatch(ctx, ev)
	if err != nil {
		http.Error(w, "retry", http.StatusInternalServerError)
		return
	}
	if reply == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	budget := a.cfg.CallbackBudget
	if budget == 0 {
		budget = 3 * time.Second
	}
	uctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), start.Add(budget))
	defer cancel()
	if reply.Card != nil {
		if err := a.updateCard(uctx, in.ResponseCode, in.TaskID, []string{in.FromUserName}, reply.Card); err != nil {
			a.log.WarnContext(ctx, "Card update after click failed", slog.String("task_id", in.TaskID), slog.Any("error", err))
		}
	}
	calm := reply.ToastKind == "" || reply.ToastKind == "success" || reply.ToastKind == "info"
	if reply.Toast == "" || (reply.Card != nil && calm) {
		// The updated card says it.
		w.WriteHeader(http.StatusOK)
		return
	}
	if reply.Card == nil && calm && cards.RuneLen(reply.Toast) <= 12 {
		body, err := a.passiveButton(in, reply.Toast, strconv.FormatInt(a.clock.Now().Unix(), 10))
		if err == nil {
			w.Header().Set("Content-Type", "application/xml; charset=utf-8")
			_, _ = w.Write(body)
			return
		}
		a.log.WarnContext(ctx, "Passive reply failed", slog.Any("error", err))
	}
	if _, err := a.Send(uctx, a.DirectTarget(in.FromUserName), &bot.Message{Text: reply.Toast}); err != nil {
		a.log.WarnContext(ctx, "Toast message failed", slog.String("user", in.FromUserName), slog.Any("error", err))
	}
	w.WriteHeader(http.StatusOK)
}

// passiveUpdateButton is the plaintext of /90241 "更新点击用户的按钮文案".
type passiveUpdateButton struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   cdata    `xml:"ToUserName"`
	FromUserName cdata    `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      cdata    `xml:"MsgType"`
	ReplaceName  cdata    `xml:"Button>ReplaceName"`
}

// passiveButton seals a reply that relabels (and disables) the button the
// user clicked, for that user only.
func (a *Adapter) passiveButton(in *Inbound, label, timestamp string) ([]byte, error) {
	plain, err := xml.Marshal(passiveUpdateButton{
		ToUserName: cdata{in.FromUserName}, FromUserName: cdata{a.cfg.CorpID},
		CreateTime: a.clock.Now().Unix(), MsgType: cdata{"update_button"}, ReplaceName: cdata{label},
	})
	if err != nil {
		return nil, fmt.Errorf("wecom: encode passive reply: %w", err)
	}
	random := []byte(randomString(16))
	return a.crypto.Seal(plain, random, timestamp, randomDigits(10))
}

const alnum = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

func randomString(n int) string {
	b := make([]byte, n)
	for i := range b {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(alnum))))
		if err != nil {
			panic(errors.New("wecom: no randomness"))
		}
		b[i] = alnum[k.Int64()]
	}
	return string(b)
}

func randomDigits(n int) string {
	b := make([]byte, n)
	for i := range b {
		k, _ := rand.Int(rand.Reader, big.NewInt(10))
		b[i] = byte('0' + k.Int64())
	}
	return string(b)
}
