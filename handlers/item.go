package handlers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strconv"
	"strings"
	"time"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store"
)

// New items, progress updates, 销号 and 延期 requests.
//
// The typed shortcut "进展：…" applies to the item named at its start
// ("进展 LB-2026-007 已约谈当事人") or else to the open item the asker most
// recently acted on (a progress update, a request, or created it): the
// ledger's own records say which, so no dialog row is needed and the
// answer names the item it went to.

func optionsOf(vals []string) []cards.Option {
	out := make([]cards.Option, 0, len(vals))
	for _, v := range vals {
		out = append(out, cards.Option{Value: v, Label: v})
	}
	return out
}

// codedOptions are select options whose values are short codes (p1, p2,
// …), which keeps the form small enough for DingTalk's 1 KB form schema;
// uncode maps a submitted code back to its name.
func codedOptions(prefix string, names []string) []cards.Option {
	out := make([]cards.Option, 0, len(names))
	for i, n := range names {
		out = append(out, cards.Option{Value: prefix + strconv.Itoa(i+1), Label: n})
	}
	return out
}

func uncode(prefix string, names []string, v string) string {
	if n, err := strconv.Atoi(strings.TrimPrefix(v, prefix)); err == nil && strings.HasPrefix(v, prefix) && n >= 1 && n <= len(names) {
		return names[n-1]
	}
	return v
}

// newItemFormCard is the 新增问题 form of a unit. 责任领导, 责任单位 and
// 责任人 are the unit's leader, the unit and its liaison (the card says
// so; the spreadsheet import can change them): DingTalk's form schema is
// limited to 1 KB, which the nine sources and six categories nearly fill.
func newItemFormCard(u *store.Unit, leader, liaison string, due time.Time) *cards.Card {
	who := fmt.Sprintf("\n责任领导：%s　责任单位：%s　责任人：%s", cmp.Or(leader, "—"), u.Name, cmp.Or(liaison, "—"))
	return &cards.Card{Title: "新增问题 · " + u.Name, Tone: cards.ToneInfo, Blocks: []cards.Block{
		cards.MD("按照“定领导、定责任、定方案、定时限”的要求登记问题，登记后自动编号。" + who + "。"),
		cards.FormBlock(&cards.Form{Name: "item_new", Fields: []cards.FormField{
			{Name: "source", Label: "问题来源", Kind: cards.KindSelect, Required: true, Options: codedOptions("s", itemSources)},
			{Name: "category", Label: "问题类别", Kind: cards.KindSelect, Required: true, Options: codedOptions("c", itemCategories)},
			{Name: "description", Label: "问题描述", Kind: cards.KindLongText, Required: true, MaxLen: 1000},
			{Name: "measures", Label: "整改措施", Kind: cards.KindLongText, Required: true, MaxLen: 1000},
			{Name: "due", Label: "整改时限", Kind: cards.KindDate, Required: true, Default: due.Format(cards.DateLayout)},
		}, Submit: cards.Button{Text: "登记", Action: "item.new.submit", Style: cards.StylePrimary, Params: map[string]string{"unit": u.Key}}}),
	}}
}

// newItemSubmitForm is what item.new.submit accepts: the form above with
// names as option values (codes are mapped first), 整改措施 optional, since
// the enterprise relay's prefilled form (source 企业反映) may leave it
// empty, and optional 责任领导, 责任单位, 责任人 (empty means the default).
func newItemSubmitForm() *cards.Form {
	f := newItemFormCard(&store.Unit{}, "", "", time.Time{}).Form()
	f.Field("measures").Required = false
	f.Fields = append(f.Fields,
		cards.FormField{Name: "responsible_leader", Label: "责任领导", Kind: cards.KindText, MaxLen: 50},
		cards.FormField{Name: "responsible_unit", Label: "责任单位", Kind: cards.KindText, MaxLen: 100},
		cards.FormField{Name: "responsible_person", Label: "责任人", Kind: cards.KindText, MaxLen: 50})
	f.Field("source").Options = optionsOf(itemSources)
	f.Field("category").Options = optionsOf(itemCategories)
	return f
}

func (h *handler) unitPeopleNames(ctx context.Context, r *bot.Request, u *store.Unit) (leader, liaison string, err error) {
	var ids []int64
	for _, id := range []*int64{u.LeaderID, u.LiaisonID} {
		if id != nil {
			ids = append(ids, *id)
		}
	}
	people, err := r.Store.PeopleByIDs(ctx, ids)
	if err != nil {
		return "", "", err
	}
	return personName(people, u.LeaderID), personName(people, u.LiaisonID), nil
}

// newItemCommand answers 新增问题 [单位].
func (h *handler) newItemCommand(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	u, choose, err := askerUnit(ctx, r, r.Args)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return bot.CardReply(unitPickerCard("新增问题", "新增问题", choose, "item.new.form")), nil
	}
	return h.newItemReply(ctx, r, u)
}

// newItemForm answers item.new.form {unit}.
func (h *handler) newItemForm(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	u, err := paramUnit(ctx, r)
	if err != nil {
		return nil, err
	}
	reply, err := h.newItemReply(ctx, r, u)
	if err != nil {
		return nil, err
	}
	if ev := actionParam(r, "evidence"); ev != "" && reply.Card.Form() != nil {
		// Chosen for files sent without a caption: they go with the item.
		f := reply.Card.Form()
		f.Submit.Params = maps.Clone(f.Submit.Params)
		f.Submit.Params["evidence"] = ev
	}
	return reply, nil
}

func (h *handler) newItemReply(ctx context.Context, r *bot.Request, u *store.Unit) (*bot.Reply, error) {
	leader, liaison, err := h.unitPeopleNames(ctx, r, u)
	if err != nil {
		return nil, err
	}
	return bot.CardReply(newItemFormCard(u, leader, liaison, today(r).AddDate(0, 1, 0))), nil
}

// newItemSubmit answers item.new.submit {unit[, request]}: the item is
// numbered from the unit's counter and recorded.
func (h *handler) newItemSubmit(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	u, err := paramUnit(ctx, r)
	if err != nil {
		return nil, err
	}
	if a := r.Event.Action; a != nil && a.Form != nil {
		for name, names := range map[string][]string{"source": itemSources, "category": itemCategories} {
			if vals := a.Form[name]; len(vals) == 1 {
				vals[0] = uncode(name[:1], names, strings.TrimSpace(vals[0]))
			}
		}
	}
	v, err := formCheck(r, newItemSubmitForm())
	if err != nil {
		return nil, err
	}
	leader, liaison, err := h.unitPeopleNames(ctx, r, u)
	if err != nil {
		return nil, err
	}
	due, _ := cards.ParseDate(v.Get("due"))
	if due.Before(today(r)) {
		return nil, bot.Refuse("填写有误，未作修改：整改时限不能早于今天。")
	}
	it := &store.LedgerItem{
		CampaignID: r.Campaign.ID, UnitID: u.ID, Source: v.Get("source"), Category: v.Get("category"),
		Description: v.Get("description"), Measures: v.Get("measures"), ResponsibleLeader: cmp.Or(v.Get("responsible_leader"), leader),
		ResponsibleUnit: cmp.Or(v.Get("responsible_unit"), u.Name), ResponsiblePerson: cmp.Or(v.Get("responsible_person"), liaison), DueOn: due,
		CreatedBy: &r.Person.ID, CreatedAt: r.Now,
	}
	if rid := actionParam(r, "request"); rid != "" {
		id, err := strconv.ParseInt(rid, 10, 64)
		if err != nil {
			return nil, bot.Refuse("卡片参数有误，请重新打开卡片。")
		}
		q, err := r.Store.LockEnterpriseRequest(ctx, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && q.CampaignID != r.Campaign.ID) {
			return nil, bot.Refuse("未找到该诉求。")
		}
		if err != nil {
			return nil, err
		}
		if !canHandle(r, q) {
			return nil, bot.Refuse(msgNoRequestRight)
		}
		if q.LedgerItemID != nil {
			return nil, bot.Refuse("诉求 %s 已转为台账问题。", q.Number)
		}
		it.RequestID = &q.ID
	}
	if err := r.Store.CreateLedgerItem(ctx, it, r.Now.In(r.Campaign.Location()).Year()); err != nil {
		return nil, err
	}
	if err := auditItem(ctx, r, "create", nil, it); err != nil {
		return nil, err
	}
	// Files sent without a caption, for which 新增问题 was chosen.
	attached, err := attachPending(ctx, r, it)
	if err != nil {
		return nil, err
	}
	c, err := itemCard(ctx, r, it, u)
	if err != nil {
		return nil, err
	}
	toast := "已登记为 " + it.Number
	if attached > 0 {
		toast += fmt.Sprintf("，附件 %d 个已记为佐证", attached)
	}
	return itemReply(r, &bot.Reply{Card: c, Toast: toast, ToastKind: "success"}, it), nil
}

// progressStatuses are the statuses a progress update may set.
var progressStatuses = []cards.Option{{Value: store.ItemInProgress, Label: "整改中"}, {Value: store.ItemLongTerm, Label: "长期推进"}}

// progressFormCard asks for an item's progress.
func progressFormCard(it *store.LedgerItem) *cards.Card {
	status := it.Status
	if status != store.ItemLongTerm {
		status = store.ItemInProgress
	}
	return &cards.Card{Title: "更新进展 · " + it.Number, Tone: cards.ToneInfo, Blocks: []cards.Block{
		cards.MD(shorten(it.Description, 120)),
		cards.FormBlock(&cards.Form{Name: "item_progress", Fields: []cards.FormField{
			{Name: "text", Label: "整改进展", Kind: cards.KindLongText, Required: true, MaxLen: 1000},
			{Name: "status", Label: "整改状态", Kind: cards.KindSelect, Required: true, Options: progressStatuses, Default: status},
			{Name: "effect", Label: "现阶段成效（长期推进必填）", Kind: cards.KindLongText, MaxLen: 1000},
			{Name: "evidence", Label: "佐证材料（说明或文件名，可在对话中发送附件）", Kind: cards.KindText, MaxLen: 500},
		}, Submit: cards.Button{Text: "提交进展", Action: "item.progress.submit", Style: cards.StylePrimary, Params: itemRef(it)}}),
	}}
}

// itemFormReply is the common start of an item's form action: load and
// lock the item, refuse a stale card, refuse a closed item.
func itemFormStart(ctx context.Context, r *bot.Request, lock bool) (*store.LedgerItem, *store.Unit, *bot.Reply, error) {
	it, u, err := paramItem(ctx, r, lock)
	if err != nil {
		return nil, nil, nil, err
	}
	if reply, stale, err := staleReply(ctx, r, it, u); stale || err != nil {
		return nil, nil, reply, err
	}
	if it.Status == store.ItemClosed {
		return nil, nil, nil, bot.Refuse("问题 %s 已销号，无需再办理。", it.Number)
	}
	return it, u, nil, nil
}

// progressForm answers item.progress.form {item, v}.
func (h *handler) progressForm(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	it, _, reply, err := itemFormStart(ctx, r, false)
	if reply != nil || err != nil {
		return reply, err
	}
	return bot.CardReply(progressFormCard(it)), nil
}

// progressSubmit answers item.progress.submit {item, v}.
func (h *handler) progressSubmit(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	it, u, reply, err := itemFormStart(ctx, r, true)
	if reply != nil || err != nil {
		return reply, err
	}
	v, err := formCheck(r, progressFormCard(it).Form())
	if err != nil {
		return nil, err
	}
	if err := applyProgress(ctx, r, it, v.Get("text"), v.Get("status"), v.Get("effect"), v.Get("evidence")); err != nil {
		return nil, err
	}
	if err := redrawItem(ctx, r, it, u); err != nil {
		return nil, err
	}
	c, err := itemCard(ctx, r, it, u)
	if err != nil {
		return nil, err
	}
	return itemReply(r, &bot.Reply{Card: c, Toast: "进展已更新", ToastKind: "success"}, it), nil
}

// applyProgress appends a progress update to a locked item and writes the
// item's new state and the audit row. status "" keeps the item's status.
func applyProgress(ctx context.Context, r *bot.Request, it *store.LedgerItem, text, status, effect, evidence string) error {
	old := *it
	if status == "" {
		status = it.Status
	}
	if it.Status == store.ItemCloseRequested {
		status = it.Status // the 销号 decision sets it
	}
	if effect == "" && status == store.ItemLongTerm {
		effect = it.Effect
	}
	if status == store.ItemLongTerm && effect == "" {
		return bot.Refuse("填写有误，未作修改：选择“长期推进”时请填写现阶段成效。")
	}
	files, err := saveEventFiles(ctx, r)
	if err != nil {
		return err
	}
	var fileID *int64
	if len(files) > 0 {
		fileID = &files[0].ID
		evidence = strings.TrimSpace(evidence + " 附件：" + fileNames(files))
	}
	now := r.Now
	it.Progress, it.Status, it.ProgressAt = text, status, &now
	if effect != "" {
		it.Effect = effect
	}
	if evidence != "" {
		it.Evidence = evidence
	}
	if err := r.Store.UpdateLedgerItem(ctx, it, old.Version); err != nil {
		return err
	}
	a := r.Actor()
	p := &store.ProgressUpdate{ItemID: it.ID, Text: text, Status: status, Effect: effect, Evidence: evidence, FileID: fileID,
		PersonID: &r.Person.ID, Platform: a.Platform, Account: a.Account, MessageID: a.MessageID, CreatedAt: r.Now}
	if err := r.Store.AddProgress(ctx, p); err != nil {
		return err
	}
	for _, f := range files[min(1, len(files)):] {
		// Each further file is an entry of its own, as attached evidence is.
		fp := &store.ProgressUpdate{ItemID: it.ID, Text: "补充佐证：" + f.Name, Status: status, Evidence: "附件：" + f.Name, FileID: &f.ID,
			PersonID: &r.Person.ID, Platform: a.Platform, Account: a.Account, MessageID: a.MessageID, CreatedAt: r.Now}
		if err := r.Store.AddProgress(ctx, fp); err != nil {
			return err
		}
	}
	return auditItem(ctx, r, "progress", &old, it)
}

// saveEventFiles stores every file of the event (their size and type were
// admitted by the bot) and returns them, in the message's order.
func saveEventFiles(ctx context.Context, r *bot.Request) ([]*store.StoredFile, error) {
	var out []*store.StoredFile
	for _, f := range r.Event.Files {
		sf, err := saveEventFile(ctx, r, f)
		if err != nil {
			return nil, err
		}
		out = append(out, sf)
	}
	return out, nil
}

// saveEventFile stores one file of the event, sent by its sender.
func saveEventFile(ctx context.Context, r *bot.Request, f bot.File) (*store.StoredFile, error) {
	sf := &store.StoredFile{Name: f.Name, MIME: f.MIME, Content: f.Content, Platform: string(r.Event.Platform), Sender: r.Event.Sender.ID}
	if err := r.Store.SaveFile(ctx, sf); err != nil {
		return nil, err
	}
	// The row keeps the name it was first stored under; this message's
	// name is the one the sender knows.
	sf.Name = f.Name
	return sf, nil
}

// fileNames joins the files' names with 、.
func fileNames(files []*store.StoredFile) string {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name
	}
	return strings.Join(names, "、")
}

// saveEvidenceFile keeps the event's first attachment, for the records that
// hold one file (a clue, a supervision answer).
func saveEvidenceFile(ctx context.Context, r *bot.Request) (*int64, string, error) {
	if len(r.Event.Files) == 0 {
		return nil, "", nil
	}
	f := r.Event.Files[0]
	sf, err := saveEventFile(ctx, r, f)
	if err != nil {
		return nil, "", err
	}
	return &sf.ID, "附件：" + f.Name, nil
}

var itemNumberRe = regexp.MustCompile(`^([A-Za-z]{1,10}-\d{4}-\d{3,})[\s:：,，]*`)

// progressCommand answers "进展：…": a progress update of the named item or
// of the asker's latest one, status unchanged.
func (h *handler) progressCommand(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if err := needPerson(r); err != nil {
		return nil, err
	}
	text := strings.TrimSpace(r.Args)
	var it *store.LedgerItem
	var err error
	if m := itemNumberRe.FindStringSubmatch(text); m != nil {
		it, err = r.Store.LedgerItemByNumber(ctx, r.Campaign.ID, strings.ToUpper(m[1]))
		if errors.Is(err, store.ErrNotFound) {
			return nil, bot.Refuse("未找到问题 %s。", m[1])
		}
		text = strings.TrimSpace(text[len(m[0]):])
	} else {
		it, err = r.Store.LatestItemActedOnBy(ctx, r.Campaign.ID, r.Person.ID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, bot.Refuse("请指明问题编号，例如“进展 LB-2026-007 已完成约谈”，或在台账中点“更新进展”。")
		}
	}
	if err != nil {
		return nil, err
	}
	if text == "" && len(r.Event.Files) == 0 {
		return nil, bot.Refuse("请在“进展：”后写明进展内容，例如“进展：已完成约谈整改”。")
	}
	if text == "" {
		text = "补充佐证材料"
	}
	if cards.RuneLen(text) > 1000 {
		return nil, bot.Refuse("进展内容不能超过 1000 字。")
	}
	if it, err = r.Store.LockLedgerItem(ctx, it.ID); err != nil {
		return nil, err
	}
	u, err := r.Store.UnitByID(ctx, it.UnitID)
	if err != nil {
		return nil, err
	}
	if !r.Roles.CanEdit(u.ID) {
		return nil, bot.Refuse(msgNoUnitRight, u.Name)
	}
	if it.Status == store.ItemClosed {
		return nil, bot.Refuse("问题 %s 已销号，无需再更新进展。", it.Number)
	}
	if err := applyProgress(ctx, r, it, text, "", "", ""); err != nil {
		return nil, err
	}
	if err := redrawItem(ctx, r, it, u); err != nil {
		return nil, err
	}
	c, err := itemCard(ctx, r, it, u)
	if err != nil {
		return nil, err
	}
	return itemReply(r, &bot.Reply{Text: fmt.Sprintf("已记入 %s 的整改进展。", it.Number), Card: c}, it), nil
}

// closeFormCard asks for a 销号 request.
func closeFormCard(it *store.LedgerItem) *cards.Card {
	return &cards.Card{Title: "申请销号 · " + it.Number, Tone: cards.ToneInfo, Blocks: []cards.Block{
		cards.MD(shorten(it.Description, 120)),
		cards.FormBlock(&cards.Form{Name: "item_close", Fields: []cards.FormField{
			{Name: "result", Label: "整改结果", Kind: cards.KindLongText, Required: true, MaxLen: 1000,
				Placeholder: "说明问题已整改到位的情况"},
			{Name: "evidence", Label: "佐证材料（说明或文件名）", Kind: cards.KindText, MaxLen: 500},
		}, Submit: cards.Button{Text: "提交销号申请", Action: "item.close.submit", Style: cards.StylePrimary, Params: itemRef(it)}}),
		cards.NoteBlock("提交后由本单位领导审批，审批通过即销号。"),
	}}
}

// extendFormCard asks for a 延期 request.
func extendFormCard(it *store.LedgerItem, suggest time.Time) *cards.Card {
	return &cards.Card{Title: "申请延期 · " + it.Number, Tone: cards.ToneInfo, Blocks: []cards.Block{
		cards.MD(fmt.Sprintf("%s\n当前整改时限：**%s**", shorten(it.Description, 120), civil(it.DueOn).Format(time.DateOnly))),
		cards.FormBlock(&cards.Form{Name: "item_extend", Fields: []cards.FormField{
			{Name: "due", Label: "新的整改时限", Kind: cards.KindDate, Required: true, Default: suggest.Format(cards.DateLayout)},
			{Name: "reason", Label: "延期理由", Kind: cards.KindLongText, Required: true, MaxLen: 1000},
		}, Submit: cards.Button{Text: "提交延期申请", Action: "item.extend.submit", Style: cards.StylePrimary, Params: itemRef(it)}}),
	}}
}

// closeForm answers item.close.form {item, v}.
func (h *handler) closeForm(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	it, _, reply, err := itemFormStart(ctx, r, false)
	if reply != nil || err != nil {
		return reply, err
	}
	if err := noPendingRequest(ctx, r, it); err != nil {
		return nil, err
	}
	return bot.CardReply(closeFormCard(it)), nil
}

// extendForm answers item.extend.form {item, v}.
func (h *handler) extendForm(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	it, _, reply, err := itemFormStart(ctx, r, false)
	if reply != nil || err != nil {
		return reply, err
	}
	if err := noPendingRequest(ctx, r, it); err != nil {
		return nil, err
	}
	suggest := civil(it.DueOn).AddDate(0, 1, 0)
	if t := today(r).AddDate(0, 1, 0); suggest.Before(t) {
		suggest = t
	}
	return bot.CardReply(extendFormCard(it, suggest)), nil
}

func noPendingRequest(ctx context.Context, r *bot.Request, it *store.LedgerItem) error {
	q, err := r.Store.PendingRequestOfItem(ctx, it.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return err
	}
	what := map[string]string{store.RequestKindClose: "销号", store.RequestKindExtend: "延期"}[q.Kind]
	return bot.Refuse("问题 %s 已有待审批的%s申请，请等待审批结果。", it.Number, what)
}

// closeSubmit answers item.close.submit {item, v}: the item waits for the
// leader's decision.
func (h *handler) closeSubmit(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	it, u, reply, err := itemFormStart(ctx, r, true)
	if reply != nil || err != nil {
		return reply, err
	}
	if err := noPendingRequest(ctx, r, it); err != nil {
		return nil, err
	}
	v, err := formCheck(r, closeFormCard(it).Form())
	if err != nil {
		return nil, err
	}
	old := *it
	q := &store.ItemRequest{ItemID: it.ID, Kind: store.RequestKindClose, Result: v.Get("result"), Reason: v.Get("evidence"),
		RequestedBy: &r.Person.ID, RequestedAt: r.Now}
	if err := r.Store.CreateItemRequest(ctx, q); err != nil {
		return nil, conflictRefusal(err, "问题 %s 已有待审批的申请。", it.Number)
	}
	it.Status = store.ItemCloseRequested
	if ev := v.Get("evidence"); ev != "" {
		it.Evidence = ev
	}
	if err := r.Store.UpdateLedgerItem(ctx, it, old.Version); err != nil {
		return nil, err
	}
	return h.afterRequest(ctx, r, it, &old, u, q)
}

// extendSubmit answers item.extend.submit {item, v}.
func (h *handler) extendSubmit(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	it, u, reply, err := itemFormStart(ctx, r, true)
	if reply != nil || err != nil {
		return reply, err
	}
	if err := noPendingRequest(ctx, r, it); err != nil {
		return nil, err
	}
	v, err := formCheck(r, extendFormCard(it, today(r)).Form())
	if err != nil {
		return nil, err
	}
	due, _ := cards.ParseDate(v.Get("due"))
	if !due.After(civil(it.DueOn)) || due.Before(today(r)) {
		return nil, bot.Refuse("填写有误，未作修改：新的整改时限须晚于原时限（%s）且不早于今天。", civil(it.DueOn).Format(time.DateOnly))
	}
	q := &store.ItemRequest{ItemID: it.ID, Kind: store.RequestKindExtend, NewDueOn: &due, Reason: v.Get("reason"),
		RequestedBy: &r.Person.ID, RequestedAt: r.Now}
	if err := r.Store.CreateItemRequest(ctx, q); err != nil {
		return nil, conflictRefusal(err, "问题 %s 已有待审批的申请。", it.Number)
	}
	return h.afterRequest(ctx, r, it, nil, u, q)
}

// conflictRefusal turns a lost race into a refusal.
func conflictRefusal(err error, format string, args ...any) error {
	if errors.Is(err, store.ErrConflict) {
		return bot.Refuse(format, args...)
	}
	return err
}

// afterRequest sends the approval card to whoever decides and answers the
// liaison with the item's card.
func (h *handler) afterRequest(ctx context.Context, r *bot.Request, it, old *store.LedgerItem, u *store.Unit, q *store.ItemRequest) (*bot.Reply, error) {
	who, err := h.sendApproval(ctx, r, it, u, q)
	if err != nil {
		return nil, err
	}
	if err := redrawItem(ctx, r, it, u); err != nil {
		return nil, err
	}
	c, err := itemCard(ctx, r, it, u)
	if err != nil {
		return nil, err
	}
	if err := r.Store.AppendAudit(ctx, store.AuditParams{Actor: r.Actor(), Entity: "item_request", EntityID: strconv.FormatInt(q.ID, 10),
		Action: "request_" + q.Kind, New: q}); err != nil {
		return nil, err
	}
	if old != nil {
		if err := auditItem(ctx, r, "request_"+q.Kind, old, it); err != nil {
			return nil, err
		}
	}
	what := map[string]string{store.RequestKindClose: "销号", store.RequestKindExtend: "延期"}[q.Kind]
	toast := fmt.Sprintf("已提交%s申请，等待%s审批", what, who)
	return itemReply(r, &bot.Reply{Card: c, Toast: toast, ToastKind: "success"}, it), nil
}
