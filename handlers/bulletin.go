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

// 情况通报. The office types 通报 2026-11: the bot composes the period's
// bulletin from the data (who reported on time, late, not at all; overdue
// items by unit; 督办单 not answered), saves it as a draft and shows it as
// a card. The office may edit its wording, then sends it to every unit's
// group chat (a unit without one: its liaison) or to the units it picks,
// each on a confirmation. Nothing is sent before that click; every step is
// audited.

// registerBulletins adds the 通报 command and actions.
func (h *handler) registerBulletins(rt *bot.Router) {
	rt.Command(h.bulletinCommand, "通报")
	rt.Action("bulletin.edit.form", h.bulletinEditForm)
	rt.Action("bulletin.edit.submit", h.bulletinEditSubmit)
	rt.Action("bulletin.pick.form", h.bulletinPickForm)
	rt.Action("bulletin.send", h.bulletinSend)
	rt.Command(h.typedBulletin("bulletin.edit.form", h.bulletinEditForm), "编辑通报")
	rt.Command(h.typedBulletin("bulletin.send", h.bulletinSend), "发送通报")
	rt.Command(h.typedBulletin("bulletin.pick.form", h.bulletinPickForm), "选择通报单位")
}

// typedBulletin is a typed label acting on the newest draft: 编辑通报,
// 发送通报 (to every unit: typing it is the confirmation), 选择通报单位.
func (h *handler) typedBulletin(action string, run bot.Handler) bot.Handler {
	return func(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
		if err := needOffice(r, "发布情况通报"); err != nil {
			return nil, err
		}
		b, err := r.Store.LatestDraftBulletin(ctx, r.Campaign.ID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, bot.Refuse("目前没有待发送的通报草稿。请先发送“通报 2026-11”生成通报。")
		}
		if err != nil {
			return nil, err
		}
		p := bulletinParams(b)
		if action == "bulletin.send" {
			p["scope"] = "all"
		}
		return asAction(ctx, r, action, p, run)
	}
}

func bulletinParams(b *store.Bulletin) map[string]string {
	return map[string]string{"bulletin": strconv.FormatInt(b.ID, 10), "v": strconv.Itoa(b.Version)}
}

// composeBulletin writes the period's bulletin from the data on day.
func composeBulletin(ctx context.Context, r *bot.Request, period string) (string, error) {
	c := r.Campaign
	units, err := r.Store.Units(ctx, c.ID)
	if err != nil {
		return "", err
	}
	reports, err := r.Store.MonthlyReportsOfPeriod(ctx, c.ID, period)
	if err != nil {
		return "", err
	}
	day := today(r)
	counts, err := r.Store.ItemCountsByUnit(ctx, c.ID, day)
	if err != nil {
		return "", err
	}
	notices, err := r.Store.OpenSupervisionNotices(ctx, c.ID)
	if err != nil {
		return "", err
	}
	periods, dues := reportPeriods(c)
	var due time.Time
	if i := slices.Index(periods, period); i >= 0 {
		due = calendarOf(c).onOrBeforeWorkday(dues[i])
	}
	var onTime, late, missing, overdue, unanswered []string
	for _, u := range units {
		if u.IsOffice {
			continue
		}
		switch m := reports[u.ID]; {
		case m == nil:
			missing = append(missing, u.Name)
		case m.OnTime:
			onTime = append(onTime, u.Name)
		default:
			late = append(late, u.Name)
		}
		if n := counts[u.ID]; n != nil && n.Overdue > 0 {
			overdue = append(overdue, fmt.Sprintf("%s %d 项", u.Name, n.Overdue))
		}
		var open []string
		for _, n := range notices {
			if n.UnitID == u.ID && n.State != store.NoticeAnswered {
				open = append(open, n.Number)
			}
		}
		if len(open) > 0 {
			unanswered = append(unanswered, u.Name+"（"+strings.Join(open, "、")+"）")
		}
	}
	list := func(names []string) string {
		if len(names) == 0 {
			return "无"
		}
		return strings.Join(names, "、")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "关于%s专项整治工作推进情况的通报\n\n", periodLabel(period))
	if !due.IsZero() && !due.After(day) {
		fmt.Fprintf(&b, "一、月报报送情况：截止 %s，按时报送 %d 个单位；逾期报送 %d 个单位：%s；未报送 %d 个单位：%s。\n",
			dateLabel(due), len(onTime), len(late), list(late), len(missing), list(missing))
	} else {
		fmt.Fprintf(&b, "一、月报报送情况：%s截止，已报送 %d 个单位；尚未报送 %d 个单位：%s。\n", dateLabel(due), len(onTime)+len(late), len(missing), list(missing))
	}
	fmt.Fprintf(&b, "二、逾期未整改问题：截至 %s，%s。\n", dateLabel(day), list(overdue))
	fmt.Fprintf(&b, "三、督办单未答复：%s。\n", list(unanswered))
	b.WriteString("\n请相关单位高度重视，对照问题清单逐项整改，按时报送进展。\n市局专项整治办公室")
	return b.String(), nil
}

// bulletinCommand answers 通报 YYYY-MM: a new draft, previewed.
func (h *handler) bulletinCommand(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if err := needOffice(r, "发布情况通报"); err != nil {
		return nil, err
	}
	arg := strings.TrimSpace(bot.FoldWidth(r.Args))
	m := periodArgRe.FindStringSubmatch(arg)
	if m == nil {
		return nil, bot.Refuse("请写明月份，例如“通报 2026-11”。")
	}
	mo, _ := strconv.Atoi(m[2])
	period := fmt.Sprintf("%s-%02d", m[1], mo)
	if !slices.Contains(reportPeriodsOnly(r.Campaign), period) {
		return nil, bot.Refuse("%s 不是本次专项整治的月报月份。", periodLabel(period))
	}
	text, err := composeBulletin(ctx, r, period)
	if err != nil {
		return nil, err
	}
	b := &store.Bulletin{CampaignID: r.Campaign.ID, Period: period, Text: text, CreatedBy: &r.Person.ID, CreatedAt: r.Now}
	if err := r.Store.CreateBulletin(ctx, b); err != nil {
		return nil, err
	}
	if err := auditBulletin(ctx, r, "compose", nil, b); err != nil {
		return nil, err
	}
	return bot.CardReply(bulletinCard(b, r.Campaign.Location(), nil)), nil
}

func auditBulletin(ctx context.Context, r *bot.Request, action string, old, cur *store.Bulletin) error {
	p := store.AuditParams{Actor: r.Actor(), Entity: "bulletin", EntityID: strconv.FormatInt(cur.ID, 10), Action: action, New: cur}
	if old != nil {
		p.Old = old
	}
	return r.Store.AppendAudit(ctx, p)
}

// bulletinCard previews a draft with its actions, or shows a sent one.
func bulletinCard(b *store.Bulletin, loc *time.Location, sentTo []string) *cards.Card {
	c := &cards.Card{Title: "情况通报 · " + periodLabel(b.Period), Tone: cards.ToneInfo, Blocks: []cards.Block{cards.MD(truncate(b.Text, 1500))}}
	if b.State == store.BulletinSent {
		c.Tone = cards.ToneSuccess
		note := "已于 " + b.SentAt.In(loc).Format("2006-01-02 15:04") + " 发送"
		if len(sentTo) > 0 {
			note += "：" + joinNames(sentTo, 6)
		}
		c.Blocks = append(c.Blocks, cards.NoteBlock(note+"。"))
		return c
	}
	c.Subtitle = "草稿 · 尚未发送"
	c.Blocks = append(c.Blocks, cards.ButtonsBlock(
		cards.Button{Text: "编辑通报", Action: "bulletin.edit.form", Params: bulletinParams(b)},
		cards.Button{Text: "发送通报", Action: "bulletin.send", Style: cards.StylePrimary, Params: withParam(bulletinParams(b), "scope", "all"),
			Confirm: "确认将该通报发送到全部单位的工作群？"},
		cards.Button{Text: "选择通报单位", Action: "bulletin.pick.form", Params: bulletinParams(b)},
	), cards.NoteBlock("“发送通报”发送到全部单位的工作群（无工作群的单位发给联络人），“选择通报单位”只发所选单位；发送前不会通知任何单位。"))
	return c
}

func withParam(p map[string]string, k, v string) map[string]string { p[k] = v; return p }

// paramBulletin loads and locks the action's draft for the office; reply
// is set when the card is stale or the bulletin was sent.
func paramBulletin(ctx context.Context, r *bot.Request) (*store.Bulletin, *bot.Reply, error) {
	if err := needOffice(r, "发布情况通报"); err != nil {
		return nil, nil, err
	}
	id, err := actionID(r, "bulletin")
	if err != nil {
		return nil, nil, err
	}
	b, err := r.Store.LockBulletin(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && b.CampaignID != r.Campaign.ID) {
		return nil, nil, bot.Refuse("该通报不存在。")
	}
	if err != nil {
		return nil, nil, err
	}
	if v, _ := strconv.Atoi(actionParam(r, "v")); v != b.Version || b.State != store.BulletinDraft {
		toast := "卡片已过期：该通报刚被修改过，已为您刷新。"
		if b.State == store.BulletinSent {
			toast = "该通报已发送，无需重复操作。"
		}
		return nil, &bot.Reply{Card: bulletinCard(b, r.Campaign.Location(), nil), Toast: toast, ToastKind: "warning"}, nil
	}
	return b, nil, nil
}

func bulletinEditFormCard(b *store.Bulletin) *cards.Card {
	return &cards.Card{Title: "编辑通报 · " + periodLabel(b.Period), Tone: cards.ToneInfo, Blocks: []cards.Block{
		cards.FormBlock(&cards.Form{Name: "bulletin_edit", Fields: []cards.FormField{
			{Name: "text", Label: "通报内容", Kind: cards.KindLongText, Required: true, MaxLen: 1500, Default: b.Text},
		}, Submit: cards.Button{Text: "保存并预览", Action: "bulletin.edit.submit", Style: cards.StylePrimary, Params: bulletinParams(b)}}),
	}}
}

// bulletinEditForm answers bulletin.edit.form {bulletin, v}.
func (h *handler) bulletinEditForm(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	b, reply, err := paramBulletin(ctx, r)
	if reply != nil || err != nil {
		return reply, err
	}
	return bot.CardReply(bulletinEditFormCard(b)), nil
}

// bulletinEditSubmit answers bulletin.edit.submit {bulletin, v}: the new
// wording, previewed again.
func (h *handler) bulletinEditSubmit(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	b, reply, err := paramBulletin(ctx, r)
	if reply != nil || err != nil {
		return reply, err
	}
	v, err := formCheck(r, bulletinEditFormCard(b).Form())
	if err != nil {
		return nil, err
	}
	old := *b
	b.Text = v.Get("text")
	if err := r.Store.UpdateBulletin(ctx, b, old.Version); err != nil {
		return nil, conflictRefusal(err, "该通报刚被修改过，请重新打开。")
	}
	if err := auditBulletin(ctx, r, "edit", &old, b); err != nil {
		return nil, err
	}
	return &bot.Reply{Card: bulletinCard(b, r.Campaign.Location(), nil), Toast: "已保存，请预览后发送", ToastKind: "success"}, nil
}

// sendableUnits are the units a bulletin may go to: all but the office.
func sendableUnits(ctx context.Context, r *bot.Request) ([]*store.Unit, error) {
	units, err := r.Store.Units(ctx, r.Campaign.ID)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(units, func(u *store.Unit) bool { return u.IsOffice }), nil
}

func bulletinPickFormCard(b *store.Bulletin, units []*store.Unit) *cards.Card {
	var opts []cards.Option
	for _, u := range units {
		opts = append(opts, cards.Option{Value: u.Key, Label: u.Name})
	}
	return &cards.Card{Title: "选择通报单位 · " + periodLabel(b.Period), Tone: cards.ToneInfo, Blocks: []cards.Block{
		cards.FormBlock(&cards.Form{Name: "bulletin_pick", Fields: []cards.FormField{
			{Name: "units", Label: "发送到", Kind: cards.KindMultiSelect, Required: true, Options: opts},
		}, Submit: cards.Button{Text: "确认发送", Action: "bulletin.send", Style: cards.StylePrimary, Params: withParam(bulletinParams(b), "scope", "some"),
			Confirm: "确认将该通报发送到所选单位的工作群？"}}),
	}}
}

// bulletinPickForm answers bulletin.pick.form {bulletin, v}.
func (h *handler) bulletinPickForm(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	b, reply, err := paramBulletin(ctx, r)
	if reply != nil || err != nil {
		return reply, err
	}
	units, err := sendableUnits(ctx, r)
	if err != nil {
		return nil, err
	}
	return bot.CardReply(bulletinPickFormCard(b, units)), nil
}

// bulletinSend answers bulletin.send {bulletin, v, scope}: the bulletin
// goes to each chosen unit's group chats on enabled platforms (a unit
// without one: its liaison's 1:1), once.
func (h *handler) bulletinSend(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	b, reply, err := paramBulletin(ctx, r)
	if reply != nil || err != nil {
		return reply, err
	}
	units, err := sendableUnits(ctx, r)
	if err != nil {
		return nil, err
	}
	if actionParam(r, "scope") != "all" {
		v, err := formCheck(r, bulletinPickFormCard(b, units).Form())
		if err != nil {
			return nil, err
		}
		picked := v["units"]
		units = slices.DeleteFunc(units, func(u *store.Unit) bool { return !slices.Contains(picked, u.Key) })
	}
	chats, err := r.Store.CampaignUnitChats(ctx, r.Campaign.ID)
	if err != nil {
		return nil, err
	}
	card := &cards.Card{Title: "情况通报 · " + periodLabel(b.Period), Tone: cards.ToneWarning, Blocks: []cards.Block{cards.MD(b.Text)}}
	old, now := *b, r.Now
	var names []string
	for _, u := range units {
		key := fmt.Sprintf("bulletin:%d:%s", b.ID, u.Key)
		sent := false
		for _, ch := range chats[u.ID] {
			if r.Bot().Adapter(bot.Platform(ch.Platform)) == nil {
				continue
			}
			r.Send(bot.Outgoing{To: bot.Target{Platform: bot.Platform(ch.Platform), ChatID: ch.ExternalID}, Message: bot.Message{Card: card},
				Key: key + ":c:" + ch.Platform + ":" + ch.ExternalID})
			sent = true
		}
		if !sent && u.LiaisonID != nil {
			if sent, err = r.SendToPerson(ctx, *u.LiaisonID, bot.Message{Card: card}, fmt.Sprintf("%s:p:%d", key, *u.LiaisonID), ""); err != nil {
				return nil, err
			}
		}
		if sent {
			b.SentUnits = append(b.SentUnits, u.ID)
			names = append(names, u.Name)
		}
	}
	if len(names) == 0 {
		return nil, bot.Refuse("所选单位没有可送达的工作群或联络人账号，通报未发送。")
	}
	b.State, b.SentBy, b.SentAt = store.BulletinSent, &r.Person.ID, &now
	if err := r.Store.UpdateBulletin(ctx, b, old.Version); err != nil {
		return nil, conflictRefusal(err, "该通报刚被修改过，请重新打开。")
	}
	if err := auditBulletin(ctx, r, "send", &old, b); err != nil {
		return nil, err
	}
	return &bot.Reply{Card: bulletinCard(b, r.Campaign.Location(), names), Toast: fmt.Sprintf("通报已发送到 %d 个单位", len(names)), ToastKind: "success"}, nil
}
