package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store"
)

// officeTarget is the transfer form's choice for the campaign office.
const officeTarget = "office"

// requireCampaign refuses when no campaign is applied.
func requireCampaign(r *bot.Request) error {
	if r.Campaign == nil {
		return bot.Refuse("尚未配置专项整治活动。")
	}
	return nil
}

// handlerRequest loads the action's request for a person who may handle it.
func handlerRequest(ctx context.Context, r *bot.Request, lock bool) (*store.EnterpriseRequest, error) {
	if err := requireCampaign(r); err != nil {
		return nil, err
	}
	if r.Person == nil {
		return nil, bot.Refuse("该操作仅限联系领导和市局专项整治办公室。")
	}
	return requestParam(ctx, r, lock)
}

// openHandlerRequest is handlerRequest for an action on an open request: a
// closed one is refused with closed, a format of the request's number.
func openHandlerRequest(ctx context.Context, r *bot.Request, lock bool, closed string) (*store.EnterpriseRequest, error) {
	q, err := handlerRequest(ctx, r, lock)
	if err != nil {
		return nil, err
	}
	if q.State == store.RequestClosed {
		return nil, bot.Refuse(closed, q.Number)
	}
	return q, nil
}

// contactRequest loads the action's request for the enterprise contact
// whose enterprise it is, locked.
func contactRequest(ctx context.Context, r *bot.Request) (*store.EnterpriseRequest, error) {
	if r.Contact == nil {
		return nil, bot.Refuse("仅企业联系人可以评价诉求。")
	}
	return requestParam(ctx, r, true)
}

// showRequest answers ereq.show: the request's card, audited.
func (h *handler) showRequest(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	q, err := handlerRequest(ctx, r, false)
	if err != nil {
		return nil, err
	}
	c, err := h.requestCard(ctx, r.Store, r.Campaign, q, "")
	if err != nil {
		return nil, err
	}
	if err := auditView(ctx, r, q, "card"); err != nil {
		return nil, err
	}
	return bot.CardReply(c), nil
}

// replyForm answers ereq.reply.form.
func (h *handler) replyForm(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	q, err := openHandlerRequest(ctx, r, false, "诉求 %s 已办结，无法再答复。")
	if err != nil {
		return nil, err
	}
	return bot.CardReply(replyFormCard(q)), nil
}

// formValues checks the submitted values against form and refuses with the
// first problem.
func formValues(r *bot.Request, form *cards.Form) (cards.Values, error) {
	v := cards.Values{}
	if r.Event.Action != nil && r.Event.Action.Form != nil {
		v = r.Event.Action.Form
	}
	if errs := form.Check(v); len(errs) > 0 {
		return nil, bot.Refuse("%s", errs[0].Message)
	}
	return v, nil
}

// replySubmit answers ereq.reply.submit: the answer goes into the thread
// and to the enterprise, and the clock stops.
func (h *handler) replySubmit(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	q, err := openHandlerRequest(ctx, r, true, "诉求 %s 已办结，无法再答复。")
	if err != nil {
		return nil, err
	}
	v, err := formValues(r, replyFormCard(q).Form())
	if err != nil {
		return nil, err
	}
	text := v.Get("text")
	pid := r.Person.ID
	m := &store.RequestMessage{RequestID: q.ID, Direction: store.MessageOut, PersonID: &pid, Text: text,
		Platform: string(r.Event.Platform), MessageID: r.Event.Message.MessageID, CreatedAt: r.Now}
	if err := r.Store.AddRequestMessage(ctx, m); err != nil {
		return nil, err
	}
	if err := r.Store.MarkRequestAnswered(ctx, q.ID, r.Now); err != nil {
		return nil, err
	}
	who := r.Person.Name
	days := autocloseDays(r.Campaign)
	route, out, err := routeToContact(ctx, r.Bot(), r.Store, q, m, func(to bot.Target) bot.Message {
		if to.Platform == bot.WeComKF {
			return bot.Message{Text: replyText(q.Number, who, text) + "\n\n" + answerNextText(days)}
		}
		return bot.Message{Text: replyText(q.Number, who, text), Card: answerCard(q, days)}
	}, r.Now)
	if err != nil {
		return nil, err
	}
	if out != nil {
		r.Send(*out)
	}
	reply, err := h.afterChange(ctx, r, q.ID, "reply", map[string]any{"text": truncateRunes(text, 200), "sent": route.Sent, "held": route.Held, "why": route.Why})
	if err != nil {
		return nil, err
	}
	switch {
	case route.Sent:
		reply.Toast, reply.ToastKind = "答复已发送给企业", "success"
	case route.Held:
		reply.Toast, reply.ToastKind = "答复已保存，暂未发出："+route.Why+"。企业再次来信时将自动发出", "warning"
		reply.Text = undeliveredText(q.Number, q.EnterpriseName, text, route.Why, true)
	default:
		reply.Toast, reply.ToastKind = "答复已保存，但未能送达："+route.Why, "error"
		reply.Text = undeliveredText(q.Number, q.EnterpriseName, text, route.Why, false)
	}
	return reply, nil
}

// undeliveredText is the chat line that tells a leader, besides the toast,
// that his answer did not go out.
func undeliveredText(number, enterprise, text, why string, held bool) string {
	c := undeliveredCard(number, enterprise, text, why, held)
	return c.Title + "：" + strings.ReplaceAll(c.Blocks[0].Markdown, "**", "")
}

// afterChange writes the audit row of a change, redraws the request's cards
// sent before, and returns the request's current card for the clicker.
func (h *handler) afterChange(ctx context.Context, r *bot.Request, id int64, action string, detail map[string]any) (*bot.Reply, error) {
	q, err := r.Store.EnterpriseRequestByID(ctx, id)
	if err != nil {
		return nil, err
	}
	c, err := h.requestCard(ctx, r.Store, r.Campaign, q, "")
	if err != nil {
		return nil, err
	}
	if err := refreshReminders(ctx, r, requestSubject(q), c); err != nil {
		return nil, err
	}
	detail["state"] = q.State
	detail["owner"] = q.OwnerKey
	if err := r.Store.AppendAudit(ctx, store.AuditParams{Actor: r.Actor(), Entity: "enterprise_request", EntityID: q.Number,
		Action: action, New: detail}); err != nil {
		return nil, err
	}
	return bot.CardReply(c), nil
}

// transferOptions are the people and the office a request can go to.
func transferOptions(ctx context.Context, r *bot.Request, q *store.EnterpriseRequest) ([]cards.Option, error) {
	people, err := r.Store.ContactLeaders(ctx, r.Campaign.ID)
	if err != nil {
		return nil, err
	}
	opts := []cards.Option{{Value: officeTarget, Label: "市局专项整治办公室"}}
	for _, p := range people {
		if p.ID == q.OwnerID {
			continue
		}
		label := p.Name
		if p.Title != "" {
			label += "（" + p.Title + "）"
		}
		opts = append(opts, cards.Option{Value: p.Key, Label: label})
	}
	return opts, nil
}

// transferForm answers ereq.transfer.form.
func (h *handler) transferForm(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	q, err := openHandlerRequest(ctx, r, false, "诉求 %s 已办结，无法转交。")
	if err != nil {
		return nil, err
	}
	opts, err := transferOptions(ctx, r, q)
	if err != nil {
		return nil, err
	}
	return bot.CardReply(transferFormCard(q, opts)), nil
}

// transferSubmit answers ereq.transfer.submit: the request changes owner
// with a note, the new owner gets its card, the enterprise is told.
func (h *handler) transferSubmit(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	q, err := openHandlerRequest(ctx, r, true, "诉求 %s 已办结，无法转交。")
	if err != nil {
		return nil, err
	}
	opts, err := transferOptions(ctx, r, q)
	if err != nil {
		return nil, err
	}
	v, err := formValues(r, transferFormCard(q, opts).Form())
	if err != nil {
		return nil, err
	}
	to, note := v.Get("to"), v.Get("note")
	var newOwner *store.Person
	toLabel := ""
	if to == officeTarget {
		id, err := officeHandler(ctx, r.Store, r.Campaign)
		if err != nil {
			return nil, err
		}
		if id == nil {
			return nil, bot.Refuse("市局专项整治办公室尚未配置联络人，无法转交。")
		}
		if newOwner, err = r.Store.PersonByID(ctx, *id); err != nil {
			return nil, err
		}
		toLabel = "市局专项整治办公室（" + newOwner.Name + "）"
	} else {
		if newOwner, err = r.Store.PersonByKey(ctx, to); err != nil {
			return nil, err
		}
		toLabel = newOwner.Name
	}
	if newOwner.ID == q.OwnerID {
		return nil, bot.Refuse("诉求 %s 已由%s承办。", q.Number, newOwner.Name)
	}
	if err := r.Store.SetRequestOwner(ctx, q.ID, newOwner.ID); err != nil {
		return nil, err
	}
	pid := r.Person.ID
	noteMsg := &store.RequestMessage{RequestID: q.ID, Direction: store.MessageNote, PersonID: &pid, CreatedAt: r.Now,
		Text: fmt.Sprintf("%s 将诉求转交%s：%s", r.Person.Name, toLabel, note), Platform: string(r.Event.Platform), MessageID: r.Event.Message.MessageID}
	if err := r.Store.AddRequestMessage(ctx, noteMsg); err != nil {
		return nil, err
	}
	moved, err := r.Store.EnterpriseRequestByID(ctx, q.ID)
	if err != nil {
		return nil, err
	}
	card, err := h.requestCard(ctx, r.Store, r.Campaign, moved, fmt.Sprintf("**%s** 将此诉求转交给您：%s", r.Person.Name, note))
	if err != nil {
		return nil, err
	}
	reached, err := r.SendToPerson(ctx, newOwner.ID, bot.Message{Card: card}, "", requestSubject(moved))
	if err != nil {
		return nil, err
	}
	if !reached {
		return nil, bot.Refuse("%s 在已启用的消息平台上没有账号，无法转交，请选择其他人。", newOwner.Name)
	}
	notice := &store.RequestMessage{RequestID: q.ID, Direction: store.MessageOut, CreatedAt: r.Now,
		Text: fmt.Sprintf("您的诉求 %s 已转由%s（%s）办理。", q.Number, newOwner.Name, newOwner.Title)}
	if to == officeTarget {
		notice.Text = fmt.Sprintf("您的诉求 %s 已转由市局专项整治办公室办理。", q.Number)
	}
	if err := r.Store.AddRequestMessage(ctx, notice); err != nil {
		return nil, err
	}
	route, out, err := routeToContact(ctx, r.Bot(), r.Store, moved, notice, func(bot.Target) bot.Message { return bot.Message{Text: notice.Text} }, r.Now)
	if err != nil {
		return nil, err
	}
	if out != nil {
		r.Send(*out)
	}
	reply, err := h.afterChange(ctx, r, q.ID, "transfer", map[string]any{"from": q.OwnerKey, "to": newOwner.Key, "office": to == officeTarget,
		"note": note, "enterprise_told": route.Sent, "why": route.Why})
	if err != nil {
		return nil, err
	}
	reply.Toast, reply.ToastKind = "已转交"+toLabel, "success"
	return reply, nil
}

// closeRequest answers ereq.close (办结): the enterprise is asked to rate.
func (h *handler) closeRequest(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	q, err := openHandlerRequest(ctx, r, true, "诉求 %s 已办结。")
	if err != nil {
		return nil, err
	}
	if err := r.Store.CloseEnterpriseRequest(ctx, q.ID, r.Now); err != nil {
		return nil, err
	}
	q.State = store.RequestClosed
	ask := &store.RequestMessage{RequestID: q.ID, Direction: store.MessageOut, CreatedAt: r.Now, Text: ratingText(q)}
	if err := r.Store.AddRequestMessage(ctx, ask); err != nil {
		return nil, err
	}
	route, out, err := routeToContact(ctx, r.Bot(), r.Store, q, ask, func(to bot.Target) bot.Message {
		if to.Platform == bot.WeComKF {
			return bot.Message{Text: ask.Text}
		}
		return bot.Message{Card: ratingCard(q)}
	}, r.Now)
	if err != nil {
		return nil, err
	}
	if out != nil {
		r.Send(*out)
	}
	reply, err := h.afterChange(ctx, r, q.ID, "close", map[string]any{"rating_asked": route.Sent, "why": route.Why})
	if err != nil {
		return nil, err
	}
	reply.Toast, reply.ToastKind = "已办结，已请企业评价", "success"
	if !route.Sent {
		reply.Toast, reply.ToastKind = "已办结；评价邀请暂未发出："+route.Why, "warning"
	}
	return reply, nil
}

// ratingWords are what a contact may type to rate.
var ratingWords = map[string]string{
	"满意": store.RatingSatisfied, "非常满意": store.RatingSatisfied, "基本满意": store.RatingBasically, "不满意": store.RatingUnsatisfied,
}

// parseRating reads "不满意，问题没解决" as a rating and its comment.
func parseRating(text string) (rating, comment string, ok bool) {
	if len([]rune(text)) > 300 {
		return "", "", false
	}
	for _, w := range []string{"非常满意", "基本满意", "不满意", "满意"} {
		if rest, found := strings.CutPrefix(text, w); found {
			return ratingWords[w], strings.TrimLeft(strings.TrimSpace(rest), "，,。.：:；;！! "), true
		}
	}
	return "", "", false
}

// rateRequest answers ereq.rate from the enterprise's rating card.
func (h *handler) rateRequest(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	q, err := contactRequest(ctx, r)
	if err != nil {
		return nil, err
	}
	rating := r.Event.Action.Params["rating"]
	if _, ok := ratingLabel[rating]; !ok {
		return nil, bot.Refuse("该操作已失效，请重新打开卡片。")
	}
	answered := q.State == store.RequestAnswered
	if err := h.applyRating(ctx, r, q, rating, ""); err != nil {
		return nil, err
	}
	if answered && rating == store.RatingUnsatisfied {
		return &bot.Reply{Card: unresolvedCard(q), Toast: "已转告联系领导", ToastKind: "info"}, nil
	}
	return &bot.Reply{Card: rateThanksCard(q, rating), Toast: "感谢您的评价", ToastKind: "success"}, nil
}

// ratingByText takes "满意", "基本满意" or "不满意 <意见>" typed by a contact
// whose request was closed and not yet rated (platforms without buttons).
func (h *handler) ratingByText(ctx context.Context, r *bot.Request, text string) (*bot.Reply, bool, error) {
	rating, rest, ok := parseRating(text)
	if !ok {
		return nil, false, nil
	}
	q, err := r.Store.UnratedClosedRequestOfContact(ctx, r.Contact.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	if err := h.applyRating(ctx, r, q, rating, truncateRunes(rest, 500)); err != nil {
		return nil, true, err
	}
	msg := fmt.Sprintf("感谢您对诉求 %s 的评价：%s。", q.Number, ratingLabel[rating])
	if rating == store.RatingUnsatisfied {
		msg += "诉求已重新打开，联系领导和市局专项整治办公室已收到通知。"
	}
	return bot.TextReply("%s", msg), true, nil
}

// applyRating records a rating of a closed request, in the thread and the
// audit log, and tells the owner; 不满意 reopens the request and tells the
// office too.
//
// An answered request (not yet closed) is rated from the answer's buttons
// or by an acknowledgement: 已解决（满意） and 基本满意 close it with that
// rating; 仍未解决 keeps it open, waiting for the leader again.
func (h *handler) applyRating(ctx context.Context, r *bot.Request, q *store.EnterpriseRequest, rating, comment string) error {
	switch {
	case q.State == store.RequestOpen:
		return bot.Refuse("诉求 %s 正在办理，联系领导答复后可评价。", q.Number)
	case q.State == store.RequestAnswered && rating == store.RatingUnsatisfied:
		return h.stillUnresolved(ctx, r, q, comment)
	case q.State == store.RequestAnswered:
		if err := r.Store.CloseEnterpriseRequest(ctx, q.ID, r.Now); err != nil {
			return err
		}
		q.State, q.Rating = store.RequestClosed, nil
	case q.Rating != nil:
		return bot.Refuse("您已评价过诉求 %s（%s），感谢！", q.Number, ratingLabel[*q.Rating])
	}
	if _, err := r.Store.RateEnterpriseRequest(ctx, q, rating, comment, r.Now); err != nil {
		return err
	}
	cid := r.Contact.ID
	text := "评价：" + ratingLabel[rating]
	if comment != "" {
		text += "，" + comment
	}
	if err := r.Store.AddRequestMessage(ctx, &store.RequestMessage{RequestID: q.ID, Direction: store.MessageIn, ContactID: &cid,
		Text: text, Platform: string(r.Event.Platform), MessageID: r.Event.Message.MessageID, CreatedAt: r.Now}); err != nil {
		return err
	}
	camp, err := r.Store.CampaignByID(ctx, q.CampaignID)
	if err != nil {
		return err
	}
	if err := h.tellRating(ctx, r, camp, q.ID, rating, comment); err != nil {
		return err
	}
	if err := h.redrawRequest(ctx, r, camp, q.ID); err != nil {
		return err
	}
	return r.Store.AppendAudit(ctx, store.AuditParams{Actor: contactActor(r), Entity: "enterprise_request", EntityID: q.Number,
		Action: "rate", New: map[string]any{"rating": rating, "comment": comment, "owner": q.OwnerKey}})
}

// stillUnresolved takes 仍未解决 on an answered request: the request waits
// for its leader again (its answer clock restarts), the thread says so and
// the leader gets the request's card.
func (h *handler) stillUnresolved(ctx context.Context, r *bot.Request, q *store.EnterpriseRequest, comment string) error {
	if err := r.Store.MarkRequestWaiting(ctx, q.ID, r.Now); err != nil {
		return err
	}
	cid := r.Contact.ID
	text := "企业表示问题仍未解决"
	if comment != "" {
		text += "：" + comment
	}
	if err := r.Store.AddRequestMessage(ctx, &store.RequestMessage{RequestID: q.ID, Direction: store.MessageIn, ContactID: &cid,
		Text: text, Platform: string(r.Event.Platform), MessageID: r.Event.Message.MessageID, CreatedAt: r.Now}); err != nil {
		return err
	}
	camp, err := r.Store.CampaignByID(ctx, q.CampaignID)
	if err != nil {
		return err
	}
	fresh, err := r.Store.EnterpriseRequestByID(ctx, q.ID)
	if err != nil {
		return err
	}
	c, err := h.requestCard(ctx, r.Store, camp, fresh, fmt.Sprintf("**%s %s** 表示问题仍未解决，请继续办理", fresh.EnterpriseName, fresh.ContactName))
	if err != nil {
		return err
	}
	if err := refreshReminders(ctx, r, requestSubject(fresh), c); err != nil {
		return err
	}
	if _, err := r.SendToPerson(ctx, fresh.OwnerID, bot.Message{Card: c}, "", requestSubject(fresh)); err != nil {
		return err
	}
	return r.Store.AppendAudit(ctx, store.AuditParams{Actor: contactActor(r), Entity: "enterprise_request", EntityID: q.Number,
		Action: "unresolved", New: map[string]any{"comment": comment, "state": fresh.State, "owner": fresh.OwnerKey}})
}

// redrawRequest redraws the request's cards sent to its handlers.
func (h *handler) redrawRequest(ctx context.Context, r *bot.Request, camp *store.Campaign, id int64) error {
	q, err := r.Store.EnterpriseRequestByID(ctx, id)
	if err != nil {
		return err
	}
	c, err := h.requestCard(ctx, r.Store, camp, q, "")
	if err != nil {
		return err
	}
	return refreshReminders(ctx, r, requestSubject(q), c)
}

// tellRating tells the owner about a rating or its comment; when
// unsatisfied, the office as well, with the reopened request's card.
func (h *handler) tellRating(ctx context.Context, r *bot.Request, camp *store.Campaign, id int64, rating, comment string) error {
	q, err := r.Store.EnterpriseRequestByID(ctx, id)
	if err != nil {
		return err
	}
	line := fmt.Sprintf("**%s %s** 对诉求的办理评价：**%s**", q.EnterpriseName, q.ContactName, ratingLabel[rating])
	if comment != "" {
		line += "。意见：" + comment
	}
	if rating != store.RatingUnsatisfied {
		_, err := r.SendToPerson(ctx, q.OwnerID, bot.Message{Text: fmt.Sprintf("诉求 %s：%s", q.Number, strings.ReplaceAll(line, "**", ""))}, "", "")
		return err
	}
	line += "。诉求已重新打开，请继续办理。"
	c, err := h.requestCard(ctx, r.Store, camp, q, line)
	if err != nil {
		return err
	}
	if _, err := r.SendToPerson(ctx, q.OwnerID, bot.Message{Card: c}, "", requestSubject(q)); err != nil {
		return err
	}
	office, err := officeHandler(ctx, r.Store, camp)
	if err != nil || office == nil || *office == q.OwnerID {
		return err
	}
	_, err = r.SendToPerson(ctx, *office, bot.Message{Card: c}, "", requestSubject(q))
	return err
}

// rateComment answers ereq.rate.comment.submit: the optional comment of the
// rating just given.
func (h *handler) rateComment(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	q, err := contactRequest(ctx, r)
	if err != nil {
		return nil, err
	}
	rating := r.Event.Action.Params["rating"]
	if q.Rating == nil || *q.Rating != rating {
		return nil, bot.Refuse("该评价已失效。")
	}
	v, err := formValues(r, rateThanksCard(q, rating).Form())
	if err != nil {
		return nil, err
	}
	comment := v.Get("comment")
	done := &cards.Card{Title: "感谢评价 · " + q.Number, Tone: cards.ToneSuccess, Blocks: []cards.Block{cards.MD("您的评价已收到，感谢支持！")}}
	if comment == "" {
		return &bot.Reply{Card: done, Toast: "评价已收到", ToastKind: "success"}, nil
	}
	if err := r.Store.SetRatingComment(ctx, q.ID, comment); err != nil {
		return nil, err
	}
	cid := r.Contact.ID
	if err := r.Store.AddRequestMessage(ctx, &store.RequestMessage{RequestID: q.ID, Direction: store.MessageIn, ContactID: &cid,
		Text: "评价意见：" + comment, Platform: string(r.Event.Platform), MessageID: r.Event.Message.MessageID, CreatedAt: r.Now}); err != nil {
		return nil, err
	}
	camp, err := r.Store.CampaignByID(ctx, q.CampaignID)
	if err != nil {
		return nil, err
	}
	if err := h.tellRating(ctx, r, camp, q.ID, rating, comment); err != nil {
		return nil, err
	}
	if err := r.Store.AppendAudit(ctx, store.AuditParams{Actor: contactActor(r), Entity: "enterprise_request", EntityID: q.Number,
		Action: "rate_comment", New: map[string]any{"rating": rating, "comment": comment}}); err != nil {
		return nil, err
	}
	done.Blocks = append(done.Blocks, cards.NoteBlock("意见："+comment))
	return &bot.Reply{Card: done, Toast: "意见已提交", ToastKind: "success"}, nil
}
