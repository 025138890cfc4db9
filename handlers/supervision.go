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

// 督办单 (supervision notices). The office issues one to a unit about an
// item, a report duty or the unit as a whole: a colour (蓝色 a deadline
// nears, 黄色 behind, 红色 overdue, defaulting from the 红黄绿灯), its text
// and a reply deadline. It goes to the unit's liaison and leader; one of
// them signs it (签收, the time recorded), then answers it (text and a
// file); the office closes it (办结). An unsigned or unanswered notice
// escalates along the reminders' ladder (supervision_plan.go). Only the
// office issues and closes; only the unit's own people sign and answer.
// Every change is audited; the notice's version guards its cards.

// registerSupervision adds the 督办单 commands and actions (issue 21).
func (h *handler) registerSupervision(rt *bot.Router) {
	rt.Command(h.superviseCommand, "督办")
	rt.Command(h.noticesCommand, "督办单")
	rt.Action("notice.form", h.noticeForm)
	rt.Action("notice.issue", h.noticeIssue)
	rt.Action("notice.show", h.noticeShow)
	rt.Action("notice.sign", h.noticeSign)
	rt.Action("notice.answer.form", h.noticeAnswerForm)
	rt.Action("notice.answer.submit", h.noticeAnswerSubmit)
	rt.Action("notice.close", h.noticeClose)
	rt.Command(h.typedNotice("签收", "notice.sign", h.noticeSign), "签收")
	rt.Command(h.typedAnswer, "答复")
	rt.Command(h.typedNotice("办结督办单", "notice.close", h.noticeClose), "办结督办单")
	rt.Command(h.typedNotice("查看督办单", "notice.show", h.noticeShow), "查看督办单")
}

// Refusals of the supervision tools.
const (
	msgOfficeOnly   = "抱歉，只有市局专项整治办公室可以%s。"
	msgNoticeNotOwn = "抱歉，该督办单发给“%s”，只有该单位的联络人或领导可以签收、答复。"
	msgNoticeGone   = "该督办单不存在。"
	msgNoticeStale  = "卡片已过期：该督办单刚被处理过，已为您刷新为最新内容。"
)

var noticeColours = []cards.Option{
	{Value: store.NoticeBlue, Label: "蓝色督办（临近期限）"},
	{Value: store.NoticeYellow, Label: "黄色督办（进度滞后）"},
	{Value: store.NoticeRed, Label: "红色督办（已经逾期）"},
}

// colourName is a colour's name on cards: 红色督办单.
func colourName(colour string) string {
	switch colour {
	case store.NoticeRed:
		return "红色"
	case store.NoticeYellow:
		return "黄色"
	}
	return "蓝色"
}

func colourTone(colour string) cards.Tone {
	switch colour {
	case store.NoticeRed:
		return cards.ToneDanger
	case store.NoticeYellow:
		return cards.ToneWarning
	}
	return cards.ToneInfo
}

// colourOfLight is the notice colour a light suggests: red for red, yellow
// for an item without progress, blue for a deadline that nears (or none).
func colourOfLight(lr LightReason) string {
	switch {
	case lr.Light == LightRed:
		return store.NoticeRed
	case lr.Light == LightYellow && strings.Contains(lr.Reason, "无进展"):
		return store.NoticeYellow
	}
	return store.NoticeBlue
}

var noticeStateNames = map[string]string{
	store.NoticeIssued: "待签收", store.NoticeSigned: "已签收，待答复", store.NoticeAnswered: "已答复，待办结", store.NoticeClosed: "已办结",
}

// noticeParams name a notice at its version.
func noticeParams(n *store.SupervisionNotice) map[string]string {
	return map[string]string{"notice": strconv.FormatInt(n.ID, 10), "v": strconv.Itoa(n.Version)}
}

// noticeSubject is the delivery subject of messages about a notice.
func noticeSubject(n *store.SupervisionNotice) string { return "notice:" + strconv.FormatInt(n.ID, 10) }

// ofUnit reports whether the asker is the unit's own liaison, leader or
// member (the office is not, unless the unit is the office).
func ofUnit(r *bot.Request, unitID int64) bool {
	return slices.Contains(r.Roles.Liaises, unitID) || slices.Contains(r.Roles.Leads, unitID) || slices.Contains(r.Roles.Member, unitID)
}

// needOffice refuses anyone but the office.
func needOffice(r *bot.Request, what string) error {
	if err := needPerson(r); err != nil {
		return err
	}
	if !r.Roles.Office {
		return bot.Refuse(msgOfficeOnly, what)
	}
	return nil
}

// noticeSubjectOf is what a notice is about, as one line.
type noticeAbout struct {
	unit   *store.Unit
	item   *store.LedgerItem // or nil
	period string            // or ""
}

func (a noticeAbout) label() string {
	switch {
	case a.item != nil:
		return a.item.Number + " " + shorten(a.item.Description, 40)
	case a.period != "":
		return periodLabel(a.period) + "月报报送"
	}
	return a.unit.Name + "专项整治工作"
}

// params are the issue form's submit params.
func (a noticeAbout) params() map[string]string {
	p := map[string]string{"unit": a.unit.Key}
	if a.item != nil {
		p["item"] = strconv.FormatInt(a.item.ID, 10)
	}
	if a.period != "" {
		p["period"] = a.period
	}
	return p
}

var periodArgRe = regexp.MustCompile(`^(\d{4})-(\d{1,2})$`)

// superviseCommand answers 督办 <问题编号 | 单位 [YYYY-MM] | 督办单编号>:
// the issue form for an item, a unit or its report of a period, or a
// notice's card. Only the office issues.
func (h *handler) superviseCommand(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if err := needOffice(r, "签发督办单"); err != nil {
		return nil, err
	}
	args := strings.Fields(r.Args)
	if len(args) == 0 {
		return nil, bot.Refuse("请发送“督办 问题编号”（如 督办 LB-2026-007）、“督办 单位名称”或“督办 单位名称 2026-11”（月报），也可在问题卡片上点击“督办”。")
	}
	if strings.HasPrefix(strings.ToUpper(args[0]), "DB-") {
		n, err := r.Store.SupervisionNoticeByNumber(ctx, r.Campaign.ID, args[0])
		if errors.Is(err, store.ErrNotFound) {
			return nil, bot.Refuse("未找到督办单 %s。", args[0])
		}
		if err != nil {
			return nil, err
		}
		c, err := h.noticeCard(ctx, r, n)
		if err != nil {
			return nil, err
		}
		return bot.CardReply(c), nil
	}
	var a noticeAbout
	if m := itemNumberRe.FindStringSubmatch(args[0]); m != nil {
		it, err := r.Store.LedgerItemByNumber(ctx, r.Campaign.ID, strings.ToUpper(m[1]))
		if errors.Is(err, store.ErrNotFound) {
			return nil, bot.Refuse("未找到问题 %s。", m[1])
		}
		if err != nil {
			return nil, err
		}
		if it.Status == store.ItemClosed {
			return nil, bot.Refuse("问题 %s 已销号，无需督办。", it.Number)
		}
		if a.unit, err = r.Store.UnitByID(ctx, it.UnitID); err != nil {
			return nil, err
		}
		a.item = it
	} else {
		u, _, err := askerUnit(ctx, r, args[0])
		if err != nil {
			return nil, err
		}
		if u.IsOffice {
			return nil, bot.Refuse("督办单发给各单位，不能发给市局专项整治办公室本身。")
		}
		a.unit = u
		if len(args) > 1 {
			m := periodArgRe.FindStringSubmatch(args[1])
			if m == nil {
				return nil, bot.Refuse("月份“%s”无效，请按 2026-11 的格式填写。", args[1])
			}
			mo, _ := strconv.Atoi(m[2])
			a.period = fmt.Sprintf("%s-%02d", m[1], mo)
			if !slices.Contains(reportPeriodsOnly(r.Campaign), a.period) {
				return nil, bot.Refuse("%s 不是本次专项整治的月报月份。", periodLabel(a.period))
			}
		}
	}
	c, err := h.noticeFormCard(ctx, r, a)
	if err != nil {
		return nil, err
	}
	return bot.CardReply(c), nil
}

// reportPeriodsOnly returns the campaign's report periods.
func reportPeriodsOnly(c *store.Campaign) []string {
	p, _ := reportPeriods(c)
	return p
}

// paramAbout reads what an issue form is about from its params.
func paramAbout(ctx context.Context, r *bot.Request) (noticeAbout, error) {
	var a noticeAbout
	if id := actionParam(r, "item"); id != "" {
		it, _, err := paramItem(ctx, r, false)
		if err != nil {
			return a, err
		}
		if it.Status == store.ItemClosed {
			return a, bot.Refuse("问题 %s 已销号，无需督办。", it.Number)
		}
		a.item = it
		if a.unit, err = r.Store.UnitByID(ctx, it.UnitID); err != nil {
			return a, err
		}
		return a, nil
	}
	u, err := paramUnit(ctx, r)
	if err != nil {
		return a, err
	}
	if u.IsOffice {
		return a, bot.Refuse("督办单发给各单位，不能发给市局专项整治办公室本身。")
	}
	a.unit = u
	if p := actionParam(r, "period"); p != "" {
		if !slices.Contains(reportPeriodsOnly(r.Campaign), p) {
			return a, bot.Refuse("卡片参数有误，请重新打开卡片。")
		}
		a.period = p
	}
	return a, nil
}

// aboutLight is the light of what a notice is about, today.
func aboutLight(ctx context.Context, r *bot.Request, a noticeAbout) (LightReason, error) {
	lr, day, loc := lightRuleOf(r.Campaign), today(r), r.Campaign.Location()
	if a.item != nil {
		return lr.item(a.item, day, loc), nil
	}
	reported, err := r.Store.ReportedPeriods(ctx, a.unit.ID, reportPeriodsOnly(r.Campaign))
	if err != nil {
		return LightReason{}, err
	}
	rs := reportStateOf(r.Campaign, reported, day)
	if a.period != "" {
		switch {
		case reported[a.period]:
			return LightReason{Light: LightGreen, Reason: periodLabel(a.period) + "月报已报送"}, nil
		case slices.Contains(rs.owed, a.period):
			return LightReason{Light: LightRed, Reason: periodLabel(a.period) + "月报未报送"}, nil
		}
		return LightReason{Light: LightYellow, Reason: periodLabel(a.period) + "月报待报送"}, nil
	}
	items, err := r.Store.OpenItemsOfUnit(ctx, a.unit.ID)
	if err != nil {
		return LightReason{}, err
	}
	return lr.unit(items, rs, day, loc), nil
}

// noticeFormCard asks the office for a notice's colour, text and reply
// deadline, prefilled from the light.
func (h *handler) noticeFormCard(ctx context.Context, r *bot.Request, a noticeAbout) (*cards.Card, error) {
	light, err := aboutLight(ctx, r, a)
	if err != nil {
		return nil, err
	}
	return noticeFormCardFrom(a, light, today(r), calendarOf(r.Campaign)), nil
}

// noticeFormCardFrom is the issue form of what a is about, with its light.
func noticeFormCardFrom(a noticeAbout, light LightReason, day time.Time, cal *calendar) *cards.Card {
	colour := colourOfLight(light)
	days := 5
	if colour == store.NoticeRed {
		days = 3
	}
	text := fmt.Sprintf("请于答复期限前报告%s的整改情况。", a.label())
	if light.Light != LightGreen {
		text = fmt.Sprintf("%s：%s。请于答复期限前报告整改情况及下一步措施。", a.label(), light.Reason)
	}
	return &cards.Card{Title: "签发督办单 · " + a.unit.Name, Tone: light.Light.Tone(), Blocks: []cards.Block{
		cards.MD(fmt.Sprintf("**督办事项**：%s\n**红黄绿灯**：%s", a.label(), light.Label())),
		cards.FormBlock(&cards.Form{Name: "notice_issue", Fields: []cards.FormField{
			{Name: "colour", Label: "督办类别", Kind: cards.KindSelect, Required: true, Options: noticeColours, Default: colour},
			{Name: "text", Label: "督办要求", Kind: cards.KindLongText, Required: true, MaxLen: 1000, Default: text},
			{Name: "due", Label: "答复期限", Kind: cards.KindDate, Required: true, Default: cal.addWorkdays(day, days).Format(cards.DateLayout)},
		}, Submit: cards.Button{Text: "签发", Action: "notice.issue", Style: cards.StylePrimary, Params: a.params(),
			Confirm: "确认签发督办单？签发后将发送给该单位联络人和领导。"}}),
	}}
}

// noticeForm answers notice.form {item | unit[, period]}.
func (h *handler) noticeForm(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if err := needOffice(r, "签发督办单"); err != nil {
		return nil, err
	}
	a, err := paramAbout(ctx, r)
	if err != nil {
		return nil, err
	}
	c, err := h.noticeFormCard(ctx, r, a)
	if err != nil {
		return nil, err
	}
	return bot.CardReply(c), nil
}

// noticeIssue answers notice.issue {item | unit[, period]}: the notice is
// numbered, recorded, audited and sent to the unit's liaison and leader.
func (h *handler) noticeIssue(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if err := needOffice(r, "签发督办单"); err != nil {
		return nil, err
	}
	a, err := paramAbout(ctx, r)
	if err != nil {
		return nil, err
	}
	form, err := h.noticeFormCard(ctx, r, a)
	if err != nil {
		return nil, err
	}
	v, err := formCheck(r, form.Form())
	if err != nil {
		return nil, err
	}
	due, _ := cards.ParseDate(v.Get("due"))
	if due.Before(today(r)) {
		return nil, bot.Refuse("填写有误，未作修改：答复期限不能早于今天。")
	}
	n := &store.SupervisionNotice{CampaignID: r.Campaign.ID, UnitID: a.unit.ID, Period: a.period, Colour: v.Get("colour"),
		Text: v.Get("text"), ReplyDue: due, IssuedBy: &r.Person.ID, IssuedAt: r.Now}
	if a.item != nil {
		n.ItemID = &a.item.ID
	}
	if err := r.Store.CreateSupervisionNotice(ctx, n, r.Now.In(r.Campaign.Location()).Year()); err != nil {
		return nil, err
	}
	if err := auditNotice(ctx, r, "issue", nil, n); err != nil {
		return nil, err
	}
	c, err := h.noticeCardFor(ctx, r, n, false)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, id := range unitRecipients(a.unit) {
		ok, err := r.SendToPerson(ctx, id, bot.Message{Card: c}, fmt.Sprintf("notice:%d:issue:p:%d", n.ID, id), noticeSubject(n))
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
	oc, err := h.noticeCardFor(ctx, r, n, true)
	if err != nil {
		return nil, err
	}
	sent := "已发送给 " + strings.Join(names, "、")
	if len(names) == 0 {
		sent = "该单位联络人和领导暂无可达账号，请电话通知"
	}
	return &bot.Reply{Card: oc, Toast: fmt.Sprintf("督办单 %s 已签发，%s", n.Number, sent), ToastKind: "success"}, nil
}

// unitRecipients are who receives a unit's notices: its liaison and leader.
func unitRecipients(u *store.Unit) []int64 {
	var ids []int64
	for _, id := range []*int64{u.LiaisonID, u.LeaderID} {
		if id != nil && !slices.Contains(ids, *id) {
			ids = append(ids, *id)
		}
	}
	return ids
}

// auditNotice appends the audit row of a notice change.
func auditNotice(ctx context.Context, r *bot.Request, action string, old, cur *store.SupervisionNotice) error {
	p := store.AuditParams{Actor: r.Actor(), Entity: "supervision_notice", EntityID: strconv.FormatInt(cur.ID, 10), Action: action, New: cur}
	if old != nil {
		p.Old = old
	}
	return r.Store.AppendAudit(ctx, p)
}

// noticeCard renders a notice for the asker: the office sees 办结, the
// unit 签收 and 答复.
func (h *handler) noticeCard(ctx context.Context, r *bot.Request, n *store.SupervisionNotice) (*cards.Card, error) {
	return h.noticeCardFor(ctx, r, n, r.Roles.Office && !ofUnit(r, n.UnitID))
}

func (h *handler) noticeCardFor(ctx context.Context, r *bot.Request, n *store.SupervisionNotice, office bool) (*cards.Card, error) {
	u, err := r.Store.UnitByID(ctx, n.UnitID)
	if err != nil {
		return nil, err
	}
	a := noticeAbout{unit: u, period: n.Period}
	if n.ItemID != nil {
		if a.item, err = r.Store.LedgerItemByID(ctx, *n.ItemID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	var ids []int64
	for _, id := range []*int64{n.IssuedBy, n.SignedBy, n.AnsweredBy, n.ClosedBy} {
		if id != nil {
			ids = append(ids, *id)
		}
	}
	people, err := r.Store.PeopleByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	return noticeCardFrom(n, a, people, today(r), r.Campaign.Location(), office), nil
}

// noticeCardFrom renders a notice with the buttons its state and the viewer
// allow.
func noticeCardFrom(n *store.SupervisionNotice, a noticeAbout, people map[int64]*store.Person, day time.Time, loc *time.Location, office bool) *cards.Card {
	c := &cards.Card{Title: fmt.Sprintf("督办单 %s · %s督办", n.Number, colourName(n.Colour)), Subtitle: a.unit.Name, Tone: colourTone(n.Colour)}
	c.Blocks = append(c.Blocks, cards.MD("**督办事项**："+a.label()), cards.MD("**督办要求**："+truncate(n.Text, 500)))
	due := civil(n.ReplyDue).Format(time.DateOnly)
	if n.State == store.NoticeIssued || n.State == store.NoticeSigned {
		due += "（" + countdown(n.ReplyDue, day) + "）"
	}
	fields := []cards.Field{
		{Label: "签发", Value: personName(people, n.IssuedBy) + " " + n.IssuedAt.In(loc).Format("2006-01-02 15:04"), Short: true},
		{Label: "答复期限", Value: due, Short: true},
		{Label: "状态", Value: noticeStateNames[n.State], Short: true},
	}
	if n.SignedAt != nil {
		fields = append(fields, cards.Field{Label: "签收", Value: personName(people, n.SignedBy) + " " + n.SignedAt.In(loc).Format("2006-01-02 15:04"), Short: true})
	}
	c.Blocks = append(c.Blocks, cards.FieldsBlock(fields...))
	if n.AnsweredAt != nil {
		ans := fmt.Sprintf("**答复**（%s %s）：%s", personName(people, n.AnsweredBy), n.AnsweredAt.In(loc).Format("01-02 15:04"), truncate(n.Answer, 500))
		if n.AnswerFileID != nil {
			ans += "（附件已存档）"
		}
		c.Blocks = append(c.Blocks, cards.MD(ans))
	}
	if n.ClosedAt != nil {
		note := fmt.Sprintf("%s 于 %s 办结。", personName(people, n.ClosedBy), n.ClosedAt.In(loc).Format("01-02 15:04"))
		c.Blocks = append(c.Blocks, cards.NoteBlock(note))
		c.Tone = cards.ToneSuccess
		return c
	}
	var btns []cards.Button
	switch {
	case office && n.State == store.NoticeAnswered:
		btns = append(btns, cards.Button{Text: "办结督办单", Action: "notice.close", Style: cards.StylePrimary, Params: noticeParams(n),
			Confirm: "确认该督办单已办结？", Command: "办结督办单 " + n.Number})
	case !office && n.State == store.NoticeIssued:
		btns = append(btns, cards.Button{Text: "签收", Action: "notice.sign", Style: cards.StylePrimary, Params: noticeParams(n), Command: "签收 " + n.Number})
	case !office && n.State == store.NoticeSigned:
		btns = append(btns, cards.Button{Text: "答复", Action: "notice.answer.form", Style: cards.StylePrimary, Params: noticeParams(n), Command: "答复 " + n.Number})
	}
	if a.item != nil {
		btns = append(btns, cards.Button{Text: "办理 " + a.item.Number, Action: "item.show", Params: itemRef(a.item)})
	}
	if len(btns) > 0 {
		c.Blocks = append(c.Blocks, cards.ButtonsBlock(btns...))
	}
	switch {
	case office && n.State != store.NoticeAnswered:
		c.Blocks = append(c.Blocks, cards.NoteBlock("单位答复后可办结；逾期未签收、未答复将逐级提醒单位领导和办公室负责人。"))
	case !office && n.State == store.NoticeIssued:
		c.Blocks = append(c.Blocks, cards.NoteBlock("请及时签收，并于答复期限前答复办理情况。"))
	}
	return c
}

// paramNotice loads and locks the action's notice with its unit.
func paramNotice(ctx context.Context, r *bot.Request) (*store.SupervisionNotice, *store.Unit, error) {
	if err := needPerson(r); err != nil {
		return nil, nil, err
	}
	id, err := actionID(r, "notice")
	if err != nil {
		return nil, nil, err
	}
	n, err := r.Store.LockSupervisionNotice(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && n.CampaignID != r.Campaign.ID) {
		return nil, nil, bot.Refuse(msgNoticeGone)
	}
	if err != nil {
		return nil, nil, err
	}
	u, err := r.Store.UnitByID(ctx, n.UnitID)
	if err != nil {
		return nil, nil, err
	}
	return n, u, nil
}

// unitNotice is paramNotice for the unit's own people (签收, 答复).
func unitNotice(ctx context.Context, r *bot.Request) (*store.SupervisionNotice, *store.Unit, error) {
	n, u, err := paramNotice(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	if !ofUnit(r, u.ID) {
		return nil, nil, bot.Refuse(msgNoticeNotOwn, u.Name)
	}
	return n, u, nil
}

// noticeStale answers a click on an older card of the notice, or one whose
// state no longer allows the action: the current card and a toast.
func (h *handler) noticeStale(ctx context.Context, r *bot.Request, n *store.SupervisionNotice, want string) (*bot.Reply, bool, error) {
	v, err := strconv.Atoi(actionParam(r, "v"))
	if err == nil && v == n.Version && n.State == want {
		return nil, false, nil
	}
	c, err := h.noticeCard(ctx, r, n)
	if err != nil {
		return nil, true, err
	}
	toast := msgNoticeStale
	if n.State != want {
		toast = fmt.Sprintf("督办单 %s %s，无需重复操作。", n.Number, noticeStateNames[n.State])
	}
	return &bot.Reply{Card: c, Toast: toast, ToastKind: "warning"}, true, nil
}

// noticeShow answers notice.show {notice}: the unit's people and the office.
func (h *handler) noticeShow(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	n, u, err := paramNotice(ctx, r)
	if err != nil {
		return nil, err
	}
	if !r.Roles.Office && !ofUnit(r, u.ID) {
		return nil, bot.Refuse(msgNoUnitRight, u.Name)
	}
	c, err := h.noticeCard(ctx, r, n)
	if err != nil {
		return nil, err
	}
	return bot.CardReply(c), nil
}

// noticeSign answers notice.sign {notice, v}: 签收, the time recorded; the
// office is told.
func (h *handler) noticeSign(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	n, _, err := unitNotice(ctx, r)
	if err != nil {
		return nil, err
	}
	if reply, stale, err := h.noticeStale(ctx, r, n, store.NoticeIssued); stale || err != nil {
		return reply, err
	}
	old, now := *n, r.Now
	n.State, n.SignedBy, n.SignedAt = store.NoticeSigned, &r.Person.ID, &now
	return h.noticeChange(ctx, r, n, &old, "sign", fmt.Sprintf("已签收督办单 %s，请于 %s 前答复。", n.Number, civil(n.ReplyDue).Format(time.DateOnly)))
}

// noticeAnswerFormCard asks for the answer.
func noticeAnswerFormCard(n *store.SupervisionNotice) *cards.Card {
	return &cards.Card{Title: "答复督办单 " + n.Number, Tone: colourTone(n.Colour), Blocks: []cards.Block{
		cards.MD("**督办要求**：" + truncate(n.Text, 300)),
		cards.FormBlock(&cards.Form{Name: "notice_answer", Fields: []cards.FormField{
			{Name: "text", Label: "办理情况", Kind: cards.KindLongText, Required: true, MaxLen: 2000},
		}, Submit: cards.Button{Text: "提交答复", Action: "notice.answer.submit", Style: cards.StylePrimary, Params: noticeParams(n)}}),
		cards.NoteBlock("佐证材料可随答复一并发送（附件）。"),
	}}
}

// noticeAnswerForm answers notice.answer.form {notice, v}.
func (h *handler) noticeAnswerForm(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	n, _, err := unitNotice(ctx, r)
	if err != nil {
		return nil, err
	}
	if reply, stale, err := h.noticeStale(ctx, r, n, store.NoticeSigned); stale || err != nil {
		return reply, err
	}
	return bot.CardReply(noticeAnswerFormCard(n)), nil
}

// noticeAnswerSubmit answers notice.answer.submit {notice, v}: the answer
// with the event's first attachment, sent to the office.
func (h *handler) noticeAnswerSubmit(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	n, _, err := unitNotice(ctx, r)
	if err != nil {
		return nil, err
	}
	if reply, stale, err := h.noticeStale(ctx, r, n, store.NoticeSigned); stale || err != nil {
		return reply, err
	}
	v, err := formCheck(r, noticeAnswerFormCard(n).Form())
	if err != nil {
		return nil, err
	}
	fileID, _, err := saveEvidenceFile(ctx, r)
	if err != nil {
		return nil, err
	}
	old, now := *n, r.Now
	n.State, n.Answer, n.AnswerFileID, n.AnsweredBy, n.AnsweredAt = store.NoticeAnswered, v.Get("text"), fileID, &r.Person.ID, &now
	return h.noticeChange(ctx, r, n, &old, "answer", fmt.Sprintf("督办单 %s 已答复，等待市局专项整治办公室办结。", n.Number))
}

// noticeClose answers notice.close {notice, v}: the office closes an
// answered notice; the unit is told.
func (h *handler) noticeClose(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if err := needOffice(r, "办结督办单"); err != nil {
		return nil, err
	}
	n, _, err := paramNotice(ctx, r)
	if err != nil {
		return nil, err
	}
	if reply, stale, err := h.noticeStale(ctx, r, n, store.NoticeAnswered); stale || err != nil {
		return reply, err
	}
	old, now := *n, r.Now
	n.State, n.ClosedBy, n.ClosedAt = store.NoticeClosed, &r.Person.ID, &now
	return h.noticeChange(ctx, r, n, &old, "close", fmt.Sprintf("督办单 %s 已办结。", n.Number))
}

// noticeChange writes a change, audits it, tells the other side (the
// office of a sign or an answer, the unit of a close) and answers the
// asker with the fresh card.
func (h *handler) noticeChange(ctx context.Context, r *bot.Request, n, old *store.SupervisionNotice, action, toast string) (*bot.Reply, error) {
	if err := r.Store.UpdateSupervisionNotice(ctx, n, old.Version); err != nil {
		return nil, conflictRefusal(err, "该督办单刚被处理过，请重新打开。")
	}
	if err := auditNotice(ctx, r, action, old, n); err != nil {
		return nil, err
	}
	u, err := r.Store.UnitByID(ctx, n.UnitID)
	if err != nil {
		return nil, err
	}
	toOffice := action != "close"
	other, err := h.noticeCardFor(ctx, r, n, toOffice)
	if err != nil {
		return nil, err
	}
	var to []int64
	if toOffice {
		if n.IssuedBy != nil {
			to = append(to, *n.IssuedBy)
		}
	} else {
		to = unitRecipients(u)
	}
	what := map[string]string{"sign": "已签收", "answer": "已答复", "close": "已办结"}[action]
	text := fmt.Sprintf("%s %s督办单 %s。", r.Person.Name, what, n.Number)
	if toOffice {
		text = fmt.Sprintf("%s %s %s督办单 %s。", u.Name, r.Person.Name, what, n.Number)
	}
	for _, id := range to {
		if id == r.Person.ID {
			continue
		}
		key := fmt.Sprintf("notice:%d:%s:p:%d", n.ID, action, id)
		if _, err := r.SendToPerson(ctx, id, bot.Message{Text: text, Card: other}, key, noticeSubject(n)); err != nil {
			return nil, err
		}
	}
	c, err := h.noticeCard(ctx, r, n)
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Card: c, Toast: toast, ToastKind: "success"}, nil
}

// noticesCommand answers 督办单: the open notices the asker may see (the
// office all, a unit's people their units'), newest first.
func (h *handler) noticesCommand(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if err := needPerson(r); err != nil {
		return nil, err
	}
	var unitIDs []int64
	if !r.Roles.Office {
		unitIDs = slices.Concat(r.Roles.Leads, r.Roles.Liaises, r.Roles.Member)
		if len(unitIDs) == 0 {
			return nil, bot.Refuse(msgNotPerson)
		}
	}
	ns, err := r.Store.SupervisionNotices(ctx, r.Campaign.ID, unitIDs, true)
	if err != nil {
		return nil, err
	}
	units, err := r.Store.Units(ctx, r.Campaign.ID)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*store.Unit{}
	for _, u := range units {
		byID[u.ID] = u
	}
	return bot.CardReply(noticeListCard(ns, byID, today(r))), nil
}

// noticeListCard lists open notices with a button to each of the first six.
func noticeListCard(ns []*store.SupervisionNotice, units map[int64]*store.Unit, day time.Time) *cards.Card {
	c := &cards.Card{Title: "督办单", Subtitle: fmt.Sprintf("未办结 %d 件", len(ns)), Tone: cards.ToneInfo}
	if len(ns) == 0 {
		c.Tone = cards.ToneSuccess
		c.Blocks = append(c.Blocks, cards.MD("目前没有未办结的督办单。"))
		return c
	}
	var lines []string
	var btns []cards.Button
	for i, n := range ns {
		if i >= 10 {
			lines = append(lines, fmt.Sprintf("… 另有 %d 件", len(ns)-10))
			break
		}
		name := ""
		if u := units[n.UnitID]; u != nil {
			name = u.Name
		}
		lines = append(lines, fmt.Sprintf("%d. **%s** %s督办 · %s · %s · 答复期限 %s（%s）", i+1, n.Number, colourName(n.Colour), name,
			noticeStateNames[n.State], civil(n.ReplyDue).Format(time.DateOnly), countdown(n.ReplyDue, day)))
		if i < 6 {
			btns = append(btns, cards.Button{Text: n.Number, Action: "notice.show", Params: noticeParams(n), Command: "查看督办单 " + n.Number})
		}
	}
	c.Blocks = append(c.Blocks, cards.MD(strings.Join(lines, "\n")), cards.ButtonsBlock(btns...))
	return c
}

// officeItemCard is an item's card for its asker: with, for the office,
// the 督办 and 挂牌督办 buttons (only on cards the office itself is shown,
// never on one sent to a unit).
func officeItemCard(ctx context.Context, r *bot.Request, it *store.LedgerItem, u *store.Unit) (*cards.Card, error) {
	c, err := itemCard(ctx, r, it, u)
	if err != nil || !r.Roles.Office || it.Status == store.ItemClosed || len(c.Blocks) == 0 {
		return c, err
	}
	f, err := r.Store.FlagOf(ctx, it.ID, false)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	last := &c.Blocks[len(c.Blocks)-1]
	if len(last.Buttons) == 0 || len(last.Buttons) > 4 {
		return c, nil
	}
	add := []cards.Button{{Text: "督办", Action: "notice.form", Params: map[string]string{"item": strconv.FormatInt(it.ID, 10), "v": strconv.Itoa(it.Version)},
		Command: "督办 " + it.Number}, flagButton(it, f)}
	if !makeRoomForButtons(c, len(add)) {
		return c, nil
	}
	last = &c.Blocks[len(c.Blocks)-1]
	back := last.Buttons[len(last.Buttons)-1]
	last.Buttons = append(append(last.Buttons[:len(last.Buttons)-1], add...), back)
	return c, nil
}
