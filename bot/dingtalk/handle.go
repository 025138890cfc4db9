package dingtalk

import (
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"zhenggai/bot"
	"zhenggai/cards"
)

// What both modes do with a decoded callback.

// messageTimeout bounds the handling of a robot message (its reply is
// queued, not awaited by DingTalk).
const messageTimeout = 30 * time.Second

// handleMessage dispatches a robot message with its files as references
// (the bot downloads them once the callback is answered, FetchFile).
// Group messages that do not @-mention the
// robot are dropped here.
func (a *Adapter) handleMessage(ctx context.Context, d bot.Dispatcher, m *robotMessage) error {
	ev, err := messageEvent(m)
	if err != nil || ev == nil {
		return err
	}
	if ev.Chat.Kind == bot.Group {
		// Operators read the group's openConversationId here when they
		// write the campaign file.
		a.log.InfoContext(ctx, "DingTalk group message", slog.String("chat_id", ev.Chat.ID),
			slog.String("chat_title", ev.Chat.Title), slog.String("user_id", ev.Sender.ID))
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), messageTimeout)
	defer cancel()
	ev.Files = fileRefs(m)
	_, err = d.Dispatch(ctx, ev)
	return err
}

// cardResponse is the answer to a card callback; over Stream it travels as
// {"response": cardResponse}, over HTTP as the body.
type cardResponse struct {
	CardUpdateOptions *cardUpdateOptions `json:"cardUpdateOptions,omitempty"`
	CardData          *cardParamData     `json:"cardData,omitempty"`
	UserPrivateData   *cardParamData     `json:"userPrivateData,omitempty"`
}

type cardUpdateOptions struct {
	UpdateCardDataByKey    bool `json:"updateCardDataByKey"`
	UpdatePrivateDataByKey bool `json:"updatePrivateDataByKey"`
}

type cardParamData struct {
	CardParamMap map[string]string `json:"cardParamMap"`
}

// handleCard dispatches a card callback within the answer budget and
// returns the clicker's view: the reply's card replaces the card's data by
// key, and its toast becomes the clicker's private result line. DingTalk
// shows a callback's answer to the clicker only; in a 1:1 chat, and for a
// form submitted in a group, the card is then updated for everyone a
// moment later through the update API. A form the clicked card cannot hold
// is sent as a new card, from a group to the clicker's 1:1 chat.
func (a *Adapter) handleCard(ctx context.Context, d bot.Dispatcher, cb *cardCallback) (*cardResponse, error) {
	ev, err := cardEvent(cb)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.opts.CardAnswerBudget)
	defer cancel()
	reply, err := d.Dispatch(ctx, ev)
	if err != nil {
		return nil, err
	}
	resp := &cardResponse{CardUpdateOptions: &cardUpdateOptions{UpdateCardDataByKey: true, UpdatePrivateDataByKey: true}}
	if reply == nil {
		// A duplicate: it was answered the first time.
		return resp, nil
	}
	// The result line belongs to the card it is shown under: the clicked
	// one, or its replacement below.
	rev := clickedRev(cb)
	if reply.Card != nil {
		_, isForm := isCardRef(cb.OutTrackID)
		r, err := cards.RenderDingTalk(reply.Card)
		switch {
		case err != nil || (r.HasForm && !isForm):
			// The clicked card cannot show this one: send it as a new
			// message to where the click came from, a form from a group
			// to the clicker's 1:1 chat (it is his to fill in).
			to := bot.Target{Platform: bot.DingTalk, ChatID: ev.Chat.ID}
			toast := "已发送新的卡片，请在其中继续操作"
			if to.ChatID == "" || (err == nil && r.HasForm) {
				to = a.DirectTarget(ev.Sender.ID)
			}
			if to.ChatID == "" && ev.Chat.ID != "" {
				toast = "已在与整改助手的单聊中发送，请在单聊中继续"
			}
			a.later(func(ctx context.Context) error {
				_, err := a.Send(ctx, to, &bot.Message{Card: reply.Card})
				return err
			})
			if reply.Toast == "" {
				reply.Toast, reply.ToastKind = toast, "info"
			}
		default:
			// Every key the template binds, so that what the new card
			// lacks (a submitted form) is emptied, not kept.
			params := publicParams(r.ParamsFor(isForm))
			rev = params["rev"]
			resp.CardData = &cardParamData{CardParamMap: params}
			// In a group a button's answer changes the clicker's view
			// only: one member opening an item from the group's ledger
			// must not turn everyone's ledger into that item, and what
			// changes state is redrawn for everyone through the outbox.
			// A submitted form is everyone's: nobody may see it open.
			if ev.Chat.Kind != bot.Group || ev.Action.Form != nil {
				a.later(func(ctx context.Context) error { return a.putCard(ctx, cb.OutTrackID, params) })
			}
		}
	}
	// The result line is the clicker's own: private data, which the
	// update of everyone's copy leaves alone.
	resp.UserPrivateData = &cardParamData{CardParamMap: map[string]string{"toast": reply.Toast, "toast_kind": reply.ToastKind, "toast_rev": rev}}
	return resp, nil
}

// clickedRev is the content version the clicked card sent back (rev, a
// param of every button and of the form), or "".
func clickedRev(cb *cardCallback) string {
	raw := cmp.Or(cb.Content, cb.Value)
	var c cardContent
	if json.Unmarshal([]byte(raw), &c) != nil {
		return ""
	}
	params := c.CardPrivateData.Params
	if len(params) == 0 {
		params = c.Params
	}
	rev, _ := params["rev"].(string)
	return rev
}

// publicParams is a rendered card without the clicker's private result
// line.
func publicParams(p map[string]string) map[string]string {
	out := make(map[string]string, len(p))
	for k, v := range p {
		if k != "toast" && k != "toast_kind" {
			out[k] = v
		}
	}
	return out
}

// later runs f in the background after UpdateDelay, detached from the
// callback; Wait waits for it.
func (a *Adapter) later(f func(ctx context.Context) error) {
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		if a.opts.UpdateDelay > 0 {
			time.Sleep(a.opts.UpdateDelay)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := f(ctx); err != nil {
			a.log.Warn("Card follow-up failed", slog.Any("error", err))
		}
	}()
}
