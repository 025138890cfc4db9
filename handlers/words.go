package handlers

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"zhenggai/bot"
	"zhenggai/store"
)

// Words people type. The router reads a command word after normalizing
// widths and trailing punctuation (bot.CommandWord); this file is the one
// table of the other words people use for a command (synonyms) and of the
// button labels that, typed as text, do what the button does, with its
// argument: "办理 LB-2026-001" opens that item like the button 办理
// LB-2026-001, "回复 已安排专人联系" answers the request the leader most
// recently got. A typed label runs the button's own action handler, so
// its authorization is the button's.

// synonyms maps another way of typing a command to the command.
var synonyms = map[string]string{
	"台帐": "台账", "查看台账": "台账", "返回台账": "台账", "本单位台账": "台账", "工作台账": "台账", "查看台帐": "台账",
	"月度报告": "月报", "报送月报": "月报", "填报月报": "月报", "月报填报": "月报", "报月报": "月报",
	"每日摘要": "摘要", "查看摘要": "摘要",
	"新增": "新增问题", "登记问题": "新增问题", "新增台账": "新增问题",
	"导出台帐": "导出台账",
	"我的审批": "待审批", "审批列表": "待审批",
	"报送进度": "报送情况",
	"使用帮助": "帮助", "帮忙": "帮助",
	"查看联系人": "联系人", "联系领导": "联系人",
	"查看诉求": "诉求", "企业诉求": "诉求", "查看并答复": "诉求",
	"驾驶舱": "看板", "打开看板": "看板", "看板链接": "看板", "登录看板": "看板",
	"考核": "考评", "评分": "考评", "月度考评": "考评", "考评得分": "考评", "查看考评": "考评",
}

// commandActions are, for each command a button's label may resolve to,
// the card actions it does when typed: what the catalogue test holds every
// button against.
var commandActions = map[string][]string{
	"查看佐证":   {"evidence.open"},
	"台账":     {"ledger.show"},
	"月报":     {"report.form"},
	"补报":     {"report.form"},
	"摘要":     {"digest.show"},
	"待审批":    {"approval.show"},
	"诉求":     {"ereq.show"},
	"办理":     {"item.show"},
	"查看":     {"item.show", "ereq.show"},
	"更新进展":   {"item.progress.form"},
	"申请销号":   {"item.close.form"},
	"申请延期":   {"item.extend.form"},
	"审批":     {"approval.show"},
	"同意":     {"approval.approve"},
	"驳回":     {"approval.reject.form"},
	"回复":     {"ereq.reply.form", "ereq.reply.submit"},
	"转交":     {"ereq.transfer.form"},
	"办结":     {"ereq.close"},
	"转为台账问题": {"ereq.to_item"},
	"转为线索":   {"ereq.to_clue"},
	"标记已完成":  {"milestone.form"},
	"督办":     {"notice.form"},
	"签收":     {"notice.sign"},
	"答复":     {"notice.answer.form", "notice.answer.submit"},
	"办结督办单":  {"notice.close"},
	"查看督办单":  {"notice.show"},
	"挂牌督办":   {"flag.set"},
	"取消挂牌":   {"flag.unset"},
	"复核通过":   {"flag.review.approve"},
	"退回整改":   {"flag.review.reject.form"},
	"编辑通报":   {"bulletin.edit.form"},
	"发送通报":   {"bulletin.send"},
	"选择通报单位": {"bulletin.pick.form"},
	"考评":     {"score.show", "score.unit"},
	"看板":     {"dashboard.link"},
	"上一页":    {"ledger.show"},
	"下一页":    {"ledger.show"},
}

// registerWords adds the typed labels and the synonyms; it runs after every
// command is registered.
func (h *handler) registerWords(rt *bot.Router) {
	rt.Command(h.typedItem("item.show", h.itemShow), "办理")
	rt.Command(h.typedShow, "查看")
	rt.Command(h.typedProgress, "更新进展")
	rt.Command(h.typedItem("item.close.form", h.closeForm), "申请销号")
	rt.Command(h.typedItem("item.extend.form", h.extendForm), "申请延期")
	rt.Command(h.typedApproval("approval.show", "审批", h.approvalShow), "审批")
	rt.Command(h.typedApproval("approval.approve", "同意", h.approvalApprove), "同意")
	rt.Command(h.typedApproval("approval.reject.form", "驳回", h.rejectForm), "驳回")
	rt.Command(h.typedReply, "回复")
	rt.Command(h.typedRequest("ereq.transfer.form", "转交", h.transferForm), "转交")
	rt.Command(h.typedRequest("ereq.close", "办结", h.closeRequest), "办结")
	rt.Command(h.typedRequest("ereq.to_item", "转为台账问题", h.requestToItem), "转为台账问题")
	rt.Command(h.typedRequest("ereq.to_clue", "转为线索", h.requestToClue), "转为线索")
	rt.Command(h.typedMilestone, "标记已完成")
	rt.Command(h.typedPage(-1), "上一页")
	rt.Command(h.typedPage(+1), "下一页")
	for word, name := range synonyms {
		rt.Synonym(word, name)
	}
}

// asAction runs an action handler for a typed label: the event carries the
// action and its params as a click would, and a toast, which a message has
// no place for, becomes the reply's text.
func asAction(ctx context.Context, r *bot.Request, action string, params map[string]string, h bot.Handler) (*bot.Reply, error) {
	saved := r.Event.Action
	r.Event.Action = &bot.Action{Name: action, Params: params}
	defer func() { r.Event.Action = saved }()
	reply, err := h(ctx, r)
	if err != nil || reply == nil {
		return reply, err
	}
	if reply.Toast != "" {
		if reply.Text == "" {
			reply.Text = reply.Toast
		}
		reply.Toast = ""
	}
	return reply, nil
}

// typedNumberRe finds an item or request number at the start of an
// argument: LB-2026-001, QY-2026-0012.
var typedNumberRe = regexp.MustCompile(`^([A-Za-z]{1,10}-\d{4}-\d{3,})[\s:：,，。.]*`)

// leadingNumber splits a number off the start of args (full-width forms
// folded, upper case) and returns it with the rest.
func leadingNumber(args string) (number, rest string) {
	folded := strings.TrimSpace(bot.FoldWidth(args))
	if m := typedNumberRe.FindStringSubmatch(folded); m != nil {
		return strings.ToUpper(m[1]), strings.TrimSpace(folded[len(m[0]):])
	}
	return "", strings.TrimSpace(args)
}

// typedLedgerItem is the item a typed label names, or else the open item
// the asker most recently acted on (as for 进展：…).
func typedLedgerItem(ctx context.Context, r *bot.Request, word string) (*store.LedgerItem, string, error) {
	if err := needPerson(r); err != nil {
		return nil, "", err
	}
	number, rest := leadingNumber(r.Args)
	var it *store.LedgerItem
	var err error
	if number != "" {
		it, err = r.Store.LedgerItemByNumber(ctx, r.Campaign.ID, number)
		if errors.Is(err, store.ErrNotFound) {
			return nil, "", bot.Refuse("未找到问题 %s。", number)
		}
	} else {
		it, err = r.Store.LatestItemActedOnBy(ctx, r.Campaign.ID, r.Person.ID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, "", bot.Refuse("请写明问题编号，例如“%s LB-2026-001”，或在台账中点选问题。", word)
		}
	}
	if err != nil {
		return nil, "", err
	}
	return it, rest, nil
}

// typedItem is a typed label acting on a ledger item: "办理 LB-2026-001".
func (h *handler) typedItem(action string, run bot.Handler) bot.Handler {
	word := map[string]string{"item.show": "办理", "item.close.form": "申请销号", "item.extend.form": "申请延期"}[action]
	return func(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
		it, _, err := typedLedgerItem(ctx, r, word)
		if err != nil {
			return nil, err
		}
		return asAction(ctx, r, action, itemRef(it), run)
	}
}

// typedProgress answers 更新进展 [编号] [内容]: with a text, a progress
// update as 进展：…; without, the item's progress form.
func (h *handler) typedProgress(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if _, rest := leadingNumber(r.Args); rest != "" || len(r.Event.Files) > 0 {
		return h.progressCommand(ctx, r)
	}
	it, _, err := typedLedgerItem(ctx, r, "更新进展")
	if err != nil {
		return nil, err
	}
	return asAction(ctx, r, "item.progress.form", itemRef(it), h.progressForm)
}

// typedShow answers 查看 编号: an item's or a request's card.
func (h *handler) typedShow(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if err := requireCampaign(r); err != nil {
		return nil, err
	}
	number, _ := leadingNumber(r.Args)
	if number == "" {
		return nil, bot.Refuse("请写明编号，例如“查看 LB-2026-001”或“查看 QY-2026-0001”。")
	}
	if q, err := r.Store.EnterpriseRequestByNumber(ctx, r.Campaign.ID, number); err == nil {
		return asAction(ctx, r, "ereq.show", reqParams(q), h.showRequest)
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return h.typedItem("item.show", h.itemShow)(ctx, r)
}

// typedApproval is a typed label acting on a pending 销号 or 延期 request:
// "同意 LB-2026-001" names the item; a bare "同意" means the asker's only
// pending request, and with several the list of them is the answer.
func (h *handler) typedApproval(action, word string, run bot.Handler) bot.Handler {
	return func(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
		if err := needPerson(r); err != nil {
			return nil, err
		}
		if !r.Roles.Office && !r.Roles.IsLeader() {
			return nil, bot.Refuse("抱歉，只有单位领导和市局专项整治办公室可以审批销号、延期申请。")
		}
		number, _ := leadingNumber(r.Args)
		var q *store.ItemRequest
		if number != "" {
			it, err := r.Store.LedgerItemByNumber(ctx, r.Campaign.ID, number)
			if errors.Is(err, store.ErrNotFound) {
				return nil, bot.Refuse("未找到问题 %s。", number)
			}
			if err != nil {
				return nil, err
			}
			q, err = r.Store.PendingRequestOfItem(ctx, it.ID)
			if errors.Is(err, store.ErrNotFound) {
				return nil, bot.Refuse("问题 %s 目前没有待审批的申请。", number)
			}
			if err != nil {
				return nil, err
			}
		} else {
			var unitIDs []int64
			if !r.Roles.Office {
				unitIDs = r.Roles.Leads
			}
			qs, err := r.Store.PendingItemRequests(ctx, r.Campaign.ID, unitIDs)
			if err != nil {
				return nil, err
			}
			switch len(qs) {
			case 0:
				return nil, bot.Refuse("目前没有等待您审批的销号、延期申请。")
			case 1:
				q = qs[0]
			default:
				reply, err := h.pendingApprovals(ctx, r)
				if err != nil {
					return nil, err
				}
				reply.Text = fmt.Sprintf("您有 %d 项待审批，请写明问题编号，例如“%s LB-2026-001”。", len(qs), word)
				return reply, nil
			}
		}
		return asAction(ctx, r, action, requestParams(q), run)
	}
}

// typedEnterpriseRequest is the enterprise request a typed label names by
// its 诉求编号, or else the open request the asker most recently got a
// message on. byNumber tells which, for the answer.
func typedEnterpriseRequest(ctx context.Context, r *bot.Request, word string) (q *store.EnterpriseRequest, rest string, byNumber bool, err error) {
	if err := requireCampaign(r); err != nil {
		return nil, "", false, err
	}
	if r.Person == nil {
		return nil, "", false, bot.Refuse("该操作仅限联系领导和市局专项整治办公室。")
	}
	number, rest := leadingNumber(r.Args)
	if number != "" {
		q, err = r.Store.EnterpriseRequestByNumber(ctx, r.Campaign.ID, number)
		if errors.Is(err, store.ErrNotFound) {
			return nil, "", false, bot.Refuse("未找到诉求 %s。", number)
		}
		return q, rest, true, err
	}
	q, err = r.Store.LatestRequestFor(ctx, r.Campaign.ID, r.Person.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", false, bot.Refuse("您目前没有待办的企业诉求。如需办理其他诉求，请写明诉求编号，例如“%s QY-2026-0001”。", word)
	}
	return q, rest, false, err
}

// typedRequest is a typed label acting on an enterprise request: "办结
// QY-2026-0001", or the latest one.
func (h *handler) typedRequest(action, word string, run bot.Handler) bot.Handler {
	return func(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
		q, _, byNumber, err := typedEnterpriseRequest(ctx, r, word)
		if err != nil {
			return nil, err
		}
		reply, err := asAction(ctx, r, action, reqParams(q), run)
		if err == nil && reply != nil && !byNumber {
			reply.Text = strings.TrimSpace(fmt.Sprintf("（按您最近收到的诉求 %s 办理）%s", q.Number, reply.Text))
		}
		return reply, err
	}
}

// typedReply answers 回复 [诉求编号] [答复内容]: with a text, the answer is
// sent as from the reply form; without, the form. The request is the one
// named, or else the one the leader most recently got, and the answer says
// which.
func (h *handler) typedReply(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	q, text, byNumber, err := typedEnterpriseRequest(ctx, r, "回复")
	if err != nil {
		return nil, err
	}
	var reply *bot.Reply
	if text == "" {
		reply, err = asAction(ctx, r, "ereq.reply.form", reqParams(q), h.replyForm)
	} else {
		saved := r.Event.Action
		r.Event.Action = &bot.Action{Name: "ereq.reply.submit", Params: reqParams(q), Form: map[string][]string{"text": {text}}}
		reply, err = h.replySubmit(ctx, r)
		r.Event.Action = saved
		if err == nil && reply != nil && reply.Toast != "" {
			reply.Text = strings.TrimSpace(reply.Toast + "。" + reply.Text)
			reply.Toast = ""
		}
	}
	if err != nil || reply == nil {
		return reply, err
	}
	which := "诉求 " + q.Number
	if !byNumber {
		which = "您最近收到的诉求 " + q.Number + "（" + q.EnterpriseName + "）"
	}
	reply.Text = strings.TrimSpace("（" + which + "）" + reply.Text)
	return reply, nil
}

// typedMilestone answers 标记已完成 [节点] [单位]: the milestone named by key
// or title, or else the unit's earliest one not yet marked done.
func (h *handler) typedMilestone(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if err := needPerson(r); err != nil {
		return nil, err
	}
	ms, err := r.Store.Milestones(ctx, r.Campaign.ID)
	if err != nil {
		return nil, err
	}
	args := strings.TrimSpace(r.Args)
	var named *store.Milestone
	for _, m := range ms {
		for _, n := range []string{m.Key, m.Title} {
			if n != "" && strings.HasPrefix(args, n) {
				named, args = m, strings.TrimSpace(args[len(n):])
			}
		}
		if named != nil {
			break
		}
	}
	u, choose, err := askerUnit(ctx, r, args)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return bot.CardReply(unitPickerCard("标记节点完成", "标记已完成 节点 单位", choose, "")), nil
	}
	if named == nil {
		for _, m := range ms {
			ok, err := r.Store.MilestoneAddressedTo(ctx, m.ID, u.ID)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			if _, err := r.Store.MilestoneSubmissionOf(ctx, m.ID, u.ID); errors.Is(err, store.ErrNotFound) {
				if named == nil || m.DueOn.Before(named.DueOn) {
					named = m
				}
			} else if err != nil {
				return nil, err
			}
		}
		if named == nil {
			return bot.TextReply("%s目前没有需要标记完成的节点。", u.Name), nil
		}
	}
	return asAction(ctx, r, "milestone.form", map[string]string{"milestone": named.Key, "unit": u.Key}, h.milestoneForm)
}

// pageRe reads "第 2 页" in a typed ledger command.
var pageRe = regexp.MustCompile(`第\s*(\d+)\s*页`)

// splitPage takes "第N页" out of args; page is 0 when there is none.
func splitPage(args string) (page int, rest string) {
	folded := bot.FoldWidth(args)
	m := pageRe.FindStringSubmatchIndex(folded)
	if m == nil {
		return 0, strings.TrimSpace(args)
	}
	page, _ = strconv.Atoi(folded[m[2]:m[3]])
	rest = strings.Trim(folded[:m[0]]+folded[m[1]:], " （）()")
	return page, strings.TrimSpace(rest)
}

// typedPage answers 上一页 / 下一页 [第N页] [单位]: that page of the unit's
// ledger; bare, page 1 or 2.
func (h *handler) typedPage(step int) bot.Handler {
	return func(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
		page, rest := splitPage(r.Args)
		if page == 0 {
			page = max(1, 1+step)
		}
		u, choose, err := askerUnit(ctx, r, rest)
		if err != nil {
			return nil, err
		}
		if u == nil {
			return bot.CardReply(unitPickerCard("专项整治工作台账", "台账", choose, "ledger.show")), nil
		}
		return asAction(ctx, r, "ledger.show", map[string]string{"unit": u.Key, "page": strconv.Itoa(page)}, h.ledgerShow)
	}
}
