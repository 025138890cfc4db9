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

// Files find their item. A photo or document sent with no caption by a
// liaison, a leader or the office is stored at once and kept as pending
// evidence; the bot asks which item it is evidence for (the open items the
// sender may edit, the most recently changed first, and 新增问题) and
// attaches it on the answer, as a progress entry per file with an audit
// row. Files sent one message each within pendingJoin make one set (the
// question lists them all; one answer attaches them all). (From an enterprise contact a file is part of his request:
// enterprise.go; from a stranger it is not kept: bot's stranger answer.)

// pendingChoices is how many items the question offers.
const pendingChoices = 5

// pendingJoin is how long files sent one after another without a caption
// join the same pending set (WeCom, and a phone's share sheet, send each
// picture as a message of its own): the next question lists them all, and
// one answer attaches them all.
const pendingJoin = 10 * time.Minute

// filesWithoutCaption answers a message that is only files. handled is
// false for anything else.
func (h *handler) filesWithoutCaption(ctx context.Context, r *bot.Request) (*bot.Reply, bool, error) {
	files := r.Event.Files
	if len(files) == 0 || strings.TrimSpace(r.Event.Text) != "" || r.Person == nil {
		return nil, false, nil
	}
	if reply, ok, err := h.summaryFiles(ctx, r); ok || err != nil {
		return reply, true, err
	}
	var units []int64
	if !r.Roles.Office {
		units = slices.Concat(r.Roles.Liaises, r.Roles.Leads, r.Roles.Member)
		if len(units) == 0 {
			return bot.TextReply("收到附件，但您不负责任何单位的台账，附件未保存。如需报送佐证，请联系本单位联络人。"), true, nil
		}
	}
	var ids []int64
	var names []string
	for _, f := range files {
		sf, err := saveEventFile(ctx, r, f)
		if err != nil {
			return nil, true, err
		}
		ids, names = append(ids, sf.ID), append(names, f.Name)
	}
	p, err := r.Store.LatestPendingEvidence(ctx, r.Person.ID)
	switch {
	case err == nil && p.CampaignID == r.Campaign.ID && r.Now.Sub(p.CreatedAt) < pendingJoin:
		if err := r.Store.AppendPendingEvidence(ctx, p, ids, names); err != nil {
			return nil, true, err
		}
	case err == nil || errors.Is(err, store.ErrNotFound):
		p = &store.PendingEvidence{CampaignID: r.Campaign.ID, PersonID: r.Person.ID, CreatedAt: r.Now, FileIDs: ids, Names: names}
		if err := r.Store.AddPendingEvidence(ctx, p); err != nil {
			return nil, true, err
		}
	default:
		return nil, true, err
	}
	if r.Dialog != nil {
		if reply, ok, err := h.filesIntoDialog(ctx, r, p); ok || err != nil {
			return reply, true, err
		}
	}
	items, err := r.Store.OpenItemsTouched(ctx, r.Campaign.ID, units, pendingChoices)
	if err != nil {
		return nil, true, err
	}
	newUnit := ""
	if len(units) > 0 {
		u, err := r.Store.UnitByID(ctx, units[0])
		if err != nil {
			return nil, true, err
		}
		newUnit = u.Key
	}
	return bot.CardReply(pendingEvidenceCard(p, items, newUnit)), true, nil
}

// pendingEvidenceCard asks which item files are evidence for.
func pendingEvidenceCard(p *store.PendingEvidence, items []*store.LedgerItem, newUnit string) *cards.Card {
	pid := strconv.FormatInt(p.ID, 10)
	names := "“" + strings.Join(p.Names, "”“") + "”"
	c := &cards.Card{Title: "收到附件，请选择对应的问题", Tone: cards.ToneInfo}
	msg := fmt.Sprintf("已收到 %s（共 %d 个）。请选择它们是哪个问题的整改佐证：", names, len(p.Names))
	if len(items) == 0 {
		msg = fmt.Sprintf("已收到 %s（共 %d 个）。您负责的单位目前没有在办问题；如是新发现的问题，请点“新增问题”登记，附件将作为其佐证。", names, len(p.Names))
	}
	c.Blocks = append(c.Blocks, cards.MD(msg))
	var btns []cards.Button
	for _, it := range items {
		btns = append(btns, cards.Button{Text: it.Number + " " + shorten(it.Description, 12), Action: "evidence.attach",
			Params: map[string]string{"pending": pid, "item": strconv.FormatInt(it.ID, 10)}, Command: "佐证 " + it.Number})
	}
	if newUnit != "" {
		btns = append(btns, cards.Button{Text: "新增问题", Action: "item.new.form", Params: map[string]string{"unit": newUnit, "evidence": pid}})
	}
	for len(btns) > 0 {
		n := min(len(btns), 3)
		c.Blocks = append(c.Blocks, cards.ButtonsBlock(btns[:n]...))
		btns = btns[n:]
	}
	c.Blocks = append(c.Blocks, cards.NoteBlock("附件已保存。也可以发送“进展：问题编号 说明”并附上附件，直接记入进展。"))
	return c
}

// evidenceAttach answers evidence.attach {pending, item}: the pending files
// become the item's evidence.
func (h *handler) evidenceAttach(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	it, u, err := paramItem(ctx, r, true)
	if err != nil {
		return nil, err
	}
	n, err := attachPending(ctx, r, it)
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
	return itemReply(r, &bot.Reply{Card: c, Toast: fmt.Sprintf("已将 %d 个附件记为 %s 的佐证", n, it.Number), ToastKind: "success"}, it), nil
}

// attachPending attaches the action's pending files (param "pending") to
// the locked item it: a progress entry per file, the item's 佐证 column and
// version updated, an audit row. It returns how many files it attached; 0
// without the param.
func attachPending(ctx context.Context, r *bot.Request, it *store.LedgerItem) (int, error) {
	raw := actionParam(r, "pending")
	if raw == "" {
		raw = actionParam(r, "evidence")
	}
	if raw == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return 0, bot.Refuse("该操作已失效，请重新发送附件。")
	}
	p, err := r.Store.LockPendingEvidence(ctx, id, r.Person.ID)
	if errors.Is(err, store.ErrNotFound) {
		return 0, bot.Refuse("该操作已失效，请重新发送附件。")
	}
	if err != nil {
		return 0, err
	}
	if p.UsedAt != nil {
		return 0, bot.Refuse("这些附件已记为其他问题的佐证。")
	}
	if it.Status == store.ItemClosed {
		return 0, bot.Refuse("问题 %s 已销号，不能再补充佐证。", it.Number)
	}
	old := *it
	ev := r.Event
	for i, fid := range p.FileIDs {
		fileID := fid
		pu := &store.ProgressUpdate{ItemID: it.ID, Text: "补充佐证：" + p.Names[i], Status: it.Status, Evidence: "附件：" + p.Names[i],
			FileID: &fileID, PersonID: &r.Person.ID, Platform: string(ev.Platform), Account: ev.Sender.ID, MessageID: ev.Message.MessageID,
			CreatedAt: r.Now}
		if err := r.Store.AddProgress(ctx, pu); err != nil {
			return 0, err
		}
	}
	it.Evidence = strings.TrimSpace(it.Evidence + " 附件：" + strings.Join(p.Names, "、"))
	if err := r.Store.UpdateLedgerItem(ctx, it, old.Version); err != nil {
		return 0, err
	}
	if err := r.Store.UsePendingEvidence(ctx, p.ID, it.ID, r.Now); err != nil {
		return 0, err
	}
	if err := auditItem(ctx, r, "evidence", &old, it); err != nil {
		return 0, err
	}
	return len(p.FileIDs), nil
}

// evidenceCommand answers "佐证 LB-2026-001" (the typed form of the
// question's buttons): the sender's newest unattached files become that
// item's evidence.
func (h *handler) evidenceCommand(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if err := needPerson(r); err != nil {
		return nil, err
	}
	m := itemNumberRe.FindStringSubmatch(strings.TrimSpace(r.Args))
	if m == nil {
		return nil, bot.Refuse("请在“佐证”后面写上问题编号，例如“佐证 LB-2026-001”。")
	}
	it, err := r.Store.LedgerItemByNumber(ctx, r.Campaign.ID, strings.ToUpper(m[1]))
	if errors.Is(err, store.ErrNotFound) {
		return nil, bot.Refuse("未找到问题 %s。", m[1])
	}
	if err != nil {
		return nil, err
	}
	p, err := r.Store.LatestPendingEvidence(ctx, r.Person.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, bot.Refuse("您没有待归档的附件。请先发送照片或文件，再选择对应的问题。")
	}
	if err != nil {
		return nil, err
	}
	// Run the button's action with its parameters.
	saved := r.Event
	ev := *r.Event
	ev.Action = &bot.Action{Name: "evidence.attach", Params: map[string]string{"pending": strconv.FormatInt(p.ID, 10), "item": strconv.FormatInt(it.ID, 10)}}
	r.Event = &ev
	defer func() { r.Event = saved }()
	reply, err := h.evidenceAttach(ctx, r)
	if err != nil || reply == nil {
		return reply, err
	}
	return &bot.Reply{Text: reply.Toast + "。", Card: reply.Card, Subject: reply.Subject}, nil
}

// filesIntoDialog files p, the files of a message sent while a dialog (a
// form asked field by field, on WeCom and DingTalk) is open, under what the
// dialog is about: an item's progress, 销号 or 延期 form attaches them to
// the item at once; a 新增问题 form carries them to the item it makes. The
// dialog's question is asked again. ok is false for any other dialog (the
// files are then asked about as when no dialog is open).
func (h *handler) filesIntoDialog(ctx context.Context, r *bot.Request, p *store.PendingEvidence) (*bot.Reply, bool, error) {
	od := r.Dialog
	pid := strconv.FormatInt(p.ID, 10)
	again := "\n\n" + od.Question
	switch {
	case od.Params["item"] != "":
		reply, err := asAction(ctx, r, "evidence.attach", map[string]string{"item": od.Params["item"], "pending": pid}, h.evidenceAttach)
		if err != nil || reply == nil {
			return reply, true, err
		}
		// The item's version moved: the form's submit must not read as
		// a stale card.
		if id, err := strconv.ParseInt(od.Params["item"], 10, 64); err == nil && od.Params["v"] != "" {
			it, err := r.Store.LedgerItemByID(ctx, id)
			if err != nil {
				return nil, true, err
			}
			if err := r.SetDialogParam(ctx, "v", strconv.Itoa(it.Version)); err != nil {
				return nil, true, err
			}
		}
		return &bot.Reply{Text: reply.Text + "。" + again}, true, nil
	case od.Action == "item.new.submit":
		if err := r.SetDialogParam(ctx, "evidence", pid); err != nil {
			return nil, true, err
		}
		return bot.TextReply("已收到附件：%s，将在登记新问题时一并记为佐证。%s", strings.Join(p.Names, "、"), again), true, nil
	}
	return nil, false, nil
}
