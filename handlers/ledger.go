package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store"
)

// The ledger (台账): a unit's items, each with its progress updates, 销号
// and 延期 requests. Every card about an item carries the item's version
// ("v") in its buttons; a click whose version is not the item's current one
// is answered with the fresh card and a toast, never applied.

// registerLedger adds the ledger's commands and actions (issue 4): the
// ledger, its items, their progress, 销号, 延期 and 佐证, and the ledger's
// export. Approvals, monthly reports and milestones register themselves
// (registerApprovals, registerReports, registerMilestones).
func (h *handler) registerLedger(rt *bot.Router) {
	rt.Command(h.ledgerCommand, "台账")
	rt.Command(h.newItemCommand, "新增问题")
	rt.Command(h.progressCommand, "进展")
	rt.Command(h.exportLedgerCommand, "导出台账")

	rt.Action("ledger.show", h.ledgerShow)
	rt.Action("item.show", h.itemShow)
	rt.Action("evidence.attach", h.evidenceAttach)
	rt.Command(h.evidenceCommand, "佐证")
	rt.Action("evidence.open", h.evidenceOpen)
	rt.Command(h.evidenceOpen, "查看佐证")
	rt.Action("item.new.form", h.newItemForm)
	rt.Action("item.new.submit", h.newItemSubmit)
	rt.Action("item.progress.form", h.progressForm)
	rt.Action("item.progress.submit", h.progressSubmit)
	rt.Action("item.close.form", h.closeForm)
	rt.Action("item.close.submit", h.closeSubmit)
	rt.Action("item.extend.form", h.extendForm)
	rt.Action("item.extend.submit", h.extendSubmit)
}

// itemSources are the 问题来源 of a new item (the seed's channels for
// clues, plus 企业反映 and 其他).
var itemSources = []string{"12328热线", "信访投诉", "新闻媒体", "门户网站", "自查自纠", "督察检查", "上级交办", itemSourceEnterprise, "其他"}

// statusNames are the ledger's words for item statuses.
var statusNames = map[string]string{
	store.ItemInProgress:     "整改中",
	store.ItemLongTerm:       "长期推进",
	store.ItemCloseRequested: "申请销号",
	store.ItemClosed:         "已销号",
}

// statusName returns the Chinese name of a status.
func statusName(s string) string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return s
}

// ledgerPageSize is how many items one ledger card lists: each has a
// button, and WeCom allows six buttons a card (two for paging).
const ledgerPageSize = 4

// soonDays is how far ahead "due soon" looks.
const soonDays = 7

// Refusals.
const (
	msgNotPerson   = "抱歉，只有专项整治的联络人、领导和市局专项整治办公室可以使用台账功能。"
	msgNoUnitRight = "抱歉，您不是“%s”的联络人或领导，无法查看或办理该单位的台账。如需协助，请联系市局专项整治办公室。"
	msgNoDecide    = "抱歉，只有“%s”的领导或市局专项整治办公室可以审批该申请。"
	msgStale       = "卡片已过期：该问题刚被更新过，已为您刷新为最新内容，请核对后重新操作。"
)

// needPerson refuses anyone who is not a bureau person of the campaign.
func needPerson(r *bot.Request) error {
	if err := requireCampaign(r); err != nil {
		return err
	}
	if r.Person == nil {
		return bot.Refuse(msgNotPerson)
	}
	return nil
}

// paramUnit loads the unit named by the action's "unit" param and checks
// that the asker may edit its ledger.
func paramUnit(ctx context.Context, r *bot.Request) (*store.Unit, error) {
	if err := needPerson(r); err != nil {
		return nil, err
	}
	key := actionParam(r, "unit")
	u, err := r.Store.UnitByKey(ctx, r.Campaign.ID, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, bot.Refuse("未找到单位“%s”，请重新打开卡片。", key)
	}
	if err != nil {
		return nil, err
	}
	if !CanSeeUnit(viewerOf(r), u.ID) {
		return nil, bot.Refuse(msgNoUnitRight, u.Name)
	}
	return u, nil
}

func actionParam(r *bot.Request, name string) string {
	if r.Event.Action == nil {
		return ""
	}
	return r.Event.Action.Params[name]
}

func actionID(r *bot.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(actionParam(r, name), 10, 64)
	if err != nil || id <= 0 {
		return 0, bot.Refuse("卡片参数有误，请重新打开卡片。")
	}
	return id, nil
}

// askerUnit is the unit a typed command is about: the one named in args,
// the group chat's unit, or the asker's only unit. choose is true when the
// asker has several units and named none.
func askerUnit(ctx context.Context, r *bot.Request, args string) (u *store.Unit, choose []*store.Unit, err error) {
	if err := needPerson(r); err != nil {
		return nil, nil, err
	}
	if name := strings.TrimSpace(args); name != "" {
		units, err := r.Store.Units(ctx, r.Campaign.ID)
		if err != nil {
			return nil, nil, err
		}
		for _, x := range units {
			if x.Key == name || x.Name == name || x.Code == strings.ToUpper(name) || strings.Contains(x.Name, name) {
				if !CanSeeUnit(viewerOf(r), x.ID) {
					return nil, nil, bot.Refuse(msgNoUnitRight, x.Name)
				}
				return x, nil, nil
			}
		}
		return nil, nil, bot.Refuse("未找到单位“%s”。", name)
	}
	if r.Chat != nil && r.Chat.UnitID != nil && r.Event.Chat.Kind == bot.Group {
		x, err := r.Store.UnitByID(ctx, *r.Chat.UnitID)
		if err != nil {
			return nil, nil, err
		}
		if !CanSeeUnit(viewerOf(r), x.ID) {
			return nil, nil, bot.Refuse(msgNoUnitRight, x.Name)
		}
		return x, nil, nil
	}
	var mine []*store.Unit
	if r.Roles.Office {
		if mine, err = r.Store.Units(ctx, r.Campaign.ID); err != nil {
			return nil, nil, err
		}
		mine = slices.DeleteFunc(mine, func(x *store.Unit) bool { return x.IsOffice })
	} else {
		if mine, err = r.Store.UnitsOfPerson(ctx, r.Campaign.ID, r.Person.ID); err != nil {
			return nil, nil, err
		}
	}
	switch len(mine) {
	case 0:
		return nil, nil, bot.Refuse(msgNotPerson)
	case 1:
		return mine[0], nil, nil
	}
	return nil, mine, nil
}

// unitPickerCard asks which unit's ledger (or report) to open.
func unitPickerCard(title, command string, units []*store.Unit, action string) *cards.Card {
	var names []string
	var btns []cards.Button
	for i, u := range units {
		names = append(names, u.Name)
		if i < 6 && action != "" {
			btns = append(btns, cards.Button{Text: u.Name, Action: action, Params: map[string]string{"unit": u.Key, "page": "1"}, Command: command + " " + u.Name})
		}
	}
	c := &cards.Card{Title: title, Tone: cards.ToneInfo, Blocks: []cards.Block{
		cards.MD(fmt.Sprintf("请选择单位，或发送“%s 单位名称”。\n%s", command, strings.Join(names, "、"))),
	}}
	if len(btns) > 0 {
		c.Blocks = append(c.Blocks, cards.ButtonsBlock(btns...))
	}
	return c
}

// ledgerCommand answers 台账 [单位].
func (h *handler) ledgerCommand(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	page, args := splitPage(r.Args)
	u, choose, err := askerUnit(ctx, r, args)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return bot.CardReply(unitPickerCard("专项整治工作台账", "台账", choose, "ledger.show")), nil
	}
	c, err := ledgerCard(ctx, r, u, max(page, 1))
	if err != nil {
		return nil, err
	}
	return bot.CardReply(c), nil
}

// ledgerShow answers ledger.show {unit, page}.
func (h *handler) ledgerShow(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	u, err := paramUnit(ctx, r)
	if err != nil {
		return nil, err
	}
	page, _ := strconv.Atoi(actionParam(r, "page"))
	c, err := ledgerCard(ctx, r, u, page)
	if err != nil {
		return nil, err
	}
	return bot.CardReply(c), nil
}

// today is the request's civil date in the campaign's time zone.
func today(r *bot.Request) time.Time { return dayOf(r.Now, r.Campaign.Location()) }

// urgency is an item's derived state: overdue, due within soonDays, later.
type urgency int

const (
	urgencyLater urgency = iota
	urgencySoon
	urgencyOverdue
)

func urgencyOf(it *store.LedgerItem, day time.Time) urgency {
	if it.Status == store.ItemClosed {
		return urgencyLater
	}
	due := civil(it.DueOn)
	switch {
	case due.Before(day):
		return urgencyOverdue
	case !due.After(day.AddDate(0, 0, soonDays)):
		return urgencySoon
	}
	return urgencyLater
}

// sortByUrgency orders items overdue first, then due soon, then later, each
// by deadline.
func sortByUrgency(items []*store.LedgerItem, day time.Time) {
	slices.SortStableFunc(items, func(a, b *store.LedgerItem) int {
		if ua, ub := urgencyOf(a, day), urgencyOf(b, day); ua != ub {
			return int(ub) - int(ua)
		}
		if c := a.DueOn.Compare(b.DueOn); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
}

// ledgerCard renders a unit's open items, one page.
func ledgerCard(ctx context.Context, r *bot.Request, u *store.Unit, page int) (*cards.Card, error) {
	items, err := r.Store.OpenItemsOfUnit(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	return ledgerCardFrom(u, items, page, today(r), lightRuleOf(r.Campaign), r.Campaign.Location()), nil
}

func ledgerCardFrom(u *store.Unit, items []*store.LedgerItem, page int, day time.Time, lr lightRule, loc *time.Location) *cards.Card {
	sortByUrgency(items, day)
	var overdue, soon int
	for _, it := range items {
		switch urgencyOf(it, day) {
		case urgencyOverdue:
			overdue++
		case urgencySoon:
			soon++
		}
	}
	tone := cards.ToneInfo
	switch {
	case overdue > 0:
		tone = cards.ToneDanger
	case soon > 0:
		tone = cards.ToneWarning
	}
	c := &cards.Card{Title: "专项整治工作台账 · " + u.Name, Tone: tone,
		Subtitle: fmt.Sprintf("在办 %d 项：逾期 %d，%d日内到期 %d", len(items), overdue, soonDays, soon)}
	if len(items) == 0 {
		c.Tone = cards.ToneSuccess
		c.Blocks = append(c.Blocks, cards.MD("本单位目前没有在办问题。发现新问题请发送“新增问题”登记。"))
		return c
	}
	pages := (len(items) + ledgerPageSize - 1) / ledgerPageSize
	page = min(max(page, 1), pages)
	lo, hi := (page-1)*ledgerPageSize, min(page*ledgerPageSize, len(items))
	var btns []cards.Button
	for _, it := range items[lo:hi] {
		c.Blocks = append(c.Blocks, cards.MD(itemLine(it, day, lr.item(it, day, loc))))
		btns = append(btns, cards.Button{Text: "办理 " + it.Number, Action: "item.show", Params: itemRef(it)})
	}
	if page > 1 {
		btns = append(btns, cards.Button{Text: "上一页", Action: "ledger.show", Params: map[string]string{"unit": u.Key, "page": strconv.Itoa(page - 1)},
			Command: fmt.Sprintf("台账 %s 第%d页", u.Name, page-1)})
	}
	if page < pages {
		btns = append(btns, cards.Button{Text: "下一页", Action: "ledger.show", Params: map[string]string{"unit": u.Key, "page": strconv.Itoa(page + 1)},
			Command: fmt.Sprintf("台账 %s 第%d页", u.Name, page+1)})
	}
	c.Blocks = append(c.Blocks, cards.ButtonsBlock(btns...),
		cards.NoteBlock(fmt.Sprintf("第 %d/%d 页 · 逾期在前 · 发送“新增问题”登记新问题", page, pages)))
	return c
}

// urgencyLabel says how an item stands against its deadline.
func urgencyLabel(it *store.LedgerItem, day time.Time) string {
	switch urgencyOf(it, day) {
	case urgencyOverdue:
		return "🔴 " + countdown(it.DueOn, day)
	case urgencySoon:
		return "🟠 " + countdown(it.DueOn, day)
	}
	return countdown(it.DueOn, day)
}

// itemLine is an item's entry on the ledger card.
func itemLine(it *store.LedgerItem, day time.Time, light LightReason) string {
	line := fmt.Sprintf("**%s** ｜ %s ｜ %s ｜ %s\n%s\n整改时限 %s（%s）", it.Number, light.Light.Mark(), it.Category, statusName(it.Status),
		shorten(it.Description, 60), civil(it.DueOn).Format(time.DateOnly), urgencyLabel(it, day))
	if it.ResponsiblePerson != "" {
		line += " · 责任人 " + it.ResponsiblePerson
	}
	return line
}

// shorten cuts s to n characters with an ellipsis, on one line.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	return truncate(s, n)
}

// itemRef are the params that name an item at its version.
func itemRef(it *store.LedgerItem) map[string]string {
	return map[string]string{"item": strconv.FormatInt(it.ID, 10), "v": strconv.Itoa(it.Version)}
}

// itemSubject is the delivery subject of messages about an item.
func itemSubject(id int64) string { return "item:" + strconv.FormatInt(id, 10) }

// itemShow answers item.show {item}: the item's card.
func (h *handler) itemShow(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	it, u, err := paramItem(ctx, r, false)
	if err != nil {
		return nil, err
	}
	c, err := officeItemCard(ctx, r, it, u) // the office's buttons too (supervision.go)
	if err != nil {
		return nil, err
	}
	return itemReply(r, bot.CardReply(c), it), nil
}

// paramItem loads the action's item (locked when lock is set) and its unit,
// and checks that the asker may edit it.
func paramItem(ctx context.Context, r *bot.Request, lock bool) (*store.LedgerItem, *store.Unit, error) {
	if err := needPerson(r); err != nil {
		return nil, nil, err
	}
	id, err := actionID(r, "item")
	if err != nil {
		return nil, nil, err
	}
	var it *store.LedgerItem
	if lock {
		it, err = r.Store.LockLedgerItem(ctx, id)
	} else {
		it, err = r.Store.LedgerItemByID(ctx, id)
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && it.CampaignID != r.Campaign.ID) {
		return nil, nil, bot.Refuse("该问题不存在或已被删除。")
	}
	if err != nil {
		return nil, nil, err
	}
	u, err := r.Store.UnitByID(ctx, it.UnitID)
	if err != nil {
		return nil, nil, err
	}
	if !CanSeeItem(viewerOf(r), r.Campaign, it) {
		return nil, nil, bot.Refuse(msgNoUnitRight, u.Name)
	}
	return it, u, nil
}

// staleReply answers a click on a card drawn from an older version of the
// item: the fresh card and a toast; nothing is applied.
func staleReply(ctx context.Context, r *bot.Request, it *store.LedgerItem, u *store.Unit) (*bot.Reply, bool, error) {
	v, err := strconv.Atoi(actionParam(r, "v"))
	if err == nil && v == it.Version {
		return nil, false, nil
	}
	c, err := itemCard(ctx, r, it, u)
	if err != nil {
		return nil, true, err
	}
	return itemReply(r, &bot.Reply{Card: c, Toast: msgStale, ToastKind: "warning"}, it), true, nil
}

// itemCard renders an item with its latest progress and its actions.
func itemCard(ctx context.Context, r *bot.Request, it *store.LedgerItem, u *store.Unit) (*cards.Card, error) {
	ups, err := r.Store.ProgressOf(ctx, it.ID, 3)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, p := range ups {
		if p.PersonID != nil {
			ids = append(ids, *p.PersonID)
		}
	}
	pending, err := r.Store.PendingRequestOfItem(ctx, it.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if pending != nil && pending.RequestedBy != nil {
		ids = append(ids, *pending.RequestedBy)
	}
	people, err := r.Store.PeopleByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	c := itemCardFrom(it, u, ups, pending, people, today(r), r.Campaign.Location(), lightRuleOf(r.Campaign))
	if err := flagItemDecor(ctx, r, c, it); err != nil {
		return nil, err
	}
	if err := itemEvidence(ctx, r.Store, c, it.ID, r.Campaign.Location()); err != nil {
		return nil, err
	}
	return c, nil
}

func personName(people map[int64]*store.Person, id *int64) string {
	if id != nil {
		if p, ok := people[*id]; ok {
			return p.Name
		}
	}
	return ""
}

func itemCardFrom(it *store.LedgerItem, u *store.Unit, ups []*store.ProgressUpdate, pending *store.ItemRequest,
	people map[int64]*store.Person, day time.Time, loc *time.Location, lr lightRule) *cards.Card {
	tone := cards.ToneInfo
	switch {
	case it.Status == store.ItemClosed:
		tone = cards.ToneSuccess
	case urgencyOf(it, day) == urgencyOverdue:
		tone = cards.ToneDanger
	case urgencyOf(it, day) == urgencySoon || it.Status == store.ItemCloseRequested:
		tone = cards.ToneWarning
	}
	c := &cards.Card{Title: it.Number + " · " + statusName(it.Status), Subtitle: u.Name, Tone: tone}
	c.Blocks = append(c.Blocks, cards.MD("**问题描述**："+truncate(it.Description, 300)))
	if it.Measures != "" {
		c.Blocks = append(c.Blocks, cards.MD("**整改措施**："+truncate(it.Measures, 300)))
	}
	due := civil(it.DueOn).Format(time.DateOnly)
	if it.Status != store.ItemClosed {
		due += "（" + urgencyLabel(it, day) + "）"
	}
	fields := []cards.Field{
		{Label: "问题来源", Value: it.Source, Short: true},
		{Label: "问题类别", Value: it.Category, Short: true},
		{Label: "整改时限", Value: due, Short: true},
		{Label: "整改状态", Value: statusName(it.Status), Short: true},
		{Label: "红黄绿灯", Value: lr.item(it, day, loc).Label(), Short: true},
	}
	if it.ResponsibleLeader != "" || it.ResponsiblePerson != "" {
		fields = append(fields, cards.Field{Label: "责任领导 / 责任人", Value: strings.Trim(it.ResponsibleLeader+" / "+it.ResponsiblePerson, " /"), Short: true})
	}
	if it.ResponsibleUnit != "" {
		fields = append(fields, cards.Field{Label: "责任单位", Value: it.ResponsibleUnit, Short: true})
	}
	if it.ClosedAt != nil {
		fields = append(fields, cards.Field{Label: "销号时间", Value: it.ClosedAt.In(loc).Format("2006-01-02 15:04"), Short: true})
	}
	c.Blocks = append(c.Blocks, cards.FieldsBlock(fields...))
	if it.Effect != "" {
		c.Blocks = append(c.Blocks, cards.MD("**现阶段成效**："+truncate(it.Effect, 200)))
	}
	if len(ups) > 0 {
		var lines []string
		for _, p := range ups {
			line := fmt.Sprintf("· %s %s：%s", p.CreatedAt.In(loc).Format("01-02 15:04"), personName(people, p.PersonID), truncate(p.Text, 80))
			if p.Evidence != "" || p.FileID != nil {
				line += "（附佐证）"
			}
			lines = append(lines, line)
		}
		c.Blocks = append(c.Blocks, cards.MD("**最近进展**\n"+strings.Join(lines, "\n")))
	} else if it.Status != store.ItemClosed {
		c.Blocks = append(c.Blocks, cards.MD("**最近进展**：尚无"))
	}
	if pending != nil {
		what := "销号"
		if pending.Kind == store.RequestKindExtend {
			what = "延期至 " + civil(*pending.NewDueOn).Format(time.DateOnly)
		}
		c.Blocks = append(c.Blocks, cards.NoteBlock(fmt.Sprintf("%s 于 %s 申请%s，等待审批。", personName(people, pending.RequestedBy),
			pending.RequestedAt.In(loc).Format("01-02 15:04"), what)))
	}
	back := cards.Button{Text: "返回台账", Action: "ledger.show", Params: map[string]string{"unit": u.Key, "page": "1"}, Command: "台账 " + u.Name}
	switch {
	case it.Status == store.ItemClosed:
		c.Blocks = append(c.Blocks, cards.ButtonsBlock(back))
	case pending != nil:
		c.Blocks = append(c.Blocks, cards.ButtonsBlock(
			cards.Button{Text: "更新进展", Action: "item.progress.form", Style: cards.StylePrimary, Params: itemRef(it), Command: "更新进展 " + it.Number}, back))
	default:
		c.Blocks = append(c.Blocks, cards.ButtonsBlock(
			cards.Button{Text: "更新进展", Action: "item.progress.form", Style: cards.StylePrimary, Params: itemRef(it), Command: "更新进展 " + it.Number},
			cards.Button{Text: "申请销号", Action: "item.close.form", Params: itemRef(it), Command: "申请销号 " + it.Number},
			cards.Button{Text: "申请延期", Action: "item.extend.form", Params: itemRef(it), Command: "申请延期 " + it.Number},
			back))
	}
	return c
}

// itemAudit is what an audit row records of an item.
func itemAudit(it *store.LedgerItem) map[string]any {
	m := map[string]any{
		"number": it.Number, "unit_id": it.UnitID, "status": it.Status, "progress": it.Progress, "effect": it.Effect,
		"evidence": it.Evidence, "due_on": civil(it.DueOn).Format(time.DateOnly), "version": it.Version,
		"source": it.Source, "category": it.Category, "description": it.Description, "measures": it.Measures,
		"responsible_leader": it.ResponsibleLeader, "responsible_unit": it.ResponsibleUnit,
		"responsible_person": it.ResponsiblePerson, "note": it.Note,
	}
	if it.ClosedAt != nil {
		m["closed_at"] = it.ClosedAt.UTC().Format(time.RFC3339)
	}
	return m
}

// auditItem appends the audit row of an item change.
func auditItem(ctx context.Context, r *bot.Request, action string, old, cur *store.LedgerItem) error {
	p := store.AuditParams{Actor: r.Actor(), Entity: "ledger_item", EntityID: strconv.FormatInt(cur.ID, 10), Action: action, New: itemAudit(cur)}
	if old != nil {
		p.Old = itemAudit(old)
	}
	return r.Store.AppendAudit(ctx, p)
}

// formCheck validates submitted values, naming every bad field.
func formCheck(r *bot.Request, f *cards.Form) (cards.Values, error) {
	v := cards.Values{}
	if r.Event.Action != nil && r.Event.Action.Form != nil {
		v = r.Event.Action.Form
	}
	if errs := f.Check(v); len(errs) > 0 {
		var msgs []string
		for _, e := range errs {
			msgs = append(msgs, e.Message)
		}
		return nil, bot.Refuse("填写有误，未作修改：%s。", strings.Join(msgs, "；"))
	}
	return v, nil
}
