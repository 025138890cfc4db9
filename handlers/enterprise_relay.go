package handlers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"zhenggai/bot"
	"zhenggai/store"
)

// Reaching the contact. A message to an enterprise goes to the platform the
// contact last wrote from (bot.ContactTarget), so a leader on Feishu answers
// an enterprise on WeCom 微信客服. Every message is first a row of the
// request's thread, then a delivery keyed "ereq-msg:<message id>:<n>" so
// that the planner can find the ones the outbox gave up on and tell the
// leader why (planner_enterprise.go).
//
// 微信客服 lets the bureau send a WeChat user at most 5 messages within
// 48 hours of the user's last message. The window lives in Postgres
// (wecom_kf_windows, kept by the WeCom adapter: last message, replies
// sent); a message is sent now only when the window is open and its
// replies plus the deliveries still queued to the user leave room.
// Otherwise it is held (request_messages.held), the leader is told at once,
// and it goes out, oldest first, when the enterprise writes again.

// kfWindow and kfMaxReplies are 微信客服's reply window.
const (
	kfWindow     = 48 * time.Hour
	kfMaxReplies = 5
)

// contactRoute is what became of a message to a contact.
type contactRoute struct {
	// Sent is true when the message was queued for delivery now.
	Sent bool
	// Held is true when it waits for the enterprise's next message.
	Held bool
	// Why says, in Chinese, why it was not sent now.
	Why string
}

// contactTarget is where a contact is reached: the platform it last wrote
// from when that is enabled, else its first account on an enabled one.
func contactTarget(ctx context.Context, b *bot.Bot, st *store.Store, contactID int64) (bot.Target, bool, error) {
	prefer, err := st.LastInboundPlatform(ctx, contactID)
	if err != nil {
		return bot.Target{}, false, err
	}
	return b.ContactTarget(ctx, st, contactID, bot.Platform(prefer))
}

// kfWindowProblem says why a WeChat user cannot get reserve+1 more
// messages now, or "" when it can.
func kfWindowProblem(ctx context.Context, st *store.Store, userID string, now time.Time, reserve int) (string, error) {
	w, err := st.KFWindowOf(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return "企业尚未通过微信客服来信，微信客服不允许主动发送", nil
	}
	if err != nil {
		return "", err
	}
	if now.After(w.LastInboundAt.Add(kfWindow)) {
		return fmt.Sprintf("企业最后一次通过微信客服来信已超过 48 小时（%s），微信客服不允许再回复", w.LastInboundAt.In(shanghaiZone).Format("01-02 15:04")), nil
	}
	queued, err := st.QueuedDeliveriesTo(ctx, string(bot.WeComKF), userID)
	if err != nil {
		return "", err
	}
	if used := w.Replies + queued; used+reserve >= kfMaxReplies {
		return fmt.Sprintf("企业上次来信后已回复 %d 条，达到微信客服 48 小时内最多 %d 条的上限", used, kfMaxReplies), nil
	}
	return "", nil
}

// shanghaiZone renders window times; 微信客服 is a mainland service.
var shanghaiZone = time.FixedZone("CST", 8*3600)

// messageForContact builds the message a contact receives for a thread
// message, as the target platform can show it.
type messageForContact func(to bot.Target) bot.Message

// routeToContact queues m (already in the thread) to the contact, or holds
// it for the 微信客服 window, or reports that the contact cannot be
// reached.
func routeToContact(ctx context.Context, b *bot.Bot, st *store.Store, q *store.EnterpriseRequest, m *store.RequestMessage,
	build messageForContact, now time.Time) (contactRoute, *bot.Outgoing, error) {
	to, ok, err := contactTarget(ctx, b, st, q.ContactID)
	if err != nil {
		return contactRoute{}, nil, err
	}
	if !ok {
		return contactRoute{Why: "企业联系人在已启用的消息平台上都没有账号"}, nil, nil
	}
	if to.Platform == bot.WeComKF {
		why, err := kfWindowProblem(ctx, st, to.UserID, now, 0)
		if err != nil {
			return contactRoute{}, nil, err
		}
		if why != "" {
			if err := st.SetMessageHeld(ctx, m.ID, true); err != nil {
				return contactRoute{}, nil, err
			}
			return contactRoute{Held: true, Why: why}, nil, nil
		}
	}
	return contactRoute{Sent: true}, &bot.Outgoing{To: to, Message: build(to), Key: relayKey(m, now), Subject: "ereq-out:" + strconv.FormatInt(q.ID, 10)}, nil
}

// relayKey is the delivery key of one attempt to send a thread message.
func relayKey(m *store.RequestMessage, now time.Time) string {
	return fmt.Sprintf("ereq-msg:%d:%d", m.ID, now.UnixNano())
}

// replyText is how a leader's answer reads to the enterprise.
func replyText(number, who, text string) string {
	return fmt.Sprintf("【诉求 %s】%s答复：\n%s", number, who, text)
}

// threadMessageText is what a contact receives for a stored out message.
func threadMessageText(q *store.EnterpriseRequest, m *store.RequestMessage) string {
	if m.PersonID != nil && m.PersonName != "" {
		return replyText(q.Number, m.PersonName, m.Text)
	}
	return m.Text
}

// releaseHeld sends the replies held for the contact now that it wrote
// (this event), as many as its 微信客服 window allows after reserve
// messages the handler still sends.
func (h *handler) releaseHeld(ctx context.Context, r *bot.Request, contactID int64, reserve int) ([]int64, error) {
	held, err := r.Store.HeldMessagesOfContact(ctx, contactID)
	if err != nil || len(held) == 0 {
		return nil, err
	}
	to, ok, err := contactTarget(ctx, r.Bot(), r.Store, contactID)
	if err != nil || !ok {
		return nil, err
	}
	room := len(held)
	if to.Platform == bot.WeComKF {
		if r.Event.Platform != bot.WeComKF || r.Event.Sender.ID != to.UserID {
			return nil, nil
		}
		// This message reopened the window (the adapter resets it in its
		// own transaction): what is queued to the user is what is used.
		queued, err := r.Store.QueuedDeliveriesTo(ctx, string(bot.WeComKF), to.UserID)
		if err != nil {
			return nil, err
		}
		room = min(room, kfMaxReplies-queued-reserve)
	}
	reqs := map[int64]*store.EnterpriseRequest{}
	var released []int64
	for i, m := range held {
		if i >= room {
			break
		}
		q := reqs[m.RequestID]
		if q == nil {
			if q, err = r.Store.EnterpriseRequestByID(ctx, m.RequestID); err != nil {
				return nil, err
			}
			reqs[m.RequestID] = q
		}
		if err := r.Store.SetMessageHeld(ctx, m.ID, false); err != nil {
			return nil, err
		}
		r.Send(bot.Outgoing{To: to, Message: bot.Message{Text: threadMessageText(q, m)}, Key: relayKey(m, r.Now),
			Subject: "ereq-out:" + strconv.FormatInt(q.ID, 10)})
		released = append(released, m.ID)
	}
	return released, nil
}
