package handlers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"zhenggai/bot"
	"zhenggai/store"
)

// The enterprise relay (联百企驻百站, issue 6). An enterprise contact writes
// to the bot; the first message opens a numbered request (诉求,
// QY-2026-0012) owned by the enterprise's contact leader, later messages
// join it while it is not closed. The owner gets a card with 回复, 转交
// and 办结; his reply goes back to the contact on whatever platform the
// contact wrote from. Only the owner, the enterprise's contact leader and
// the office may read or answer a request; every view and every change is
// audited (entity "enterprise_request", id = its number).
//
// Files of this feature: enterprise.go (routing, contact messages,
// commands), enterprise_cards.go, request_actions.go (card actions),
// enterprise_relay.go (reaching the contact, the 微信客服 window),
// enterprise_clock.go (working hours), planner_enterprise.go (the answer
// clock), succession.go (a new contact leader from the campaign file).

// requestPrefix starts every request number.
const requestPrefix = "QY"

// Request size limits.
const (
	requestTextMax  = 2000 // characters of one message kept
	requestThread   = 6    // messages shown on a card
	requestListSize = 20   // requests listed by 诉求 / 我的诉求
)

// registerEnterprise adds the enterprise relay (issue 6).
func (h *handler) registerEnterprise(rt *bot.Router) {
	rt.ContactCommand(h.contactInfo, "联系人")
	rt.ContactCommand(h.myRequests, "我的诉求")
	rt.Command(h.leaderRequests, "诉求")
	rt.Action("ereq.show", h.showRequest)
	rt.Action("ereq.reply.form", h.replyForm)
	rt.Action("ereq.reply.submit", h.replySubmit)
	rt.Action("ereq.transfer.form", h.transferForm)
	rt.Action("ereq.transfer.submit", h.transferSubmit)
	rt.Action("ereq.close", h.closeRequest)
	rt.Action("ereq.rate", h.rateRequest)
	rt.Action("ereq.rate.comment.submit", h.rateComment)
	rt.Action("ereq.to_item", h.requestToItem)
}

// enterpriseFallback takes a contact's text that is no command: it opens a
// request or joins the open one. It returns handled=false for people and
// strangers.
func (h *handler) enterpriseFallback(ctx context.Context, r *bot.Request) (*bot.Reply, bool, error) {
	if r.Contact == nil || r.Person != nil {
		return nil, false, nil
	}
	reply, err := h.contactMessage(ctx, r)
	return reply, true, err
}

// contactMessage records a contact's message in its request and forwards it
// to the request's owner.
func (h *handler) contactMessage(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	ct := r.Contact
	ent, err := r.Store.EnterpriseByID(ctx, ct.EnterpriseID)
	if err != nil {
		return nil, err
	}
	camp, err := r.Store.CampaignByID(ctx, ent.CampaignID)
	if err != nil {
		return nil, err
	}
	text := strings.TrimSpace(r.Event.Text)
	if text == "" && len(r.Event.Files) == 0 {
		return nil, nil
	}
	if reply, ok, err := h.acknowledge(ctx, r, text); ok || err != nil {
		if err != nil {
			return nil, err
		}
		// The enterprise wrote: replies held for its 微信客服 window go
		// out now, and on 微信客服 they are the answer (each reply counts).
		released, err := h.releaseHeld(ctx, r, ct.ID, 1)
		if err != nil {
			return nil, err
		}
		if len(released) > 0 && r.Event.Platform == bot.WeComKF {
			return nil, nil
		}
		return reply, nil
	}
	if reply, ok, err := h.ratingByText(ctx, r, text); ok || err != nil {
		return reply, err
	}
	q, err := r.Store.OpenRequestOfContact(ctx, ct.ID)
	opened := false
	switch {
	case errors.Is(err, store.ErrNotFound):
		owner, err := defaultOwner(ctx, r.Store, camp, ent)
		if err != nil {
			return nil, err
		}
		if owner == nil {
			return nil, bot.Refuse("贵企业尚未配置联系领导，请联系市局专项整治办公室。")
		}
		q, err = r.Store.CreateEnterpriseRequest(ctx, store.CreateEnterpriseRequestParams{
			CampaignID: camp.ID, EnterpriseID: ent.ID, ContactID: ct.ID, OwnerID: *owner,
			Prefix: requestPrefix, Year: r.Now.In(camp.Location()).Year(), At: r.Now,
		})
		if err != nil {
			return nil, err
		}
		opened = true
	case err != nil:
		return nil, err
	default:
		if err := r.Store.MarkRequestWaiting(ctx, q.ID, r.Now); err != nil {
			return nil, err
		}
	}
	contactID := ct.ID
	var fileNames []string
	if text != "" {
		m := &store.RequestMessage{RequestID: q.ID, Direction: store.MessageIn, ContactID: &contactID,
			Text: truncateRunes(text, requestTextMax), Platform: string(r.Event.Platform), MessageID: r.Event.Message.MessageID, CreatedAt: r.Now}
		if err := r.Store.AddRequestMessage(ctx, m); err != nil {
			return nil, err
		}
	}
	var files []bot.File
	for _, f := range r.Event.Files {
		sf, err := saveEventFile(ctx, r, f)
		if err != nil {
			return nil, err
		}
		m := &store.RequestMessage{RequestID: q.ID, Direction: store.MessageIn, ContactID: &contactID, FileID: &sf.ID,
			Text: "[附件] " + f.Name, Platform: string(r.Event.Platform), MessageID: r.Event.Message.MessageID, CreatedAt: r.Now}
		if err := r.Store.AddRequestMessage(ctx, m); err != nil {
			return nil, err
		}
		fileNames = append(fileNames, f.Name)
		files = append(files, f)
	}
	if q, err = r.Store.EnterpriseRequestByID(ctx, q.ID); err != nil {
		return nil, err
	}
	headline := fmt.Sprintf("**%s %s** 发来新消息", q.EnterpriseName, q.ContactName)
	if opened {
		headline = fmt.Sprintf("**%s %s** 提出新诉求", q.EnterpriseName, q.ContactName)
	}
	card, err := h.requestCard(ctx, r.Store, camp, q, headline)
	if err != nil {
		return nil, err
	}
	reached, err := r.SendToPerson(ctx, q.OwnerID, bot.Message{Card: card}, "", requestSubject(q))
	if err != nil {
		return nil, err
	}
	if reached {
		for i := range files {
			if _, err := r.SendToPerson(ctx, q.OwnerID, bot.Message{File: &files[i]}, "", ""); err != nil {
				return nil, err
			}
		}
	} else if err := h.tellOffice(ctx, r, camp, bot.Message{Card: card}, "", ""); err != nil {
		return nil, err
	}
	ack := ""
	if opened {
		owner, err := r.Store.PersonByID(ctx, q.OwnerID)
		if err != nil {
			return nil, err
		}
		ack = fmt.Sprintf("您的诉求已收到（编号 %s），已转交联系领导%s（%s），将在 %d 个工作小时内答复。办理期间可继续发送补充说明。",
			q.Number, owner.Name, owner.Title, answerHours(camp))
	} else if r.Event.Platform != bot.WeComKF {
		// 微信客服 allows 5 replies per message of the user: no receipt there.
		ack = fmt.Sprintf("已补充到诉求 %s，已转达联系领导。", q.Number)
	}
	reserve := 0
	if ack != "" {
		reserve = 1
	}
	released, err := h.releaseHeld(ctx, r, q.ContactID, reserve)
	if err != nil {
		return nil, err
	}
	action := "message_in"
	if opened {
		action = "open"
	}
	if err := r.Store.AppendAudit(ctx, store.AuditParams{Actor: contactActor(r), Entity: "enterprise_request", EntityID: q.Number,
		Action: action, New: map[string]any{"owner": q.OwnerKey, "text": truncateRunes(text, 200), "files": fileNames, "state": q.State, "released": released}}); err != nil {
		return nil, err
	}
	if ack == "" {
		return nil, nil
	}
	return bot.TextReply("%s", ack), nil
}

// defaultOwner is who a new request of ent goes to: its contact leader, or
// the office when it has none.
func defaultOwner(ctx context.Context, st *store.Store, camp *store.Campaign, ent *store.Enterprise) (*int64, error) {
	if ent.LeaderID != nil {
		return ent.LeaderID, nil
	}
	return officeHandler(ctx, st, camp)
}

// officeHandler is the person who handles what goes "to the office": its
// liaison, else its leader.
func officeHandler(ctx context.Context, st *store.Store, camp *store.Campaign) (*int64, error) {
	u, err := st.UnitByKey(ctx, camp.ID, camp.OfficeUnitKey)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if u.LiaisonID != nil {
		return u.LiaisonID, nil
	}
	return u.LeaderID, nil
}

// tellOffice sends m to the office's handler (its liaison, else its
// leader) 1:1.
func (h *handler) tellOffice(ctx context.Context, r *bot.Request, camp *store.Campaign, m bot.Message, key, subject string) error {
	id, err := officeHandler(ctx, r.Store, camp)
	if err != nil || id == nil {
		return err
	}
	_, err = r.SendToPerson(ctx, *id, m, key, subject)
	return err
}

// contactActor is the audit actor of a contact's action: no person, the
// contact's platform account.
func contactActor(r *bot.Request) store.Actor {
	a := r.Actor()
	a.PersonID = 0
	return a
}

// requestSubject names a request's cards to its handlers, so that they are
// redrawn when it changes.
func requestSubject(q *store.EnterpriseRequest) string { return "ereq:" + strconv.FormatInt(q.ID, 10) }

// msgNoRequestRight refuses a request to one who may not handle it.
const msgNoRequestRight = "企业诉求仅限其联系领导、受转交人和市局专项整治办公室查看和办理。"

// canHandle reports whether the asker may read and answer q: its owner
// (whoever it was transferred to), the enterprise's contact leader, or the
// office (CanSeeRequest, access.go).
func canHandle(r *bot.Request, q *store.EnterpriseRequest) bool {
	return r.Person != nil && CanSeeRequest(viewerOf(r), r.Campaign, q)
}

// requestParam loads the request named by the action's "request" param,
// locked when lock is set, and checks the asker may handle it.
func requestParam(ctx context.Context, r *bot.Request, lock bool) (*store.EnterpriseRequest, error) {
	if r.Event.Action == nil {
		return nil, bot.Refuse("该操作已失效，请重新打开卡片。")
	}
	id, err := strconv.ParseInt(r.Event.Action.Params["request"], 10, 64)
	if err != nil {
		return nil, bot.Refuse("该操作已失效，请重新打开卡片。")
	}
	var q *store.EnterpriseRequest
	if lock {
		q, err = r.Store.LockEnterpriseRequest(ctx, id)
	} else {
		q, err = r.Store.EnterpriseRequestByID(ctx, id)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, bot.Refuse("该诉求不存在。")
	}
	if err != nil {
		return nil, err
	}
	if r.Contact != nil && r.Person == nil {
		if !canSeeRequest(viewerOf(r), q) {
			return nil, bot.Refuse("该诉求不属于贵企业。")
		}
		return q, nil
	}
	if !canHandle(r, q) {
		return nil, bot.Refuse(msgNoRequestRight)
	}
	return q, nil
}

// auditView records that the asker read a request.
func auditView(ctx context.Context, r *bot.Request, q *store.EnterpriseRequest, how string) error {
	return r.Store.AppendAudit(ctx, store.AuditParams{Actor: r.Actor(), Entity: "enterprise_request", EntityID: q.Number,
		Action: "view", New: map[string]any{"via": how}})
}

func truncateRunes(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n])
}
