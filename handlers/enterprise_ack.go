package handlers

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"

	"zhenggai/bot"
	"zhenggai/store"
)

// Acknowledgements. After the leader's answer, an enterprise contact
// naturally replies "满意", "谢谢" or "好的👍": short words that close the
// loop and are not a new message for the leader. ackOf reads them; the
// relay (enterprise_relay.go) acts on what it read.

// ack is what a short reply of an enterprise contact means.
type ack string

// Acknowledgements. ackThanks is a thank-you without a rating; the others
// are the choices of the answer's buttons.
const (
	ackNone       ack = ""
	ackThanks     ack = "thanks"
	ackSatisfied  ack = store.RatingSatisfied
	ackBasically  ack = store.RatingBasically
	ackUnresolved ack = store.RatingUnsatisfied
)

// ackWords are the words of each acknowledgement, as typed (the buttons'
// own labels included: 已解决（满意）, 基本满意, 仍未解决).
var ackWords = map[ack][]string{
	ackSatisfied: {"已解决满意", "已解决", "满意", "非常满意", "很满意", "挺满意", "十分满意", "问题已解决", "解决了", "已经解决",
		"已经解决了", "问题解决了", "好评", "五星好评"},
	ackBasically: {"基本满意", "基本解决", "基本解决了", "还行", "还可以", "一般"},
	ackUnresolved: {"仍未解决", "未解决", "没解决", "没有解决", "还没解决", "还没有解决", "不满意", "问题没解决", "问题未解决",
		"没解决好", "不行"},
}

// thanksWords are politeness that carries no choice; any mix of them (收到，
// 谢谢！) is a thank-you, and they may surround a choice (满意，谢谢).
var thanksWords = []string{"谢谢你们", "谢谢领导", "谢谢您", "谢谢", "感谢你们", "感谢领导", "感谢您", "感谢", "非常感谢", "多谢",
	"谢了", "辛苦了", "辛苦", "好的", "好滴", "好嘞", "收到", "知道了", "明白", "了解", "ok", "okay", "嗯嗯", "嗯", "好", "行",
	"可以", "没问题", "thanks", "thankyou", "thx"}

// ackMaxRunes bounds an acknowledgement: anything longer is a message.
const ackMaxRunes = 24

// ackOf reads text as an acknowledgement, or ackNone when it is a message
// of its own (a question, a new request, anything with content).
func ackOf(text string) ack {
	s := ackNormalize(text)
	if s == "" {
		if strings.TrimSpace(text) != "" && len([]rune(strings.TrimSpace(text))) <= ackMaxRunes {
			return ackThanks // only emoji and punctuation: 👍, 🙏🙏
		}
		return ackNone
	}
	if len([]rune(s)) > ackMaxRunes {
		return ackNone
	}
	// Thank-you words around the choice go first, longest first.
	rest := stripThanks(s)
	if rest == "" {
		return ackThanks
	}
	return ackChoice(rest)
}

// ackNormalize folds widths and case and drops spaces, punctuation,
// symbols and emoji.
func ackNormalize(text string) string {
	var sb strings.Builder
	for _, r := range bot.FoldWidth(text) {
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.Is(unicode.Mn, r) ||
			r == '\uFE0F' || r == '\u200D' || unicode.IsControl(r) {
			continue
		}
		sb.WriteRune(unicode.ToLower(r))
	}
	return sb.String()
}

var thanksByLength = func() []string {
	out := append([]string(nil), thanksWords...)
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}()

// stripThanks removes thank-you words at the start and end of s, until
// what is left is a choice word or nothing ("好的，满意，谢谢" → 满意).
func stripThanks(s string) string {
	for s != "" && ackChoice(s) == ackNone {
		cut := false
		for _, w := range thanksByLength {
			if strings.HasPrefix(s, w) {
				s, cut = s[len(w):], true
				break
			}
			if strings.HasSuffix(s, w) {
				s, cut = s[:len(s)-len(w)], true
				break
			}
		}
		if !cut {
			break
		}
	}
	return s
}

// ackChoice returns the choice s is one of the words of, or ackNone.
func ackChoice(s string) ack {
	for _, a := range []ack{ackUnresolved, ackBasically, ackSatisfied} {
		for _, w := range ackWords[a] {
			if s == w {
				return a
			}
		}
	}
	return ackNone
}

// acknowledge takes a contact's text that is an acknowledgement. After an
// answer it is the choice it names (or a thank-you, which the leader is
// told and which leaves the request answered); with no request in hand it
// gets a polite answer instead of opening one. handled is false for text
// that is a message: no acknowledgement, or one while the request still
// waits for its leader.
func (h *handler) acknowledge(ctx context.Context, r *bot.Request, text string) (*bot.Reply, bool, error) {
	a := ackOf(text)
	if a == ackNone || len(r.Event.Files) > 0 {
		return nil, false, nil
	}
	q, err := r.Store.OpenRequestOfContact(ctx, r.Contact.ID)
	switch {
	case err == nil && q.State == store.RequestOpen:
		return nil, false, nil
	case err == nil:
		reply, err := h.ackAnswered(ctx, r, q, a, text)
		return reply, true, err
	case !errors.Is(err, store.ErrNotFound):
		return nil, true, err
	}
	q, err = r.Store.UnratedClosedRequestOfContact(ctx, r.Contact.ID)
	switch {
	case err == nil && a == ackThanks:
		return bot.TextReply("不客气！请对诉求 %s 的办理作出评价：回复“满意”“基本满意”或“不满意”。", q.Number), true, nil
	case err == nil:
		if err := h.applyRating(ctx, r, q, string(a), ""); err != nil {
			return nil, true, err
		}
		msg := fmt.Sprintf("感谢您对诉求 %s 的评价：%s。", q.Number, ratingLabel[string(a)])
		if a == ackUnresolved {
			msg += "诉求已重新打开，联系领导和市局专项整治办公室已收到通知。"
		}
		return bot.TextReply("%s", msg), true, nil
	case !errors.Is(err, store.ErrNotFound):
		return nil, true, err
	}
	if a == ackUnresolved {
		return bot.TextReply("您目前没有在办的诉求。如有问题仍未解决，请直接用文字描述，我们将转交联系领导办理。"), true, nil
	}
	return bot.TextReply("不客气！如有新的诉求，直接发送文字说明即可，我们会转交联系领导。"), true, nil
}

// ackAnswered applies an acknowledgement to an answered request.
func (h *handler) ackAnswered(ctx context.Context, r *bot.Request, q *store.EnterpriseRequest, a ack, text string) (*bot.Reply, error) {
	switch a {
	case ackSatisfied, ackBasically:
		if err := h.applyRating(ctx, r, q, string(a), ""); err != nil {
			return nil, err
		}
		return bot.TextReply("感谢您的评价：%s。诉求 %s 已办结；如有新的问题，直接发送文字即可。", ratingLabel[string(a)], q.Number), nil
	case ackUnresolved:
		if err := h.applyRating(ctx, r, q, string(a), ""); err != nil {
			return nil, err
		}
		return bot.TextReply("已转告联系领导，诉求 %s 将继续办理。您可以直接回复补充说明仍未解决的情况。", q.Number), nil
	}
	cid := r.Contact.ID
	if err := r.Store.AddRequestMessage(ctx, &store.RequestMessage{RequestID: q.ID, Direction: store.MessageIn, ContactID: &cid,
		Text: truncateRunes(text, requestTextMax), Platform: string(r.Event.Platform), MessageID: r.Event.Message.MessageID, CreatedAt: r.Now}); err != nil {
		return nil, err
	}
	camp, err := r.Store.CampaignByID(ctx, q.CampaignID)
	if err != nil {
		return nil, err
	}
	days := autocloseDays(camp)
	if _, err := r.SendToPerson(ctx, q.OwnerID, bot.Message{Text: fmt.Sprintf("诉求 %s：%s %s 回复“%s”，未作评价。诉求仍为已答复，%d 天内未评价将自动办结。",
		q.Number, q.EnterpriseName, q.ContactName, truncateRunes(strings.TrimSpace(text), 20), days)}, "", ""); err != nil {
		return nil, err
	}
	if err := h.redrawRequest(ctx, r, camp, q.ID); err != nil {
		return nil, err
	}
	if err := r.Store.AppendAudit(ctx, store.AuditParams{Actor: contactActor(r), Entity: "enterprise_request", EntityID: q.Number,
		Action: "ack", New: map[string]any{"text": truncateRunes(text, 50), "state": q.State}}); err != nil {
		return nil, err
	}
	how := "点击答复下方的“已解决（满意）”"
	if r.Event.Platform == bot.WeComKF {
		how = "回复“满意”"
	}
	return bot.TextReply("不客气！如问题已解决，请%s；如仍有问题，直接回复说明即可。", how), nil
}
