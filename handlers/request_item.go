package handlers

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store"
)

// From complaint to ledger: ereq.to_item opens the ledger's new-item form
// prefilled from the request (source 企业反映, the enterprise's words as
// the description) and submits to the ledger's item.new.submit with params
// {unit, request}; the ledger creates the item with request_id set, which
// is the link both ways (the request card reads it back).

// itemCategories are the six 整治重点 of the seed.
var itemCategories = []string{"逐利执法", "执法不规范", "执法方式简单僵化", "执法粗暴", "执法“寻租”", "其他有关问题"}

// itemSourceEnterprise is the 问题来源 of items made from requests.
const itemSourceEnterprise = "企业反映"

// requestToItem answers ereq.to_item. A leader who may edit a unit's
// ledger (or the office) gets the form; a contact leader who belongs to no
// unit has the office register it: the prefilled form goes to the office's
// handler.
func (h *handler) requestToItem(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	q, err := handlerRequest(ctx, r, false)
	if err != nil {
		return nil, err
	}
	if q.LedgerItemID != nil {
		return nil, bot.Refuse("诉求 %s 已转为台账问题。", q.Number)
	}
	msgs, err := r.Store.RequestMessages(ctx, q.ID, 50)
	if err != nil {
		return nil, err
	}
	desc := ""
	for _, m := range msgs {
		if m.Direction == store.MessageIn && m.FileID == nil && !strings.HasPrefix(m.Text, "评价") {
			if desc != "" {
				desc += "\n"
			}
			desc += m.Text
		}
	}
	full := truncateRunes(desc, 300)
	desc = truncateRunes(q.EnterpriseName+"反映（诉求 "+q.Number+"）："+desc, 1000)
	if r.Event.Platform == bot.DingTalk {
		// A DingTalk form's whole schema must fit in 1 KB: the text is
		// shown above the form instead of prefilled.
		desc = ""
	}
	due := r.Now.In(r.Campaign.Location()).AddDate(0, 1, 0)
	unit, err := itemUnitFor(ctx, r)
	if err != nil {
		return nil, err
	}
	if unit != nil {
		if err := auditView(ctx, r, q, "to_item"); err != nil {
			return nil, err
		}
		leader, liaison, err := h.unitPeopleNames(ctx, r, unit)
		if err != nil {
			return nil, err
		}
		return bot.CardReply(requestItemFormCard(q, unit, leader, liaison, full, desc, due)), nil
	}
	office, err := officeHandler(ctx, r.Store, r.Campaign)
	if err != nil {
		return nil, err
	}
	ou, err := r.Store.UnitByKey(ctx, r.Campaign.ID, r.Campaign.OfficeUnitKey)
	if office == nil || err != nil {
		return nil, bot.Refuse("市局专项整治办公室尚未配置，无法登记台账。")
	}
	leader, liaison, err := h.unitPeopleNames(ctx, r, ou)
	if err != nil {
		return nil, err
	}
	c := requestItemFormCard(q, ou, leader, liaison, full, desc, due)
	c.Blocks = append([]cards.Block{cards.MD(fmt.Sprintf("**%s** 请办公室将企业诉求 %s 登记为台账问题。", r.Person.Name, q.Number))}, c.Blocks...)
	if _, err := r.SendToPerson(ctx, *office, bot.Message{Card: c}, "", requestSubject(q)); err != nil {
		return nil, err
	}
	if err := r.Store.AppendAudit(ctx, store.AuditParams{Actor: r.Actor(), Entity: "enterprise_request", EntityID: q.Number,
		Action: "to_item_asked", New: map[string]any{"office": *office}}); err != nil {
		return nil, err
	}
	return &bot.Reply{Toast: "已请市局专项整治办公室登记为台账问题", ToastKind: "success"}, nil
}

// itemUnitFor is the unit whose ledger the asker may add the item to: the
// first unit he leads, liaises for or serves in, the office's unit for the
// office; nil when he may edit none.
func itemUnitFor(ctx context.Context, r *bot.Request) (*store.Unit, error) {
	ids := append(append(append([]int64{}, r.Roles.Leads...), r.Roles.Liaises...), r.Roles.Member...)
	if len(ids) > 0 {
		return r.Store.UnitByID(ctx, ids[0])
	}
	return nil, nil
}

// requestItemFormCard is the ledger's 新增问题 form of u, prefilled from
// the request, submitting to item.new.submit {unit, request}.
func requestItemFormCard(q *store.EnterpriseRequest, u *store.Unit, leader, liaison, full, desc string, due time.Time) *cards.Card {
	c := newItemFormCard(u, leader, liaison, due)
	c.Title = "转为台账问题 · " + q.Number
	c.Subtitle = u.Name
	c.Blocks[0] = cards.MD(fmt.Sprintf("问题来源：**%s**（%s）。登记后自动编号，并与诉求 %s 关联。\n\n%s", itemSourceEnterprise, q.EnterpriseName, q.Number, full))
	f := c.Form()
	f.Field("source").Default = itemSourceEnterprise
	if desc != "" {
		f.Field("description").Default = desc
	}
	f.Field("measures").Required = false // item.new.submit accepts it empty for requests
	f.Submit.Text = "登记到台账"
	f.Submit.Params = map[string]string{"unit": u.Key, "request": strconv.FormatInt(q.ID, 10)}
	return c
}
