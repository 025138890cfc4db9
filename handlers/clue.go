package handlers

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store"
)

// 线索收集分办 (issue 22). The office registers a clue (来源, 内容, 涉及单位,
// 联系人, 电话, an optional file) and assigns it (分办) to a unit with a
// deadline, or closes it as 重复 / 不属于本次整治 with a reason. The unit's
// liaison or leader signs it (签收), then turns it into a ledger item
// (linked, 问题来源 from the clue's source) or answers 不属实 / 已处理 with a
// reason and a file, which the office accepts or sends back. A clue's
// contact details are shown only to the office and the assigned unit, and
// every card that shows them is audited. Every change is audited; the
// clue's version guards its cards.

// registerClues adds the clue commands and actions.
func (h *handler) registerClues(rt *bot.Router) {
	rt.Command(h.cluesCommand, "线索")
	rt.Command(h.newClueCommand, "登记线索")
	rt.Action("clue.new.submit", h.clueNewSubmit)
	rt.Action("clue.show", h.clueShow)
	rt.Action("clue.assign.form", h.clueAssignForm)
	rt.Action("clue.assign.submit", h.clueAssignSubmit)
	rt.Action("clue.close.form", h.clueCloseForm)
	rt.Action("clue.close.submit", h.clueCloseSubmit)
	rt.Action("clue.sign", h.clueSign)
	rt.Action("clue.convert.form", h.clueConvertForm)
	rt.Action("clue.convert.submit", h.clueConvertSubmit)
	rt.Action("clue.answer.form", h.clueAnswerForm)
	rt.Action("clue.answer.submit", h.clueAnswerSubmit)
	rt.Action("clue.accept", h.clueAccept)
	rt.Action("clue.return.form", h.clueReturnForm)
	rt.Action("clue.return.submit", h.clueReturnSubmit)
	rt.Action("ereq.to_clue", h.requestToClue)
}

// cluePhoneRe is what a contact phone may look like: digits, dashes,
// spaces, an extension.
var cluePhoneRe = regexp.MustCompile(`^[0-9+][0-9 \-]{4,19}([转#][0-9]{1,6})?$`)

// clueSources are a clue's 来源.
var clueSources = []string{"12328", "信访", "门户网站", "媒体", "监督员", "企业", "其他"}

// clueItemSource is the ledger's 问题来源 of a clue's source.
var clueItemSource = map[string]string{
	"12328": "12328热线", "信访": "信访投诉", "门户网站": "门户网站", "媒体": "新闻媒体",
	"监督员": "其他", "企业": itemSourceEnterprise, "其他": "其他",
}

// Outcomes of a clue.
const (
	clueDuplicate  = "重复"
	clueOutOfScope = "不属于本次整治"
	clueUntrue     = "不属实"
	clueHandled    = "已处理"
	clueToItem     = "转为台账问题"
)

var clueStateNames = map[string]string{
	store.ClueNew: "待分办", store.ClueAssigned: "已分办，待签收", store.ClueSigned: "已签收，办理中",
	store.ClueAnswered: "已答复，待审核", store.ClueConverted: "已转为台账问题", store.ClueClosed: "已办结",
}

// clueStateOrder is the order of the pool's state counts.
var clueStateOrder = []string{store.ClueNew, store.ClueAssigned, store.ClueSigned, store.ClueAnswered, store.ClueConverted, store.ClueClosed}

const (
	msgClueGone   = "该线索不存在。"
	msgClueNotOwn = "抱歉，该线索分办给“%s”，只有该单位的联络人或领导可以签收、办理。"
	msgClueStale  = "卡片已过期：该线索刚被处理过，已为您刷新为最新内容。"
	msgClueNoView = "抱歉，您无权查看该线索。"
)

func clueParams(c *store.Clue) map[string]string {
	return map[string]string{"clue": strconv.FormatInt(c.ID, 10), "v": strconv.Itoa(c.Version)}
}

func clueSubject(c *store.Clue) string { return "clue:" + strconv.FormatInt(c.ID, 10) }

// clueView is how the asker relates to a clue.
type clueView int

const (
	clueViewNone     clueView = iota
	clueViewReporter          // the 监督员 who sent it: content, state, outcome
	clueViewUnit              // the assigned unit's people: contact details, 签收, 办理
	clueViewOffice            // the office: everything, 分办, 审核
)

func clueViewOf(r *bot.Request, c *store.Clue) clueView {
	switch {
	case r.Person == nil:
		return clueViewNone
	case r.Roles.Office:
		return clueViewOffice
	case c.UnitID != nil && ofUnit(r, *c.UnitID) && c.State != store.ClueNew:
		return clueViewUnit
	case c.ReporterID != nil && *c.ReporterID == r.Person.ID:
		return clueViewReporter
	}
	return clueViewNone
}

// newClueFormCard is the office's registration form.
func newClueFormCard(units []*store.Unit) *cards.Card {
	var opts []cards.Option
	for _, u := range units {
		if !u.IsOffice {
			opts = append(opts, cards.Option{Value: u.Key, Label: u.Name})
		}
	}
	return &cards.Card{Title: "登记线索", Tone: cards.ToneInfo, Blocks: []cards.Block{
		cards.MD("登记 12328 热线、信访、门户网站、媒体、社会义务监督员、企业等渠道反映的问题线索，登记后自动编号，再分办至有关单位。"),
		cards.FormBlock(&cards.Form{Name: "clue_new", Fields: []cards.FormField{
			{Name: "source", Label: "线索来源", Kind: cards.KindSelect, Required: true, Options: optionsOf(clueSources)},
			{Name: "content", Label: "反映内容", Kind: cards.KindLongText, Required: true, MaxLen: 2000},
			{Name: "unit", Label: "涉及单位", Kind: cards.KindSelect, Options: opts},
			{Name: "contact", Label: "联系人", Kind: cards.KindText, MaxLen: 50},
			{Name: "phone", Label: "联系电话", Kind: cards.KindText, MaxLen: 30},
		}, Submit: cards.Button{Text: "登记", Action: "clue.new.submit", Style: cards.StylePrimary}}),
		cards.NoteBlock("相关材料可随表单一并发送（附件）。联系方式仅市局专项整治办公室和承办单位可见。"),
	}}
}

// newClueCommand answers 登记线索: the registration form.
func (h *handler) newClueCommand(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if err := needOffice(r, "登记线索"); err != nil {
		return nil, err
	}
	units, err := r.Store.Units(ctx, r.Campaign.ID)
	if err != nil {
		return nil, err
	}
	return bot.CardReply(newClueFormCard(units)), nil
}

// clueNewSubmit answers clue.new.submit: the clue is numbered, recorded
// with the event's first attachment, and audited.
func (h *handler) clueNewSubmit(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if err := needOffice(r, "登记线索"); err != nil {
		return nil, err
	}
	units, err := r.Store.Units(ctx, r.Campaign.ID)
	if err != nil {
		return nil, err
	}
	v, err := formCheck(r, newClueFormCard(units).Form())
	if err != nil {
		return nil, err
	}
	phone := strings.TrimSpace(v.Get("phone"))
	if phone != "" && !cluePhoneRe.MatchString(phone) {
		return nil, bot.Refuse("填写有误，未作修改：联系电话“%s”无效。", phone)
	}
	c := &store.Clue{CampaignID: r.Campaign.ID, Source: v.Get("source"), Content: strings.TrimSpace(v.Get("content")),
		ContactName: strings.TrimSpace(v.Get("contact")), ContactPhone: phone, CreatedBy: &r.Person.ID, CreatedAt: r.Now}
	if key := v.Get("unit"); key != "" {
		for _, u := range units {
			if u.Key == key {
				c.UnitHintID = &u.ID
			}
		}
	}
	if c.FileID, _, err = saveEvidenceFile(ctx, r); err != nil {
		return nil, err
	}
	if err := r.Store.CreateClue(ctx, c, r.Now.In(r.Campaign.Location()).Year()); err != nil {
		return nil, err
	}
	if err := auditClue(ctx, r, "create", nil, c); err != nil {
		return nil, err
	}
	card, err := h.clueCard(ctx, r, c)
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Card: card, Toast: fmt.Sprintf("线索 %s 已登记，请分办", c.Number), ToastKind: "success"}, nil
}

// auditClue appends the audit row of a clue change (or view).
func auditClue(ctx context.Context, r *bot.Request, action string, old, cur *store.Clue) error {
	p := store.AuditParams{Actor: r.Actor(), Entity: "clue", EntityID: strconv.FormatInt(cur.ID, 10), Action: action, New: cur}
	if old != nil {
		p.Old = old
	}
	return r.Store.AppendAudit(ctx, p)
}

// clueCard renders a clue for the asker, auditing the view when it shows
// the contact details.
func (h *handler) clueCard(ctx context.Context, r *bot.Request, c *store.Clue) (*cards.Card, error) {
	view := clueViewOf(r, c)
	if view == clueViewNone {
		return nil, bot.Refuse(msgClueNoView)
	}
	card, err := h.clueCardFor(ctx, r, c, view)
	if err != nil {
		return nil, err
	}
	if (view == clueViewOffice || view == clueViewUnit) && (c.ContactName != "" || c.ContactPhone != "") {
		if err := r.Store.AppendAudit(ctx, store.AuditParams{Actor: r.Actor(), Entity: "clue", EntityID: strconv.FormatInt(c.ID, 10),
			Action: "view", New: map[string]any{"contact": true}}); err != nil {
			return nil, err
		}
	}
	return card, nil
}

func (h *handler) clueCardFor(ctx context.Context, r *bot.Request, c *store.Clue, view clueView) (*cards.Card, error) {
	var unit, hint *store.Unit
	var err error
	if c.UnitID != nil {
		if unit, err = r.Store.UnitByID(ctx, *c.UnitID); err != nil {
			return nil, err
		}
	}
	if c.UnitHintID != nil {
		if hint, err = r.Store.UnitByID(ctx, *c.UnitHintID); err != nil {
			return nil, err
		}
	}
	var item *store.LedgerItem
	if c.ItemID != nil {
		if item, err = r.Store.LedgerItemByID(ctx, *c.ItemID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	var ids []int64
	for _, id := range []*int64{c.CreatedBy, c.AssignedBy, c.SignedBy, c.AnsweredBy, c.ClosedBy} {
		if id != nil {
			ids = append(ids, *id)
		}
	}
	people, err := r.Store.PeopleByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	return clueCardFrom(c, unit, hint, item, people, today(r), r.Campaign.Location(), view), nil
}

// clueCardFrom renders a clue with the buttons its state and the viewer
// allow.
func clueCardFrom(c *store.Clue, unit, hint *store.Unit, item *store.LedgerItem, people map[int64]*store.Person,
	day time.Time, loc *time.Location, view clueView) *cards.Card {
	card := &cards.Card{Title: "线索 " + c.Number, Subtitle: "来源：" + c.Source, Tone: cards.ToneInfo}
	card.Blocks = append(card.Blocks, cards.MD("**反映内容**："+truncate(c.Content, 500)))
	fields := []cards.Field{
		{Label: "状态", Value: clueStateNames[c.State], Short: true},
		{Label: "登记", Value: c.CreatedAt.In(loc).Format("2006-01-02 15:04"), Short: true},
	}
	if unit != nil {
		fields = append(fields, cards.Field{Label: "承办单位", Value: unit.Name, Short: true})
	} else if hint != nil && view == clueViewOffice {
		fields = append(fields, cards.Field{Label: "涉及单位", Value: hint.Name, Short: true})
	}
	if c.DueOn != nil && view != clueViewReporter {
		due := civil(*c.DueOn).Format(time.DateOnly)
		if c.Open() && c.State != store.ClueAnswered {
			due += "（" + countdown(*c.DueOn, day) + "）"
		}
		fields = append(fields, cards.Field{Label: "办理期限", Value: due, Short: true})
	}
	if view == clueViewOffice || view == clueViewUnit {
		if c.ContactName != "" || c.ContactPhone != "" {
			fields = append(fields, cards.Field{Label: "联系人", Value: strings.TrimSpace(c.ContactName + " " + c.ContactPhone), Short: true})
		}
	}
	if c.SignedAt != nil && view != clueViewReporter {
		fields = append(fields, cards.Field{Label: "签收", Value: personName(people, c.SignedBy) + " " + c.SignedAt.In(loc).Format("2006-01-02 15:04"), Short: true})
	}
	card.Blocks = append(card.Blocks, cards.FieldsBlock(fields...))
	if c.FileID != nil && view != clueViewReporter {
		card.Blocks = append(card.Blocks, cards.NoteBlock("线索材料已存档。"))
	}
	if c.AnsweredAt != nil && view != clueViewReporter {
		ans := fmt.Sprintf("**答复**（%s，%s %s）：%s", c.AnswerKind, personName(people, c.AnsweredBy), c.AnsweredAt.In(loc).Format("01-02 15:04"), truncate(c.Answer, 500))
		if c.AnswerFileID != nil {
			ans += "（佐证材料已存档）"
		} else {
			ans += "（未附佐证材料）"
		}
		card.Blocks = append(card.Blocks, cards.MD(ans))
	}
	if c.ReturnNote != "" && c.State == store.ClueSigned && view != clueViewReporter {
		card.Blocks = append(card.Blocks, cards.MD("**退回意见**："+c.ReturnNote))
	}
	if !c.Open() {
		card.Tone = cards.ToneSuccess
		out := "**办理结果**：" + c.Outcome
		if item != nil {
			out += "，问题编号 " + item.Number
		}
		if c.CloseReason != "" {
			out += "。" + c.CloseReason
		}
		card.Blocks = append(card.Blocks, cards.MD(out))
		if item != nil && view != clueViewReporter {
			card.Blocks = append(card.Blocks, cards.ButtonsBlock(cards.Button{Text: "办理 " + item.Number, Action: "item.show", Params: itemRef(item)}))
		}
		return card
	}
	if c.DueOn != nil && day.After(civil(*c.DueOn)) && c.State != store.ClueAnswered {
		card.Tone = cards.ToneDanger
	}
	var btns []cards.Button
	p := clueParams(c)
	switch {
	case view == clueViewOffice && c.State == store.ClueNew:
		btns = append(btns, cards.Button{Text: "分办", Action: "clue.assign.form", Style: cards.StylePrimary, Params: p},
			cards.Button{Text: "不予分办", Action: "clue.close.form", Params: p})
	case view == clueViewOffice && c.State == store.ClueAnswered:
		btns = append(btns, cards.Button{Text: "审核通过", Action: "clue.accept", Style: cards.StylePrimary, Params: p,
			Confirm: "确认采纳该答复并办结线索？"},
			cards.Button{Text: "退回重办", Action: "clue.return.form", Params: p})
	case view == clueViewUnit && c.State == store.ClueAssigned:
		btns = append(btns, cards.Button{Text: "签收线索", Action: "clue.sign", Style: cards.StylePrimary, Params: p})
	case view == clueViewUnit && c.State == store.ClueSigned:
		btns = append(btns, cards.Button{Text: "转为台账问题", Action: "clue.convert.form", Style: cards.StylePrimary, Params: p},
			cards.Button{Text: "答复线索", Action: "clue.answer.form", Params: p})
	}
	if len(btns) > 0 {
		card.Blocks = append(card.Blocks, cards.ButtonsBlock(btns...))
	}
	switch {
	case view == clueViewUnit && c.State == store.ClueAssigned:
		card.Blocks = append(card.Blocks, cards.NoteBlock("请及时签收，核实后转为台账问题，或答复“不属实”“已处理”。"))
	case view == clueViewReporter:
		card.Blocks = append(card.Blocks, cards.NoteBlock("感谢您的监督，办理结果将通知您。"))
	}
	return card
}

// paramClue loads and locks the action's clue.
func paramClue(ctx context.Context, r *bot.Request) (*store.Clue, error) {
	if err := needPerson(r); err != nil {
		return nil, err
	}
	id, err := actionID(r, "clue")
	if err != nil {
		return nil, err
	}
	c, err := r.Store.LockClue(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && c.CampaignID != r.Campaign.ID) {
		return nil, bot.Refuse(msgClueGone)
	}
	return c, err
}

// officeClue is paramClue for the office (分办, 审核).
func officeClue(ctx context.Context, r *bot.Request, what string) (*store.Clue, error) {
	if err := needOffice(r, what); err != nil {
		return nil, err
	}
	return paramClue(ctx, r)
}

// unitClue is paramClue for the assigned unit's own people (签收, 办理).
func unitClue(ctx context.Context, r *bot.Request) (*store.Clue, error) {
	c, err := paramClue(ctx, r)
	if err != nil {
		return nil, err
	}
	if c.UnitID == nil || !ofUnit(r, *c.UnitID) {
		if c.UnitID == nil {
			return nil, bot.Refuse("该线索尚未分办。")
		}
		u, err := r.Store.UnitByID(ctx, *c.UnitID)
		if err != nil {
			return nil, err
		}
		return nil, bot.Refuse(msgClueNotOwn, u.Name)
	}
	return c, nil
}

// clueStale answers a click on an older card of the clue, or one whose
// state no longer allows the action.
func (h *handler) clueStale(ctx context.Context, r *bot.Request, c *store.Clue, want string) (*bot.Reply, bool, error) {
	v, err := strconv.Atoi(actionParam(r, "v"))
	if err == nil && v == c.Version && c.State == want {
		return nil, false, nil
	}
	card, err := h.clueCard(ctx, r, c)
	if err != nil {
		return nil, true, err
	}
	toast := msgClueStale
	if c.State != want {
		toast = fmt.Sprintf("线索 %s %s，无需重复操作。", c.Number, clueStateNames[c.State])
	}
	return &bot.Reply{Card: card, Toast: toast, ToastKind: "warning"}, true, nil
}

// clueShow answers clue.show {clue}.
func (h *handler) clueShow(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	c, err := paramClue(ctx, r)
	if err != nil {
		return nil, err
	}
	card, err := h.clueCard(ctx, r, c)
	if err != nil {
		return nil, err
	}
	return bot.CardReply(card), nil
}

// clueAssignFormCard asks the office for the unit and the deadline.
func clueAssignFormCard(c *store.Clue, units []*store.Unit, due time.Time) *cards.Card {
	var opts []cards.Option
	def := ""
	for _, u := range units {
		if u.IsOffice {
			continue
		}
		opts = append(opts, cards.Option{Value: u.Key, Label: u.Name})
		if c.UnitHintID != nil && *c.UnitHintID == u.ID {
			def = u.Key
		}
	}
	return &cards.Card{Title: "分办线索 " + c.Number, Tone: cards.ToneInfo, Blocks: []cards.Block{
		cards.MD("**反映内容**：" + truncate(c.Content, 300)),
		cards.FormBlock(&cards.Form{Name: "clue_assign", Fields: []cards.FormField{
			{Name: "unit", Label: "承办单位", Kind: cards.KindSelect, Required: true, Options: opts, Default: def},
			{Name: "due", Label: "办理期限", Kind: cards.KindDate, Required: true, Default: due.Format(cards.DateLayout)},
		}, Submit: cards.Button{Text: "分办", Action: "clue.assign.submit", Style: cards.StylePrimary, Params: clueParams(c),
			Confirm: "确认分办？分办后将发送给该单位联络人和领导。"}}),
	}}
}

func (h *handler) clueAssignCard(ctx context.Context, r *bot.Request, c *store.Clue) (*cards.Card, error) {
	units, err := r.Store.Units(ctx, r.Campaign.ID)
	if err != nil {
		return nil, err
	}
	return clueAssignFormCard(c, units, calendarOf(r.Campaign).addWorkdays(today(r), 10)), nil
}

// clueAssignForm answers clue.assign.form {clue, v}.
func (h *handler) clueAssignForm(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	c, err := officeClue(ctx, r, "分办线索")
	if err != nil {
		return nil, err
	}
	if reply, stale, err := h.clueStale(ctx, r, c, store.ClueNew); stale || err != nil {
		return reply, err
	}
	card, err := h.clueAssignCard(ctx, r, c)
	if err != nil {
		return nil, err
	}
	return bot.CardReply(card), nil
}

// clueAssignSubmit answers clue.assign.submit {clue, v}: 分办 to a unit,
// whose liaison and leader get the clue's card.
func (h *handler) clueAssignSubmit(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	c, err := officeClue(ctx, r, "分办线索")
	if err != nil {
		return nil, err
	}
	if reply, stale, err := h.clueStale(ctx, r, c, store.ClueNew); stale || err != nil {
		return reply, err
	}
	form, err := h.clueAssignCard(ctx, r, c)
	if err != nil {
		return nil, err
	}
	v, err := formCheck(r, form.Form())
	if err != nil {
		return nil, err
	}
	u, err := r.Store.UnitByKey(ctx, r.Campaign.ID, v.Get("unit"))
	if err != nil {
		return nil, err
	}
	due, _ := cards.ParseDate(v.Get("due"))
	if due.Before(today(r)) {
		return nil, bot.Refuse("填写有误，未作修改：办理期限不能早于今天。")
	}
	old, now := *c, r.Now
	c.State, c.UnitID, c.DueOn, c.AssignedBy, c.AssignedAt = store.ClueAssigned, &u.ID, &due, &r.Person.ID, &now
	if err := h.saveClue(ctx, r, c, &old, "assign"); err != nil {
		return nil, err
	}
	unitCard, err := h.clueCardFor(ctx, r, c, clueViewUnit)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, id := range unitRecipients(u) {
		ok, err := r.SendToPerson(ctx, id, bot.Message{Text: fmt.Sprintf("市局专项整治办公室分办线索 %s，请签收并于 %s 前办理。", c.Number, due.Format(time.DateOnly)), Card: unitCard},
			fmt.Sprintf("clue:%d:assign:p:%d", c.ID, id), clueSubject(c))
		if err != nil {
			return nil, err
		}
		if ok {
			p, err := r.Store.PeopleByIDs(ctx, []int64{id})
			if err != nil {
				return nil, err
			}
			names = append(names, personName(p, &id))
		}
	}
	sent := "已发送给 " + strings.Join(names, "、")
	if len(names) == 0 {
		sent = "该单位联络人和领导暂无可达账号，请电话通知"
	}
	return h.clueReply(ctx, r, c, fmt.Sprintf("线索 %s 已分办至%s，%s", c.Number, u.Name, sent))
}

// saveClue writes a change and audits it.
func (h *handler) saveClue(ctx context.Context, r *bot.Request, c, old *store.Clue, action string) error {
	if err := r.Store.UpdateClue(ctx, c, old.Version); err != nil {
		return conflictRefusal(err, "该线索刚被处理过，请重新打开。")
	}
	return auditClue(ctx, r, action, old, c)
}

// clueReply answers the asker with the clue's fresh card and a toast.
func (h *handler) clueReply(ctx context.Context, r *bot.Request, c *store.Clue, toast string) (*bot.Reply, error) {
	card, err := h.clueCard(ctx, r, c)
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Card: card, Toast: toast, ToastKind: "success"}, nil
}

var clueCloseKinds = []string{clueDuplicate, clueOutOfScope}

func clueCloseFormCard(c *store.Clue) *cards.Card {
	return &cards.Card{Title: "不予分办 · 线索 " + c.Number, Tone: cards.ToneWarning, Blocks: []cards.Block{
		cards.MD("**反映内容**：" + truncate(c.Content, 300)),
		cards.FormBlock(&cards.Form{Name: "clue_close", Fields: []cards.FormField{
			{Name: "kind", Label: "办结方式", Kind: cards.KindSelect, Required: true, Options: optionsOf(clueCloseKinds)},
			{Name: "reason", Label: "理由", Kind: cards.KindLongText, Required: true, MaxLen: 1000},
		}, Submit: cards.Button{Text: "办结", Action: "clue.close.submit", Style: cards.StylePrimary, Params: clueParams(c)}}),
	}}
}

// clueCloseForm answers clue.close.form {clue, v}.
func (h *handler) clueCloseForm(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	c, err := officeClue(ctx, r, "办结线索")
	if err != nil {
		return nil, err
	}
	if reply, stale, err := h.clueStale(ctx, r, c, store.ClueNew); stale || err != nil {
		return reply, err
	}
	return bot.CardReply(clueCloseFormCard(c)), nil
}

// clueCloseSubmit answers clue.close.submit {clue, v}: closed as 重复 or
// 不属于本次整治 with a reason; the source is told.
func (h *handler) clueCloseSubmit(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	c, err := officeClue(ctx, r, "办结线索")
	if err != nil {
		return nil, err
	}
	if reply, stale, err := h.clueStale(ctx, r, c, store.ClueNew); stale || err != nil {
		return reply, err
	}
	v, err := formCheck(r, clueCloseFormCard(c).Form())
	if err != nil {
		return nil, err
	}
	old, now := *c, r.Now
	c.State, c.Outcome, c.CloseReason, c.ClosedBy, c.ClosedAt = store.ClueClosed, v.Get("kind"), strings.TrimSpace(v.Get("reason")), &r.Person.ID, &now
	if err := h.saveClue(ctx, r, c, &old, "close"); err != nil {
		return nil, err
	}
	if err := h.tellClueSource(ctx, r, c); err != nil {
		return nil, err
	}
	return h.clueReply(ctx, r, c, fmt.Sprintf("线索 %s 已办结（%s）", c.Number, c.Outcome))
}

// clueSign answers clue.sign {clue, v}: 签收, the time recorded.
func (h *handler) clueSign(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	c, err := unitClue(ctx, r)
	if err != nil {
		return nil, err
	}
	if reply, stale, err := h.clueStale(ctx, r, c, store.ClueAssigned); stale || err != nil {
		return reply, err
	}
	old, now := *c, r.Now
	c.State, c.SignedBy, c.SignedAt = store.ClueSigned, &r.Person.ID, &now
	if err := h.saveClue(ctx, r, c, &old, "sign"); err != nil {
		return nil, err
	}
	return h.clueReply(ctx, r, c, fmt.Sprintf("已签收线索 %s，请于 %s 前办理。", c.Number, civil(*c.DueOn).Format(time.DateOnly)))
}

func clueConvertFormCard(c *store.Clue, due time.Time) *cards.Card {
	return &cards.Card{Title: "转为台账问题 · 线索 " + c.Number, Tone: cards.ToneInfo, Blocks: []cards.Block{
		cards.MD(fmt.Sprintf("核实属实的线索登记为本单位台账问题，问题来源记为“%s”，与线索关联。", clueItemSource[c.Source])),
		cards.FormBlock(&cards.Form{Name: "clue_convert", Fields: []cards.FormField{
			{Name: "category", Label: "问题类别", Kind: cards.KindSelect, Required: true, Options: optionsOf(itemCategories)},
			{Name: "description", Label: "问题描述", Kind: cards.KindLongText, Required: true, MaxLen: 1000, Default: truncate(c.Content, 1000)},
			{Name: "measures", Label: "整改措施", Kind: cards.KindLongText, Required: true, MaxLen: 1000},
			{Name: "due", Label: "整改时限", Kind: cards.KindDate, Required: true, Default: due.Format(cards.DateLayout)},
		}, Submit: cards.Button{Text: "登记为台账问题", Action: "clue.convert.submit", Style: cards.StylePrimary, Params: clueParams(c)}}),
	}}
}

// clueConvertForm answers clue.convert.form {clue, v}.
func (h *handler) clueConvertForm(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	c, err := unitClue(ctx, r)
	if err != nil {
		return nil, err
	}
	if reply, stale, err := h.clueStale(ctx, r, c, store.ClueSigned); stale || err != nil {
		return reply, err
	}
	return bot.CardReply(clueConvertFormCard(c, today(r).AddDate(0, 1, 0))), nil
}

// clueConvertSubmit answers clue.convert.submit {clue, v}: a ledger item
// of the unit, linked to the clue; the clue ends; the source is told.
func (h *handler) clueConvertSubmit(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	c, err := unitClue(ctx, r)
	if err != nil {
		return nil, err
	}
	if reply, stale, err := h.clueStale(ctx, r, c, store.ClueSigned); stale || err != nil {
		return reply, err
	}
	v, err := formCheck(r, clueConvertFormCard(c, today(r)).Form())
	if err != nil {
		return nil, err
	}
	due, _ := cards.ParseDate(v.Get("due"))
	if due.Before(today(r)) {
		return nil, bot.Refuse("填写有误，未作修改：整改时限不能早于今天。")
	}
	u, err := r.Store.UnitByID(ctx, *c.UnitID)
	if err != nil {
		return nil, err
	}
	leader, liaison, err := h.unitPeopleNames(ctx, r, u)
	if err != nil {
		return nil, err
	}
	it := &store.LedgerItem{CampaignID: r.Campaign.ID, UnitID: u.ID, Source: clueItemSource[c.Source], Category: v.Get("category"),
		Description: v.Get("description"), Measures: v.Get("measures"), ResponsibleLeader: leader, ResponsibleUnit: u.Name,
		ResponsiblePerson: liaison, DueOn: due, CreatedBy: &r.Person.ID, CreatedAt: r.Now, RequestID: c.RequestID}
	if err := r.Store.CreateLedgerItem(ctx, it, r.Now.In(r.Campaign.Location()).Year()); err != nil {
		return nil, err
	}
	if err := auditItem(ctx, r, "create", nil, it); err != nil {
		return nil, err
	}
	old, now := *c, r.Now
	c.State, c.ItemID, c.Outcome, c.ClosedBy, c.ClosedAt = store.ClueConverted, &it.ID, clueToItem, &r.Person.ID, &now
	if err := h.saveClue(ctx, r, c, &old, "convert"); err != nil {
		return nil, err
	}
	if err := h.tellClueOffice(ctx, r, c, u, "已将线索 %s 转为台账问题 "+it.Number); err != nil {
		return nil, err
	}
	if err := h.tellClueSource(ctx, r, c); err != nil {
		return nil, err
	}
	return h.clueReply(ctx, r, c, fmt.Sprintf("线索 %s 已转为台账问题 %s", c.Number, it.Number))
}

var clueAnswerKinds = []string{clueUntrue, clueHandled}

func clueAnswerFormCard(c *store.Clue) *cards.Card {
	return &cards.Card{Title: "答复线索 " + c.Number, Tone: cards.ToneInfo, Blocks: []cards.Block{
		cards.MD("**反映内容**：" + truncate(c.Content, 300)),
		cards.FormBlock(&cards.Form{Name: "clue_answer", Fields: []cards.FormField{
			{Name: "kind", Label: "核查结论", Kind: cards.KindSelect, Required: true, Options: optionsOf(clueAnswerKinds)},
			{Name: "text", Label: "核查情况及理由", Kind: cards.KindLongText, Required: true, MaxLen: 2000},
		}, Submit: cards.Button{Text: "提交答复", Action: "clue.answer.submit", Style: cards.StylePrimary, Params: clueParams(c)}}),
		cards.NoteBlock("请随答复发送核查佐证材料（附件），由市局专项整治办公室审核。"),
	}}
}

// clueAnswerForm answers clue.answer.form {clue, v}.
func (h *handler) clueAnswerForm(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	c, err := unitClue(ctx, r)
	if err != nil {
		return nil, err
	}
	if reply, stale, err := h.clueStale(ctx, r, c, store.ClueSigned); stale || err != nil {
		return reply, err
	}
	return bot.CardReply(clueAnswerFormCard(c)), nil
}

// clueAnswerSubmit answers clue.answer.submit {clue, v}: 不属实 or 已处理
// with a reason and a file, for the office to accept or send back.
func (h *handler) clueAnswerSubmit(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	c, err := unitClue(ctx, r)
	if err != nil {
		return nil, err
	}
	if reply, stale, err := h.clueStale(ctx, r, c, store.ClueSigned); stale || err != nil {
		return reply, err
	}
	v, err := formCheck(r, clueAnswerFormCard(c).Form())
	if err != nil {
		return nil, err
	}
	fileID, _, err := saveEvidenceFile(ctx, r)
	if err != nil {
		return nil, err
	}
	old, now := *c, r.Now
	c.State, c.AnswerKind, c.Answer, c.AnswerFileID, c.AnsweredBy, c.AnsweredAt = store.ClueAnswered, v.Get("kind"), strings.TrimSpace(v.Get("text")), fileID, &r.Person.ID, &now
	if err := h.saveClue(ctx, r, c, &old, "answer"); err != nil {
		return nil, err
	}
	u, err := r.Store.UnitByID(ctx, *c.UnitID)
	if err != nil {
		return nil, err
	}
	if err := h.tellClueOffice(ctx, r, c, u, "答复线索 %s（"+c.AnswerKind+"），请审核"); err != nil {
		return nil, err
	}
	return h.clueReply(ctx, r, c, fmt.Sprintf("线索 %s 已答复，等待市局专项整治办公室审核。", c.Number))
}

// clueAccept answers clue.accept {clue, v}: the office accepts the unit's
// answer; the clue ends with it; the unit and the source are told.
func (h *handler) clueAccept(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	c, err := officeClue(ctx, r, "审核线索答复")
	if err != nil {
		return nil, err
	}
	if reply, stale, err := h.clueStale(ctx, r, c, store.ClueAnswered); stale || err != nil {
		return reply, err
	}
	old, now := *c, r.Now
	c.State, c.Outcome, c.CloseReason, c.ClosedBy, c.ClosedAt = store.ClueClosed, c.AnswerKind, c.Answer, &r.Person.ID, &now
	if err := h.saveClue(ctx, r, c, &old, "accept"); err != nil {
		return nil, err
	}
	if err := h.tellClueUnit(ctx, r, c, fmt.Sprintf("市局专项整治办公室已审核通过线索 %s 的答复，线索办结。", c.Number)); err != nil {
		return nil, err
	}
	if err := h.tellClueSource(ctx, r, c); err != nil {
		return nil, err
	}
	return h.clueReply(ctx, r, c, fmt.Sprintf("线索 %s 已办结（%s）", c.Number, c.Outcome))
}

func clueReturnFormCard(c *store.Clue) *cards.Card {
	return &cards.Card{Title: "退回重办 · 线索 " + c.Number, Tone: cards.ToneWarning, Blocks: []cards.Block{
		cards.MD(fmt.Sprintf("**单位答复**（%s）：%s", c.AnswerKind, truncate(c.Answer, 300))),
		cards.FormBlock(&cards.Form{Name: "clue_return", Fields: []cards.FormField{
			{Name: "reason", Label: "退回意见", Kind: cards.KindLongText, Required: true, MaxLen: 1000},
		}, Submit: cards.Button{Text: "退回", Action: "clue.return.submit", Style: cards.StyleDanger, Params: clueParams(c)}}),
	}}
}

// clueReturnForm answers clue.return.form {clue, v}.
func (h *handler) clueReturnForm(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	c, err := officeClue(ctx, r, "审核线索答复")
	if err != nil {
		return nil, err
	}
	if reply, stale, err := h.clueStale(ctx, r, c, store.ClueAnswered); stale || err != nil {
		return reply, err
	}
	return bot.CardReply(clueReturnFormCard(c)), nil
}

// clueReturnSubmit answers clue.return.submit {clue, v}: the answer goes
// back to the unit with the office's note; the clue is signed again.
func (h *handler) clueReturnSubmit(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	c, err := officeClue(ctx, r, "审核线索答复")
	if err != nil {
		return nil, err
	}
	if reply, stale, err := h.clueStale(ctx, r, c, store.ClueAnswered); stale || err != nil {
		return reply, err
	}
	v, err := formCheck(r, clueReturnFormCard(c).Form())
	if err != nil {
		return nil, err
	}
	old := *c
	c.State, c.ReturnNote = store.ClueSigned, strings.TrimSpace(v.Get("reason"))
	c.AnswerKind, c.Answer, c.AnswerFileID, c.AnsweredBy, c.AnsweredAt = "", "", nil, nil, nil
	if err := h.saveClue(ctx, r, c, &old, "return"); err != nil {
		return nil, err
	}
	if err := h.tellClueUnit(ctx, r, c, fmt.Sprintf("市局专项整治办公室退回线索 %s 的答复：%s", c.Number, c.ReturnNote)); err != nil {
		return nil, err
	}
	return h.clueReply(ctx, r, c, fmt.Sprintf("线索 %s 已退回承办单位重办", c.Number))
}

// tellClueOffice tells the office person who assigned the clue.
func (h *handler) tellClueOffice(ctx context.Context, r *bot.Request, c *store.Clue, u *store.Unit, format string) error {
	if c.AssignedBy == nil || *c.AssignedBy == r.Person.ID {
		return nil
	}
	card, err := h.clueCardFor(ctx, r, c, clueViewOffice)
	if err != nil {
		return err
	}
	text := u.Name + " " + r.Person.Name + fmt.Sprintf(format, c.Number) + "。"
	_, err = r.SendToPerson(ctx, *c.AssignedBy, bot.Message{Text: text, Card: card}, fmt.Sprintf("clue:%d:%s:p:%d", c.ID, c.State, *c.AssignedBy), clueSubject(c))
	return err
}

// tellClueUnit tells the assigned unit's liaison and leader.
func (h *handler) tellClueUnit(ctx context.Context, r *bot.Request, c *store.Clue, text string) error {
	u, err := r.Store.UnitByID(ctx, *c.UnitID)
	if err != nil {
		return err
	}
	card, err := h.clueCardFor(ctx, r, c, clueViewUnit)
	if err != nil {
		return err
	}
	for _, id := range unitRecipients(u) {
		key := fmt.Sprintf("clue:%d:v%d:p:%d", c.ID, c.Version, id)
		if _, err := r.SendToPerson(ctx, id, bot.Message{Text: text, Card: card}, key, clueSubject(c)); err != nil {
			return err
		}
	}
	return nil
}

// tellClueSource tells the clue's source its outcome where the channel
// allows: the 监督员 who sent it, in his chat; the enterprise whose request
// it was, in the request's thread.
func (h *handler) tellClueSource(ctx context.Context, r *bot.Request, c *store.Clue) error {
	if c.RequestID != nil {
		if err := h.tellClueEnterprise(ctx, r, c); err != nil {
			return err
		}
	}
	if c.ReporterID == nil {
		return nil
	}
	card, err := h.clueCardFor(ctx, r, c, clueViewReporter)
	if err != nil {
		return err
	}
	text := fmt.Sprintf("您反映的线索 %s 已办结：%s。感谢您的监督。", c.Number, clueOutcomeText(c))
	_, err = r.SendToPerson(ctx, *c.ReporterID, bot.Message{Text: text, Card: card}, fmt.Sprintf("clue:%d:outcome:p:%d", c.ID, *c.ReporterID), clueSubject(c))
	return err
}

// cluesCommand answers 线索 [编号]: one clue's card, or the pool the asker
// may see (the office all, by state and unit, overdue first; a unit's
// people their units'; a 监督员 his own).
func (h *handler) cluesCommand(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if err := needPerson(r); err != nil {
		return nil, err
	}
	if arg := strings.TrimSpace(r.Args); arg != "" {
		if !clueNumberRe.MatchString(strings.Fields(bot.FoldWidth(arg))[0]) {
			if r.Roles.Supervisor {
				return h.supervisorClue(ctx, r, arg)
			}
			if r.Roles.Office {
				return nil, bot.Refuse("未找到线索“%s”。查看线索请发送“线索 XS-2026-001”；登记新线索请发送“登记线索”。", truncate(arg, 20))
			}
			return nil, bot.Refuse("未找到线索“%s”。查看线索请发送“线索 XS-2026-001”。", truncate(arg, 20))
		}
		c, err := r.Store.ClueByNumber(ctx, r.Campaign.ID, strings.Fields(bot.FoldWidth(arg))[0])
		if errors.Is(err, store.ErrNotFound) {
			return nil, bot.Refuse("未找到线索 %s。", strings.Fields(arg)[0])
		}
		if err != nil {
			return nil, err
		}
		card, err := h.clueCard(ctx, r, c)
		if err != nil {
			return nil, err
		}
		return bot.CardReply(card), nil
	}
	f := store.ClueFilter{}
	if !r.Roles.Office {
		f.UnitIDs = slices.Concat(r.Roles.Leads, r.Roles.Liaises, r.Roles.Member)
		if len(f.UnitIDs) == 0 {
			f.UnitIDs, f.ReporterID = nil, r.Person.ID
		}
	}
	cs, err := r.Store.Clues(ctx, r.Campaign.ID, f, today(r))
	if err != nil {
		return nil, err
	}
	if !r.Roles.Office && f.ReporterID == 0 {
		cs = slices.DeleteFunc(cs, func(c *store.Clue) bool { return c.State == store.ClueNew })
	}
	units, err := r.Store.Units(ctx, r.Campaign.ID)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*store.Unit{}
	for _, u := range units {
		byID[u.ID] = u
	}
	return bot.CardReply(clueListCard(cs, byID, today(r), r.Roles.Office)), nil
}

// clueListCard is the pool: counts by state and by unit, then the open
// clues, overdue first, with a button to each of the first six.
func clueListCard(cs []*store.Clue, units map[int64]*store.Unit, day time.Time, office bool) *cards.Card {
	open := 0
	byState := map[string]int{}
	byUnit := map[int64]int{}
	for _, c := range cs {
		byState[c.State]++
		if c.Open() {
			open++
			if c.UnitID != nil {
				byUnit[*c.UnitID]++
			}
		}
	}
	card := &cards.Card{Title: "线索", Subtitle: fmt.Sprintf("共 %d 条，办理中 %d 条", len(cs), open), Tone: cards.ToneInfo}
	if len(cs) == 0 {
		card.Tone = cards.ToneSuccess
		card.Blocks = append(card.Blocks, cards.MD("目前没有线索。"))
		return card
	}
	var counts []string
	for _, s := range clueStateOrder {
		if n := byState[s]; n > 0 {
			counts = append(counts, fmt.Sprintf("%s %d", clueStateNames[s], n))
		}
	}
	card.Blocks = append(card.Blocks, cards.MD("**按状态**："+strings.Join(counts, "；")))
	if office && len(byUnit) > 0 {
		var ids []int64
		for id := range byUnit {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		var us []string
		for _, id := range ids {
			if u := units[id]; u != nil {
				us = append(us, fmt.Sprintf("%s %d", u.Name, byUnit[id]))
			}
		}
		card.Blocks = append(card.Blocks, cards.MD("**按承办单位（办理中）**："+strings.Join(us, "；")))
	}
	var lines []string
	var btns []cards.Button
	for i, c := range cs {
		if i >= 10 {
			lines = append(lines, fmt.Sprintf("… 另有 %d 条", len(cs)-10))
			break
		}
		unit := "未分办"
		if c.UnitID != nil && units[*c.UnitID] != nil {
			unit = units[*c.UnitID].Name
		}
		line := fmt.Sprintf("%d. **%s** %s · %s · %s · %s", i+1, c.Number, c.Source, shorten(c.Content, 20), unit, clueStateNames[c.State])
		if c.DueOn != nil && c.Open() {
			line += fmt.Sprintf(" · 期限 %s（%s）", civil(*c.DueOn).Format(time.DateOnly), countdown(*c.DueOn, day))
		}
		lines = append(lines, line)
		if i < 6 {
			btns = append(btns, cards.Button{Text: c.Number, Action: "clue.show", Params: clueParams(c), Command: "线索 " + c.Number})
		}
	}
	card.Blocks = append(card.Blocks, cards.MD(strings.Join(lines, "\n")), cards.ButtonsBlock(btns...))
	return card
}
