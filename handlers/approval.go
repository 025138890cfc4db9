package handlers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store"
)

// Approvals: a 销号 or 延期 request goes to the unit's leader as a card
// (同意 / 驳回 with a reason). Only that unit's leader or the office decides;
// the request's state is the card's guard, so a second click on a decided
// request shows the decision instead of applying anything. The liaison who
// asked is told the decision.

// registerApprovals adds 待审批 and the approval cards' actions.
func (h *handler) registerApprovals(rt *bot.Router) {
	rt.Command(h.pendingApprovals, "待审批")
	rt.Action("approval.show", h.approvalShow)
	rt.Action("approval.approve", h.approvalApprove)
	rt.Action("approval.reject.form", h.rejectForm)
	rt.Action("approval.reject.submit", h.rejectSubmit)
}

func requestKindName(kind string) string {
	if kind == store.RequestKindExtend {
		return "延期"
	}
	return "销号"
}

func requestParams(q *store.ItemRequest) map[string]string {
	return map[string]string{"request": strconv.FormatInt(q.ID, 10)}
}

// approvalCardFrom renders a request for its decider: with 同意 / 驳回 while
// pending, with the decision after.
func approvalCardFrom(it *store.LedgerItem, u *store.Unit, q *store.ItemRequest, people map[int64]*store.Person, loc *time.Location) *cards.Card {
	kind := requestKindName(q.Kind)
	c := &cards.Card{Title: kind + "审批 · " + it.Number, Subtitle: u.Name, Tone: cards.ToneWarning}
	c.Blocks = append(c.Blocks, cards.MD("**问题描述**："+truncate(it.Description, 200)))
	fields := []cards.Field{
		{Label: "申请人", Value: personName(people, q.RequestedBy), Short: true},
		{Label: "申请时间", Value: q.RequestedAt.In(loc).Format("2006-01-02 15:04"), Short: true},
	}
	if q.Kind == store.RequestKindExtend {
		fields = append(fields, cards.Field{Label: "整改时限", Short: true,
			Value: civil(it.DueOn).Format(time.DateOnly) + " → " + civil(*q.NewDueOn).Format(time.DateOnly)})
		if q.State == store.ItemRequestApproved {
			fields[len(fields)-1].Value = "已延期至 " + civil(*q.NewDueOn).Format(time.DateOnly)
		}
	}
	c.Blocks = append(c.Blocks, cards.FieldsBlock(fields...))
	if q.Result != "" {
		c.Blocks = append(c.Blocks, cards.MD("**整改结果**："+truncate(q.Result, 300)))
	}
	if q.Reason != "" {
		label := "延期理由"
		if q.Kind == store.RequestKindClose {
			label = "佐证材料"
		}
		c.Blocks = append(c.Blocks, cards.MD("**"+label+"**："+truncate(q.Reason, 300)))
	}
	switch q.State {
	case store.ItemRequestPending:
		c.Blocks = append(c.Blocks, cards.ButtonsBlock(
			cards.Button{Text: "同意", Action: "approval.approve", Style: cards.StylePrimary, Params: requestParams(q),
				Confirm: "确认同意该" + kind + "申请？", Command: "同意 " + it.Number},
			cards.Button{Text: "驳回", Action: "approval.reject.form", Style: cards.StyleDanger, Params: requestParams(q), Command: "驳回 " + it.Number},
		))
	case store.ItemRequestApproved:
		c.Tone = cards.ToneSuccess
		c.Blocks = append(c.Blocks, cards.NoteBlock(fmt.Sprintf("%s 于 %s 同意。", personName(people, q.DecidedBy), q.DecidedAt.In(loc).Format("01-02 15:04"))))
	default:
		c.Tone = cards.ToneDanger
		c.Blocks = append(c.Blocks, cards.NoteBlock(fmt.Sprintf("%s 于 %s 驳回：%s", personName(people, q.DecidedBy),
			q.DecidedAt.In(loc).Format("01-02 15:04"), q.DecisionReason)))
	}
	return c
}

func (h *handler) approvalCard(ctx context.Context, r *bot.Request, it *store.LedgerItem, u *store.Unit, q *store.ItemRequest) (*cards.Card, error) {
	var ids []int64
	for _, id := range []*int64{q.RequestedBy, q.DecidedBy} {
		if id != nil {
			ids = append(ids, *id)
		}
	}
	people, err := r.Store.PeopleByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	return approvalCardFrom(it, u, q, people, r.Campaign.Location()), nil
}

// deciders are who gets a unit's approval cards: its leader, else the
// office's leader and liaison.
func deciders(ctx context.Context, r *bot.Request, u *store.Unit) ([]int64, error) {
	if u.LeaderID != nil {
		return []int64{*u.LeaderID}, nil
	}
	office, err := r.Store.UnitByKey(ctx, r.Campaign.ID, r.Campaign.OfficeUnitKey)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, id := range []*int64{office.LeaderID, office.LiaisonID} {
		if id != nil {
			ids = append(ids, *id)
		}
	}
	return ids, nil
}

// sendApproval queues the approval card to the deciders and returns their
// names for the asker.
func (h *handler) sendApproval(ctx context.Context, r *bot.Request, it *store.LedgerItem, u *store.Unit, q *store.ItemRequest) (string, error) {
	c, err := h.approvalCard(ctx, r, it, u, q)
	if err != nil {
		return "", err
	}
	ids, err := deciders(ctx, r, u)
	if err != nil {
		return "", err
	}
	people, err := r.Store.PeopleByIDs(ctx, ids)
	if err != nil {
		return "", err
	}
	var names []string
	for _, id := range ids {
		ok, err := r.SendToPerson(ctx, id, bot.Message{Card: c}, fmt.Sprintf("approval:%d:p:%d", q.ID, id), itemSubject(it.ID))
		if err != nil {
			return "", err
		}
		if ok {
			names = append(names, personName(people, &id))
		}
	}
	if len(names) == 0 {
		return "领导", nil
	}
	return strings.Join(names, "、"), nil
}

// paramRequest loads and locks the action's request with its item and
// unit, and checks that the asker may decide it.
func paramRequest(ctx context.Context, r *bot.Request) (*store.ItemRequest, *store.LedgerItem, *store.Unit, error) {
	if err := needPerson(r); err != nil {
		return nil, nil, nil, err
	}
	id, err := actionID(r, "request")
	if err != nil {
		return nil, nil, nil, err
	}
	q, err := r.Store.LockItemRequest(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil, bot.Refuse("该申请不存在。")
	}
	if err != nil {
		return nil, nil, nil, err
	}
	it, err := r.Store.LockLedgerItem(ctx, q.ItemID)
	if err != nil {
		return nil, nil, nil, err
	}
	if it.CampaignID != r.Campaign.ID {
		return nil, nil, nil, bot.Refuse("该申请不存在。")
	}
	u, err := r.Store.UnitByID(ctx, it.UnitID)
	if err != nil {
		return nil, nil, nil, err
	}
	if !r.Roles.CanDecide(u.ID) {
		return nil, nil, nil, bot.Refuse(msgNoDecide, u.Name)
	}
	return q, it, u, nil
}

// decidedReply answers a click on a request that is no longer pending.
func (h *handler) decidedReply(ctx context.Context, r *bot.Request, q *store.ItemRequest, it *store.LedgerItem, u *store.Unit) (*bot.Reply, error) {
	c, err := h.approvalCard(ctx, r, it, u, q)
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Card: c, Toast: "该申请已处理，无需重复审批。", ToastKind: "warning"}, nil
}

// approvalShow answers approval.show {request}.
func (h *handler) approvalShow(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	q, it, u, err := paramRequest(ctx, r)
	if err != nil {
		return nil, err
	}
	c, err := h.approvalCard(ctx, r, it, u, q)
	if err != nil {
		return nil, err
	}
	return bot.CardReply(c), nil
}

// approvalApprove answers approval.approve {request}: 销号 closes the item,
// 延期 moves its deadline.
func (h *handler) approvalApprove(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	q, it, u, err := paramRequest(ctx, r)
	if err != nil {
		return nil, err
	}
	if q.State != store.ItemRequestPending {
		return h.decidedReply(ctx, r, q, it, u)
	}
	if q.RequestedBy != nil && r.Person != nil && *q.RequestedBy == r.Person.ID {
		// No one approves his own request: another leader of the unit or
		// the office does. (Rejecting it, a withdrawal, stays allowed.)
		return nil, bot.Refuse("抱歉，不能审批本人提交的%s申请，请由单位其他领导或市局专项整治办公室审批。", requestKindName(q.Kind))
	}
	if reply, ok, err := h.flaggedApproval(ctx, r, q, it, u); ok || err != nil {
		return reply, err // 挂牌督办: the office's 复核 comes next (flag.go)
	}
	old, oldReq := *it, *q
	now := r.Now
	switch q.Kind {
	case store.RequestKindClose:
		it.Status, it.ClosedAt = store.ItemClosed, &now
		if q.Result != "" {
			it.Progress = q.Result
		}
	case store.RequestKindExtend:
		it.DueOn = *q.NewDueOn
	}
	q.State, q.DecidedBy, q.DecidedAt = store.ItemRequestApproved, &r.Person.ID, &now
	return h.decide(ctx, r, q, &oldReq, it, &old, u)
}

// rejectFormCard asks for the reason of a rejection.
func rejectFormCard(it *store.LedgerItem, q *store.ItemRequest) *cards.Card {
	kind := requestKindName(q.Kind)
	return &cards.Card{Title: "驳回" + kind + "申请 · " + it.Number, Tone: cards.ToneDanger, Blocks: []cards.Block{
		cards.MD(shorten(it.Description, 120)),
		cards.FormBlock(&cards.Form{Name: "approval_reject", Fields: []cards.FormField{
			{Name: "reason", Label: "驳回理由", Kind: cards.KindLongText, Required: true, MaxLen: 500},
		}, Submit: cards.Button{Text: "确认驳回", Action: "approval.reject.submit", Style: cards.StyleDanger, Params: requestParams(q)}}),
	}}
}

// rejectForm answers approval.reject.form {request}.
func (h *handler) rejectForm(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	q, it, u, err := paramRequest(ctx, r)
	if err != nil {
		return nil, err
	}
	if q.State != store.ItemRequestPending {
		return h.decidedReply(ctx, r, q, it, u)
	}
	return bot.CardReply(rejectFormCard(it, q)), nil
}

// rejectSubmit answers approval.reject.submit {request}: a rejected 销号
// puts the item back to 整改中; a rejected 延期 keeps its deadline.
func (h *handler) rejectSubmit(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	q, it, u, err := paramRequest(ctx, r)
	if err != nil {
		return nil, err
	}
	if q.State != store.ItemRequestPending {
		return h.decidedReply(ctx, r, q, it, u)
	}
	v, err := formCheck(r, rejectFormCard(it, q).Form())
	if err != nil {
		return nil, err
	}
	old, oldReq := *it, *q
	now := r.Now
	if q.Kind == store.RequestKindClose && it.Status == store.ItemCloseRequested {
		// Back to 整改中, or to 长期推进 when the last progress update set it.
		it.Status = store.ItemInProgress
		ups, err := r.Store.ProgressOf(ctx, it.ID, 1)
		if err != nil {
			return nil, err
		}
		if len(ups) > 0 && ups[0].Status == store.ItemLongTerm {
			it.Status = store.ItemLongTerm
		}
	}
	q.State, q.DecidedBy, q.DecidedAt, q.DecisionReason = store.ItemRequestRejected, &r.Person.ID, &now, v.Get("reason")
	return h.decide(ctx, r, q, &oldReq, it, &old, u)
}

// decide writes a decision, tells the asker and answers the decider.
func (h *handler) decide(ctx context.Context, r *bot.Request, q, oldReq *store.ItemRequest, it, old *store.LedgerItem, u *store.Unit) (*bot.Reply, error) {
	if err := r.Store.DecideItemRequest(ctx, q); err != nil {
		return nil, conflictRefusal(err, "该申请已处理。")
	}
	itemChanged := it.Status != old.Status || !it.DueOn.Equal(old.DueOn)
	if itemChanged {
		if err := r.Store.UpdateLedgerItem(ctx, it, old.Version); err != nil {
			return nil, err
		}
	}
	c, err := h.approvalCard(ctx, r, it, u, q)
	if err != nil {
		return nil, err
	}
	if q.RequestedBy != nil {
		ic, err := itemCard(ctx, r, it, u)
		if err != nil {
			return nil, err
		}
		text := decisionText(it, q, r.Person.Name)
		if _, err := r.SendToPerson(ctx, *q.RequestedBy, bot.Message{Text: text, Card: ic},
			fmt.Sprintf("decision:%d", q.ID), itemSubject(it.ID)); err != nil {
			return nil, err
		}
	}
	// Every card of the item (the group's, the other leaders' approval
	// cards) shows the decision; the group hears it.
	if err := redrawItem(ctx, r, it, u); err != nil {
		return nil, err
	}
	if err := tellUnitGroups(ctx, r, u, decisionText(it, q, r.Person.Name)); err != nil {
		return nil, err
	}
	action := "approve_" + q.Kind
	if q.State == store.ItemRequestRejected {
		action = "reject_" + q.Kind
	}
	if err := r.Store.AppendAudit(ctx, store.AuditParams{Actor: r.Actor(), Entity: "item_request", EntityID: strconv.FormatInt(q.ID, 10),
		Action: action, Old: oldReq, New: q}); err != nil {
		return nil, err
	}
	if itemChanged {
		if err := auditItem(ctx, r, action, old, it); err != nil {
			return nil, err
		}
	}
	toast := "已同意"
	if q.State == store.ItemRequestRejected {
		toast = "已驳回"
	}
	return &bot.Reply{Card: c, Toast: toast, ToastKind: "success"}, nil
}

// decisionText tells the asker what was decided.
func decisionText(it *store.LedgerItem, q *store.ItemRequest, by string) string {
	kind := requestKindName(q.Kind)
	if q.State == store.ItemRequestApproved {
		if q.Kind == store.RequestKindExtend {
			return fmt.Sprintf("%s 同意了 %s 的延期申请，整改时限延至 %s。", by, it.Number, civil(*q.NewDueOn).Format(time.DateOnly))
		}
		return fmt.Sprintf("%s 同意了 %s 的销号申请，该问题已销号。", by, it.Number)
	}
	return fmt.Sprintf("%s 驳回了 %s 的%s申请。理由：%s", by, it.Number, kind, q.DecisionReason)
}

// pendingApprovals answers 待审批: the requests the asker may decide.
func (h *handler) pendingApprovals(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if err := needPerson(r); err != nil {
		return nil, err
	}
	if !r.Roles.Office && !r.Roles.IsLeader() {
		return nil, bot.Refuse("抱歉，只有单位领导和市局专项整治办公室可以审批销号、延期申请。")
	}
	var unitIDs []int64
	if !r.Roles.Office {
		unitIDs = r.Roles.Leads
	}
	qs, err := r.Store.PendingItemRequests(ctx, r.Campaign.ID, unitIDs)
	if err != nil {
		return nil, err
	}
	items := map[int64]*store.LedgerItem{}
	for i, q := range qs {
		if i >= 10 {
			break
		}
		it, err := r.Store.LedgerItemByID(ctx, q.ItemID)
		if err != nil {
			return nil, err
		}
		items[q.ItemID] = it
	}
	c := pendingCardFrom(qs, items, r.Campaign.Location())
	return bot.CardReply(c), nil
}

// pendingCardFrom lists pending requests (items holds at least the first
// ten requests' items) with a button to open each of the first six.
func pendingCardFrom(qs []*store.ItemRequest, items map[int64]*store.LedgerItem, loc *time.Location) *cards.Card {
	c := &cards.Card{Title: "待审批", Tone: cards.ToneInfo, Subtitle: fmt.Sprintf("共 %d 项", len(qs))}
	if len(qs) == 0 {
		c.Tone = cards.ToneSuccess
		c.Blocks = append(c.Blocks, cards.MD("目前没有等待您审批的销号、延期申请。"))
		return c
	}
	var lines []string
	var btns []cards.Button
	for i, q := range qs {
		it := items[q.ItemID]
		if i >= 10 || it == nil {
			break
		}
		lines = append(lines, fmt.Sprintf("%d. **%s** %s申请（%s）：%s", i+1, it.Number, requestKindName(q.Kind),
			q.RequestedAt.In(loc).Format("01-02 15:04"), shorten(it.Description, 30)))
		if i < 6 {
			btns = append(btns, cards.Button{Text: "审批 " + it.Number, Action: "approval.show", Params: requestParams(q)})
		}
	}
	c.Blocks = append(c.Blocks, cards.MD(strings.Join(lines, "\n")), cards.ButtonsBlock(btns...))
	if len(qs) > 6 {
		c.Blocks = append(c.Blocks, cards.NoteBlock("按申请时间排列，请先审批前 6 项。"))
	}
	return c
}
