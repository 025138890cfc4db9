package handlers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store"
)

// 挂牌督办 (flagged items). The office flags an item: the unit's liaison
// and leader are told, the item owes a progress update every week (the
// planner reminds on the week's first workday when there was none in the
// last seven days), and its 销号, once the unit's leader approves it, waits
// for the office's 复核 (通过 closes it, 退回 sends it back to 整改中) — the
// seed's "逐一销号". The office's own approval of a 销号 is its 复核.
// Flagging and unflagging are audited.

// registerFlags adds the 挂牌督办 commands and actions.
func (h *handler) registerFlags(rt *bot.Router) {
	rt.Command(h.typedFlag("挂牌督办", "flag.set", h.flagSet), "挂牌督办")
	rt.Command(h.typedFlag("取消挂牌", "flag.unset", h.flagUnset), "取消挂牌")
	rt.Command(h.typedFlag("复核通过", "flag.review.approve", h.flagReviewApprove), "复核通过")
	rt.Command(h.typedFlag("退回整改", "flag.review.reject.form", h.flagReviewRejectForm), "退回整改")
	rt.Action("flag.set", h.flagSet)
	rt.Action("flag.unset", h.flagUnset)
	rt.Action("flag.review.approve", h.flagReviewApprove)
	rt.Action("flag.review.reject.form", h.flagReviewRejectForm)
	rt.Action("flag.review.reject.submit", h.flagReviewRejectSubmit)
}

// flagRef are the params naming an item for the flag actions.
func flagRef(it *store.LedgerItem) map[string]string { return itemRef(it) }

// typedFlag is a typed 挂牌督办 label: "挂牌督办 LB-2026-001".
func (h *handler) typedFlag(word, action string, run bot.Handler) bot.Handler {
	return func(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
		if err := needOffice(r, word); err != nil {
			return nil, err
		}
		number, _ := leadingNumber(r.Args)
		if number == "" {
			return nil, bot.Refuse("请写明问题编号，例如“%s LB-2026-001”。", word)
		}
		it, err := r.Store.LedgerItemByNumber(ctx, r.Campaign.ID, number)
		if errors.Is(err, store.ErrNotFound) {
			return nil, bot.Refuse("未找到问题 %s。", number)
		}
		if err != nil {
			return nil, err
		}
		return asAction(ctx, r, action, flagRef(it), run)
	}
}

// officeItem loads and locks the action's item for an office-only step,
// with its unit and flag (nil when not flagged).
func officeItem(ctx context.Context, r *bot.Request, what string) (*store.LedgerItem, *store.Unit, *store.FlaggedItem, error) {
	if err := needOffice(r, what); err != nil {
		return nil, nil, nil, err
	}
	it, u, err := paramItem(ctx, r, true)
	if err != nil {
		return nil, nil, nil, err
	}
	f, err := r.Store.FlagOf(ctx, it.ID, true)
	if errors.Is(err, store.ErrNotFound) {
		return it, u, nil, nil
	}
	return it, u, f, err
}

// auditFlag appends the audit row of a flag change.
func auditFlag(ctx context.Context, r *bot.Request, action string, it *store.LedgerItem, old, cur *store.FlaggedItem) error {
	p := store.AuditParams{Actor: r.Actor(), Entity: "flagged_item", EntityID: strconv.FormatInt(it.ID, 10), Action: action,
		New: map[string]any{"number": it.Number, "flag": cur}}
	if old != nil {
		p.Old = map[string]any{"number": it.Number, "flag": old}
	}
	return r.Store.AppendAudit(ctx, p)
}

// tellUnit sends text and the item's card to the unit's liaison and leader.
func tellUnit(ctx context.Context, r *bot.Request, it *store.LedgerItem, u *store.Unit, key, text string) error {
	c, err := itemCard(ctx, r, it, u)
	if err != nil {
		return err
	}
	for _, id := range unitRecipients(u) {
		if id == r.Person.ID {
			continue
		}
		if _, err := r.SendToPerson(ctx, id, bot.Message{Text: text, Card: c}, fmt.Sprintf("%s:p:%d", key, id), itemSubject(it.ID)); err != nil {
			return err
		}
	}
	return nil
}

// flagSet answers flag.set {item, v}: the office flags an open item.
func (h *handler) flagSet(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	it, u, f, err := officeItem(ctx, r, "挂牌督办")
	if err != nil {
		return nil, err
	}
	if it.Status == store.ItemClosed {
		return nil, bot.Refuse("问题 %s 已销号，无需挂牌督办。", it.Number)
	}
	if f != nil {
		return nil, bot.Refuse("问题 %s 已在挂牌督办中。", it.Number)
	}
	f = &store.FlaggedItem{ItemID: it.ID, CampaignID: r.Campaign.ID, FlaggedBy: &r.Person.ID, FlaggedAt: r.Now}
	if err := r.Store.FlagItem(ctx, f); err != nil {
		return nil, conflictRefusal(err, "问题 %s 已在挂牌督办中。", it.Number)
	}
	if err := auditFlag(ctx, r, "flag", it, nil, f); err != nil {
		return nil, err
	}
	text := fmt.Sprintf("市局专项整治办公室已将问题 %s 挂牌督办：请每周报送整改进展；销号经单位领导同意后，还需办公室复核。", it.Number)
	if err := tellUnit(ctx, r, it, u, fmt.Sprintf("flag:%d:set:%d", it.ID, f.FlaggedAt.Unix()), text); err != nil {
		return nil, err
	}
	c, err := officeItemCard(ctx, r, it, u)
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Card: c, Toast: "已挂牌督办 " + it.Number, ToastKind: "success"}, nil
}

// flagUnset answers flag.unset {item, v}: the office lifts the flag
// (audited); not while a 销号 waits for its 复核.
func (h *handler) flagUnset(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	it, u, f, err := officeItem(ctx, r, "取消挂牌督办")
	if err != nil {
		return nil, err
	}
	if f == nil {
		return nil, bot.Refuse("问题 %s 未挂牌督办。", it.Number)
	}
	if f.ReviewRequestID != nil {
		return nil, bot.Refuse("问题 %s 的销号正等待复核，请先复核。", it.Number)
	}
	if err := r.Store.UnflagItem(ctx, it.ID); err != nil {
		return nil, err
	}
	if err := auditFlag(ctx, r, "unflag", it, f, nil); err != nil {
		return nil, err
	}
	c, err := officeItemCard(ctx, r, it, u)
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Card: c, Toast: "已取消挂牌督办 " + it.Number, ToastKind: "success"}, nil
}

// flaggedApproval is the 复核 step of approvalApprove: a 销号 of a flagged
// item approved by the unit's leader (not the office) is recorded as
// approved, and the item waits for the office's 复核 instead of closing.
// ok is false when the approval is an ordinary one.
func (h *handler) flaggedApproval(ctx context.Context, r *bot.Request, q *store.ItemRequest, it *store.LedgerItem, u *store.Unit) (*bot.Reply, bool, error) {
	if q.Kind != store.RequestKindClose || r.Roles.Office {
		return nil, false, nil
	}
	f, err := r.Store.FlagOf(ctx, it.ID, true)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	oldReq, oldFlag, now := *q, *f, r.Now
	q.State, q.DecidedBy, q.DecidedAt = store.ItemRequestApproved, &r.Person.ID, &now
	if err := r.Store.DecideItemRequest(ctx, q); err != nil {
		return nil, true, conflictRefusal(err, "该申请已处理。")
	}
	f.ReviewRequestID, f.ReviewSince = &q.ID, &now
	if err := r.Store.SetFlagReview(ctx, it.ID, f.ReviewRequestID, f.ReviewSince); err != nil {
		return nil, true, err
	}
	if err := r.Store.AppendAudit(ctx, store.AuditParams{Actor: r.Actor(), Entity: "item_request", EntityID: strconv.FormatInt(q.ID, 10),
		Action: "approve_close_for_review", Old: oldReq, New: q}); err != nil {
		return nil, true, err
	}
	if err := auditFlag(ctx, r, "review_requested", it, &oldFlag, f); err != nil {
		return nil, true, err
	}
	// The office reviews: its liaison and leader get the review card.
	office, err := r.Store.UnitByKey(ctx, r.Campaign.ID, r.Campaign.OfficeUnitKey)
	if err != nil {
		return nil, true, err
	}
	rc := reviewCardFrom(it, u, q, r.Person.Name, r.Campaign.Location())
	for _, id := range unitRecipients(office) {
		if _, err := r.SendToPerson(ctx, id, bot.Message{Card: rc}, fmt.Sprintf("flag:%d:review:%d:p:%d", it.ID, q.ID, id), itemSubject(it.ID)); err != nil {
			return nil, true, err
		}
	}
	if q.RequestedBy != nil {
		text := fmt.Sprintf("%s 同意了 %s 的销号申请。该问题为挂牌督办问题，待市局专项整治办公室复核后销号。", r.Person.Name, it.Number)
		if _, err := r.SendToPerson(ctx, *q.RequestedBy, bot.Message{Text: text}, fmt.Sprintf("decision:%d", q.ID), itemSubject(it.ID)); err != nil {
			return nil, true, err
		}
	}
	c, err := h.approvalCard(ctx, r, it, u, q)
	if err != nil {
		return nil, true, err
	}
	c.Blocks = append(c.Blocks, cards.NoteBlock("挂牌督办问题：已提交市局专项整治办公室复核。"))
	return &bot.Reply{Card: c, Toast: "已同意，待办公室复核", ToastKind: "success"}, true, nil
}

// reviewCardFrom is the office's 复核 card of a flagged item's 销号.
func reviewCardFrom(it *store.LedgerItem, u *store.Unit, q *store.ItemRequest, leader string, loc *time.Location) *cards.Card {
	c := &cards.Card{Title: "销号复核 · " + it.Number, Subtitle: u.Name + " · 挂牌督办", Tone: cards.ToneWarning}
	c.Blocks = append(c.Blocks, cards.MD("**问题描述**："+truncate(it.Description, 200)))
	if q.Result != "" {
		c.Blocks = append(c.Blocks, cards.MD("**整改结果**："+truncate(q.Result, 300)))
	}
	if q.Reason != "" {
		c.Blocks = append(c.Blocks, cards.MD("**佐证材料**："+truncate(q.Reason, 300)))
	}
	at := ""
	if q.DecidedAt != nil {
		at = q.DecidedAt.In(loc).Format("01-02 15:04")
	}
	c.Blocks = append(c.Blocks, cards.NoteBlock(fmt.Sprintf("单位领导 %s 已于 %s 同意销号，请复核。", leader, at)),
		cards.ButtonsBlock(
			cards.Button{Text: "复核通过", Action: "flag.review.approve", Style: cards.StylePrimary, Params: flagRef(it),
				Confirm: "确认复核通过并销号？", Command: "复核通过 " + it.Number},
			cards.Button{Text: "退回整改", Action: "flag.review.reject.form", Style: cards.StyleDanger, Params: flagRef(it),
				Command: "退回整改 " + it.Number},
			cards.Button{Text: "办理 " + it.Number, Action: "item.show", Params: itemRef(it)}))
	return c
}

// reviewItem is officeItem for a 复核 step: the item must wait for one.
func reviewItem(ctx context.Context, r *bot.Request) (*store.LedgerItem, *store.Unit, *store.FlaggedItem, *bot.Reply, error) {
	it, u, f, err := officeItem(ctx, r, "复核挂牌督办问题的销号")
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if f == nil || f.ReviewRequestID == nil || it.Status != store.ItemCloseRequested {
		c, err := itemCard(ctx, r, it, u)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		return nil, nil, nil, &bot.Reply{Card: c, Toast: fmt.Sprintf("问题 %s 没有等待复核的销号（%s）。", it.Number, statusName(it.Status)), ToastKind: "warning"}, nil
	}
	return it, u, f, nil, nil
}

// flagReviewApprove answers flag.review.approve {item, v}: 复核通过, the
// item is closed.
func (h *handler) flagReviewApprove(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	it, u, f, reply, err := reviewItem(ctx, r)
	if reply != nil || err != nil {
		return reply, err
	}
	old, oldFlag, now := *it, *f, r.Now
	it.Status, it.ClosedAt = store.ItemClosed, &now
	if q, err := r.Store.ItemRequestByID(ctx, *f.ReviewRequestID); err == nil && q.Result != "" {
		it.Progress = q.Result
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return h.reviewDone(ctx, r, it, &old, u, &oldFlag, "review_close",
		fmt.Sprintf("市局专项整治办公室复核通过，挂牌督办问题 %s 已销号。", it.Number), "复核通过，已销号")
}

func reviewRejectFormCard(it *store.LedgerItem) *cards.Card {
	return &cards.Card{Title: "退回整改 · " + it.Number, Tone: cards.ToneDanger, Blocks: []cards.Block{
		cards.MD(shorten(it.Description, 120)),
		cards.FormBlock(&cards.Form{Name: "flag_review_reject", Fields: []cards.FormField{
			{Name: "reason", Label: "退回理由", Kind: cards.KindLongText, Required: true, MaxLen: 500},
		}, Submit: cards.Button{Text: "确认退回", Action: "flag.review.reject.submit", Style: cards.StyleDanger, Params: flagRef(it)}}),
	}}
}

// flagReviewRejectForm answers flag.review.reject.form {item, v}.
func (h *handler) flagReviewRejectForm(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	it, _, _, reply, err := reviewItem(ctx, r)
	if reply != nil || err != nil {
		return reply, err
	}
	return bot.CardReply(reviewRejectFormCard(it)), nil
}

// flagReviewRejectSubmit answers flag.review.reject.submit {item, v}: the
// item goes back to 整改中 with the office's reason.
func (h *handler) flagReviewRejectSubmit(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	it, u, f, reply, err := reviewItem(ctx, r)
	if reply != nil || err != nil {
		return reply, err
	}
	v, err := formCheck(r, reviewRejectFormCard(it).Form())
	if err != nil {
		return nil, err
	}
	old, oldFlag := *it, *f
	it.Status = store.ItemInProgress
	return h.reviewDone(ctx, r, it, &old, u, &oldFlag, "review_reject",
		fmt.Sprintf("市局专项整治办公室复核未通过，挂牌督办问题 %s 退回整改。理由：%s", it.Number, v.Get("reason")), "已退回整改")
}

// reviewDone writes a 复核's result: the item, the flag's review cleared,
// the audit rows, the unit told.
func (h *handler) reviewDone(ctx context.Context, r *bot.Request, it, old *store.LedgerItem, u *store.Unit, oldFlag *store.FlaggedItem, action, text, toast string) (*bot.Reply, error) {
	if err := r.Store.UpdateLedgerItem(ctx, it, old.Version); err != nil {
		return nil, conflictRefusal(err, "该问题刚被更新过，请重新打开。")
	}
	if err := r.Store.SetFlagReview(ctx, it.ID, nil, nil); err != nil {
		return nil, err
	}
	cur := *oldFlag
	cur.ReviewRequestID, cur.ReviewSince = nil, nil
	if err := auditItem(ctx, r, action, old, it); err != nil {
		return nil, err
	}
	if err := auditFlag(ctx, r, action, it, oldFlag, &cur); err != nil {
		return nil, err
	}
	if err := tellUnit(ctx, r, it, u, fmt.Sprintf("flag:%d:%s:%d", it.ID, action, *oldFlag.ReviewRequestID), text); err != nil {
		return nil, err
	}
	c, err := itemCard(ctx, r, it, u)
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Card: c, Toast: toast, ToastKind: "success"}, nil
}

// flagItemDecor marks a flagged item's card.
func flagItemDecor(ctx context.Context, r *bot.Request, c *cards.Card, it *store.LedgerItem) error {
	f, err := r.Store.FlagOf(ctx, it.ID, false)
	if errors.Is(err, store.ErrNotFound) || len(c.Blocks) == 0 {
		return nil
	}
	if err != nil {
		return err
	}
	c.Title = "🚩 " + c.Title
	note := "挂牌督办：每周报送整改进展；销号经单位领导同意后，需市局专项整治办公室复核。"
	if f.ReviewRequestID != nil {
		note = "挂牌督办：单位领导已同意销号，等待市局专项整治办公室复核。"
	}
	c.Blocks = append(c.Blocks[:len(c.Blocks)-1], cards.NoteBlock(note), c.Blocks[len(c.Blocks)-1])
	return nil
}

// flagButton is the office's 挂牌督办 button of an item: 挂牌督办, 取消挂牌,
// or 复核通过 while a 销号 waits for it.
func flagButton(it *store.LedgerItem, f *store.FlaggedItem) cards.Button {
	switch {
	case f == nil:
		return cards.Button{Text: "挂牌督办", Action: "flag.set", Params: flagRef(it), Command: "挂牌督办 " + it.Number, Confirm: "确认挂牌督办该问题？"}
	case f.ReviewRequestID != nil:
		return cards.Button{Text: "复核通过", Action: "flag.review.approve", Style: cards.StylePrimary, Params: flagRef(it),
			Confirm: "确认复核通过并销号？", Command: "复核通过 " + it.Number}
	}
	return cards.Button{Text: "取消挂牌", Action: "flag.unset", Params: flagRef(it), Command: "取消挂牌 " + it.Number, Confirm: "确认取消挂牌督办？"}
}
