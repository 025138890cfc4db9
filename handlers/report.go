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

// Monthly reports (月报, 阶段性工作进展情况). A card action carries its
// period; a typed 月报 means the open period, with the owed ones offered
// beside it (period.go). A
// report is on time when submitted on or before the period's due day in
// the campaign's time zone. The form lists the unit's open items with no
// progress update since the period's first day and asks to confirm them.

// registerReports adds 月报 (补报), 报送情况, 导出月报 and the report form.
func (h *handler) registerReports(rt *bot.Router) {
	rt.Command(h.reportCommand, "月报", "补报")
	rt.Command(h.reportStatusCommand, "报送情况")
	rt.Command(h.exportMonthlyCommand, "导出月报")
	rt.Action("report.form", h.reportForm)
	rt.Action("report.submit", h.reportSubmit)
}

// reportDue returns the due day of a period of the campaign's calendar,
// on a workday (period.go).
func reportDue(c *store.Campaign, period string) (time.Time, bool) {
	p, ok := standingOn(c, time.Time{}).find(period)
	return p.due, ok
}

// reportSubject is the delivery subject of messages about a report.
func reportSubject(u *store.Unit, period string) string { return "report:" + u.Key + ":" + period }

// reportCommand answers 月报 [期] [单位] and 补报 [期] [单位]. Without a
// period it opens the open period (period.go) and offers each owed one as
// a 补报 button; after the window closes it offers the owed ones only. With
// a period (月报 11月, 月报 2026-11, what a reminder's 填报月报 button
// types) it does what the button does.
func (h *handler) reportCommand(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	day := today(r)
	st := standingOn(r.Campaign, day)
	if len(st.all) == 0 {
		return nil, bot.Refuse("本次专项整治没有配置月报。")
	}
	p, rest, hasPeriod, err := parseTypedPeriod(st, day, r.Args)
	if err != nil {
		return nil, err
	}
	if !hasPeriod && rest != "" && strings.ContainsAny(rest, "0123456789月") {
		return nil, bot.Refuse("没有理解“%s”。请发送“月报”，或写明报送期，例如“月报 11月”“月报 2026-11”。", rest)
	}
	u, choose, err := askerUnit(ctx, r, rest)
	if err != nil {
		return nil, err
	}
	if u == nil {
		var btnUnits []*store.Unit
		for _, x := range choose {
			if !x.IsOffice {
				btnUnits = append(btnUnits, x)
			}
		}
		word := "月报"
		if hasPeriod {
			word = "月报 " + p.period
		}
		return bot.CardReply(unitPickerCard("月报", word, btnUnits, "")), nil
	}
	if u.IsOffice {
		return nil, bot.Refuse("市局专项整治办公室无需报送月报。查看各单位报送情况请发送“报送情况”。")
	}
	if hasPeriod {
		return asAction(ctx, r, "report.form", map[string]string{"unit": u.Key, "period": p.period}, h.reportForm)
	}
	done, err := r.Store.ReportedPeriods(ctx, u.ID, reportPeriodsOnly(r.Campaign))
	if err != nil {
		return nil, err
	}
	st = unitStandingOn(r.Campaign, day, done)
	if st.hasOpen && !st.openDone {
		c, err := reportFormCard(ctx, r, u, st.open.period, st.open.due)
		if err != nil {
			return nil, err
		}
		c.Blocks = append(c.Blocks, owedBlocks(u, st.owed, day)...)
		return bot.CardReply(c), nil
	}
	if len(st.owed) > 0 {
		head := fmt.Sprintf("本期（%s）月报已报送。", st.open.label())
		if !st.hasOpen {
			head = "本次专项整治的报送期已结束。"
		}
		c := &cards.Card{Title: "月报 · 补报", Subtitle: u.Name, Tone: cards.ToneDanger, Blocks: append(
			[]cards.Block{cards.MD(head)}, owedBlocks(u, st.owed, day)...)}
		return bot.CardReply(c), nil
	}
	if !st.hasOpen {
		return bot.TextReply("%s的月报已全部报送，本次专项整治的报送期已结束。", u.Name), nil
	}
	if i := slices.IndexFunc(st.all, func(x reportPeriod) bool { return x.period == st.open.period }); i+1 < len(st.all) {
		next := st.all[i+1]
		return bot.TextReply("%s的 %s 月报已报送，目前没有需要报送的月报。下一期：%s，%s 前报送。", u.Name, st.open.label(), next.label(), dateLabel(next.due)), nil
	}
	return bot.TextReply("%s的 %s 月报已报送，这是本次专项整治的最后一期。", u.Name, st.open.label()), nil
}

// owedBlocks says which periods the unit owes and offers each as a 补报
// button; nothing when it owes none.
func owedBlocks(u *store.Unit, owed []reportPeriod, day time.Time) []cards.Block {
	if len(owed) == 0 {
		return nil
	}
	var btns []cards.Button
	for i, p := range owed {
		if i == owedButtons {
			break
		}
		btns = append(btns, cards.Button{Text: owedLabel(p, day), Action: "report.form",
			Params: map[string]string{"unit": u.Key, "period": p.period}})
	}
	text := fmt.Sprintf("另有 **%d** 期月报尚未报送（%s），请补报：", len(owed), monthsLabel(owed))
	if len(owed) > owedButtons {
		text += fmt.Sprintf("\n其余请发送“补报 %s”这样的月份。", owed[owedButtons].label())
	}
	return []cards.Block{cards.MD(text), cards.ButtonsBlock(btns...)}
}

// owedButtons is how many 补报 buttons a card carries at most, leaving room
// for its own on platforms that allow six.
const owedButtons = 5

// reportParams loads the action's unit and period.
func reportParams(ctx context.Context, r *bot.Request) (*store.Unit, string, time.Time, error) {
	u, err := paramUnit(ctx, r)
	if err != nil {
		return nil, "", time.Time{}, err
	}
	if u.IsOffice {
		return nil, "", time.Time{}, bot.Refuse("市局专项整治办公室无需报送月报。")
	}
	period := actionParam(r, "period")
	due, ok := reportDue(r.Campaign, period)
	if !ok {
		return nil, "", time.Time{}, bot.Refuse("“%s”不是本次专项整治的报送期。", period)
	}
	return u, period, due, nil
}

// reportForm answers report.form {unit, period}.
func (h *handler) reportForm(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	u, period, due, err := reportParams(ctx, r)
	if err != nil {
		return nil, err
	}
	m, err := r.Store.MonthlyReportOf(ctx, u.ID, period)
	if err == nil {
		return &bot.Reply{Card: reportDoneCard(u, m, due, r.Campaign.Location()), Toast: "本期月报已报送", ToastKind: "info"}, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	c, err := reportFormCard(ctx, r, u, period, due)
	if err != nil {
		return nil, err
	}
	return bot.CardReply(c), nil
}

// periodStart is the first instant of a period's month in loc.
func periodStart(period string, loc *time.Location) time.Time {
	t, _ := time.Parse("2006-01", period)
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
}

func reportFormCard(ctx context.Context, r *bot.Request, u *store.Unit, period string, due time.Time) (*cards.Card, error) {
	stale, err := r.Store.ItemsNotUpdatedSince(ctx, u.ID, periodStart(period, r.Campaign.Location()))
	if err != nil {
		return nil, err
	}
	return reportFormCardFrom(u, period, due, today(r), stale), nil
}

func reportFormCardFrom(u *store.Unit, period string, due, day time.Time, stale []*store.LedgerItem) *cards.Card {
	tone := cards.ToneInfo
	if due.Before(day) {
		tone = cards.ToneDanger
	}
	c := &cards.Card{Title: "月报 · " + periodLabel(period), Subtitle: u.Name, Tone: tone, Blocks: []cards.Block{
		cards.MD(fmt.Sprintf("报送 %s 阶段性工作进展情况。截止：**%s**（%s）。", periodLabel(period), dateLabel(due), countdown(due, day))),
	}}
	fields := []cards.FormField{
		{Name: "summary", Label: "阶段性工作进展情况", Kind: cards.KindLongText, Required: true, MaxLen: 2000,
			Placeholder: "本月开展的工作、发现和整改的问题、下一步打算"},
	}
	if len(stale) > 0 {
		var lines []string
		for i, it := range stale {
			if i == 8 {
				lines = append(lines, fmt.Sprintf("…等共 %d 项", len(stale)))
				break
			}
			lines = append(lines, fmt.Sprintf("· %s %s", it.Number, shorten(it.Description, 30)))
		}
		c.Blocks = append(c.Blocks, cards.MD(fmt.Sprintf("以下 **%d** 个问题本期尚未更新进展，请确认：\n%s", len(stale), strings.Join(lines, "\n"))))
		fields = append(fields, cards.FormField{Name: "confirm", Label: "确认", Kind: cards.KindSelect, Required: true,
			Options: []cards.Option{{Value: "confirmed", Label: "已核对，上述问题本期无新进展"}}})
	}
	c.Blocks = append(c.Blocks, cards.FormBlock(&cards.Form{Name: "monthly_report", Fields: fields,
		Submit: cards.Button{Text: "提交月报", Action: "report.submit", Style: cards.StylePrimary,
			Params: map[string]string{"unit": u.Key, "period": period}}}))
	return c
}

// reportDoneCard shows a submitted report.
func reportDoneCard(u *store.Unit, m *store.MonthlyReport, due time.Time, loc *time.Location) *cards.Card {
	when := "按时报送"
	tone := cards.ToneSuccess
	if !m.OnTime {
		when, tone = "逾期报送", cards.ToneWarning
	}
	return &cards.Card{Title: "月报已报送 · " + periodLabel(m.Period), Subtitle: u.Name, Tone: tone, Blocks: []cards.Block{
		cards.FieldsBlock(
			cards.Field{Label: "报送时间", Value: m.SubmittedAt.In(loc).Format("2006-01-02 15:04"), Short: true},
			cards.Field{Label: "报送情况", Value: fmt.Sprintf("%s（截止 %s）", when, dateLabel(due)), Short: true},
		),
		cards.MD(truncate(m.Summary, 300)),
	}}
}

// reportSubmit answers report.submit {unit, period}.
func (h *handler) reportSubmit(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	u, period, due, err := reportParams(ctx, r)
	if err != nil {
		return nil, err
	}
	if m, err := r.Store.MonthlyReportOf(ctx, u.ID, period); err == nil {
		return &bot.Reply{Card: reportDoneCard(u, m, due, r.Campaign.Location()), Toast: "本期月报已报送，无需重复报送", ToastKind: "warning"}, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	form, err := reportFormCard(ctx, r, u, period, due)
	if err != nil {
		return nil, err
	}
	v, err := formCheck(r, form.Form())
	if err != nil {
		return nil, err
	}
	m := &store.MonthlyReport{CampaignID: r.Campaign.ID, UnitID: u.ID, Period: period, Summary: v.Get("summary"),
		OnTime: !today(r).After(due), PersonID: &r.Person.ID, SubmittedAt: r.Now}
	if err := r.Store.CreateMonthlyReport(ctx, m); err != nil {
		return nil, conflictRefusal(err, "%s 的 %s 月报已报送。", u.Name, periodLabel(period))
	}
	if err := ReportRemindersDone(ctx, r, u, period); err != nil {
		return nil, err
	}
	if err := r.Store.AppendAudit(ctx, store.AuditParams{Actor: r.Actor(), Entity: "monthly_report", EntityID: strconv.FormatInt(m.ID, 10),
		Action: "submit", New: m}); err != nil {
		return nil, err
	}
	toast := "月报已按时报送"
	if !m.OnTime {
		toast = "月报已报送（逾期）"
	}
	return &bot.Reply{Card: reportDoneCard(u, m, due, r.Campaign.Location()), Toast: toast, ToastKind: "success"}, nil
}

// defaultPeriod is the period 报送情况 and 导出月报 show by default: the
// open period, or the last one once the window has closed.
func defaultPeriod(st periodStanding) reportPeriod {
	if st.hasOpen || len(st.all) == 0 {
		return st.open
	}
	return st.all[len(st.all)-1]
}

// periodArg reads a period (2026-11, 2026年11月, 11月) from args, or the
// default.
func periodArg(r *bot.Request, args string) (string, error) {
	day := today(r)
	st := standingOn(r.Campaign, day)
	if len(st.all) == 0 {
		return "", bot.Refuse("本次专项整治没有配置月报。")
	}
	args = strings.TrimSpace(args)
	if args == "" {
		return defaultPeriod(st).period, nil
	}
	p, rest, ok, err := parseTypedPeriod(st, day, args)
	if err != nil {
		return "", err
	}
	if !ok || rest != "" {
		return "", bot.Refuse("请按“2026-11”或“11月”的格式写明月份。")
	}
	return p.period, nil
}

// owedByUnit returns, for each unit, the periods before shown whose due
// day has passed and that it has not reported, oldest first: what it owes
// besides the period shown.
func owedByUnit(ctx context.Context, st *store.Store, c *store.Campaign, shown string, day time.Time) (map[int64][]reportPeriod, error) {
	var before []string
	due := map[string]reportPeriod{}
	for _, p := range standingOn(c, day).all {
		if p.period >= shown || !p.due.Before(day) {
			break
		}
		before = append(before, p.period)
		due[p.period] = p
	}
	out := map[int64][]reportPeriod{}
	if len(before) == 0 {
		return out, nil
	}
	missing, err := st.MissingReports(ctx, c.ID, before)
	if err != nil {
		return nil, err
	}
	for _, m := range missing {
		out[m.UnitID] = append(out[m.UnitID], due[m.Period])
	}
	return out, nil
}

// monthsLabel renders periods as 8月、9月 (with the year when they span
// more than one: 2026年12月、2027年1月).
func monthsLabel(ps []reportPeriod) string {
	oneYear := len(ps) > 0 && ps[0].period[:4] == ps[len(ps)-1].period[:4]
	var out []string
	for _, p := range ps {
		if t, err := time.Parse("2006-01", p.period); err == nil && oneYear {
			out = append(out, fmt.Sprintf("%d月", t.Month()))
		} else {
			out = append(out, p.label())
		}
	}
	return strings.Join(out, "、")
}

// reportStatusCommand answers 报送情况 [YYYY-MM] for the office: who has and
// has not submitted.
func (h *handler) reportStatusCommand(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if err := needPerson(r); err != nil {
		return nil, err
	}
	if !r.Roles.Office && !r.Roles.IsLeader() {
		return nil, bot.Refuse("抱歉，报送情况仅供市局专项整治办公室和单位领导查看。")
	}
	period, err := periodArg(r, r.Args)
	if err != nil {
		return nil, err
	}
	due, _ := reportDue(r.Campaign, period)
	units, err := r.Store.Units(ctx, r.Campaign.ID)
	if err != nil {
		return nil, err
	}
	reports, err := r.Store.MonthlyReportsOfPeriod(ctx, r.Campaign.ID, period)
	if err != nil {
		return nil, err
	}
	var shown []*store.Unit
	for _, u := range units {
		if !u.IsOffice && (r.Roles.Office || slices.Contains(r.Roles.Leads, u.ID)) {
			shown = append(shown, u)
		}
	}
	owed, err := owedByUnit(ctx, r.Store, r.Campaign, period, today(r))
	if err != nil {
		return nil, err
	}
	return bot.CardReply(reportStatusCard(period, due, today(r), shown, reports, owed, r.Campaign.Location())), nil
}

// reportStatusCard shows one period's reports and, beside it, what each
// unit still owes of the earlier ones (补报).
func reportStatusCard(period string, due, day time.Time, units []*store.Unit, reports map[int64]*store.MonthlyReport, owed map[int64][]reportPeriod, loc *time.Location) *cards.Card {
	t := &cards.Table{Columns: []string{"单位", "报送情况", "报送时间", "待补报"}}
	var onTime, late, missing int
	var missingNames, owedNames []string
	for _, u := range units {
		m := reports[u.ID]
		back := "—"
		if ps := owed[u.ID]; len(ps) > 0 {
			back = monthsLabel(ps)
			owedNames = append(owedNames, fmt.Sprintf("%s（%s）", u.Name, back))
		}
		switch {
		case m == nil:
			missing++
			missingNames = append(missingNames, u.Name)
			state := "未报送"
			if due.Before(day) {
				state = "逾期未报"
			}
			t.Rows = append(t.Rows, []string{u.Name, state, "—", back})
		case m.OnTime:
			onTime++
			t.Rows = append(t.Rows, []string{u.Name, "按时报送", m.SubmittedAt.In(loc).Format("01-02 15:04"), back})
		default:
			late++
			t.Rows = append(t.Rows, []string{u.Name, "逾期报送", m.SubmittedAt.In(loc).Format("01-02 15:04"), back})
		}
	}
	tone := cards.ToneSuccess
	if len(owedNames) > 0 {
		tone = cards.ToneWarning
	}
	if missing > 0 {
		tone = cards.ToneWarning
		if due.Before(day) {
			tone = cards.ToneDanger
		}
	}
	c := &cards.Card{Title: "月报报送情况 · " + periodLabel(period), Tone: tone,
		Subtitle: fmt.Sprintf("截止 %s（%s）", dateLabel(due), countdown(due, day)), Blocks: []cards.Block{
			cards.MD(fmt.Sprintf("应报 **%d** 个单位：按时 %d，逾期 %d，未报 %d。", len(units), onTime, late, missing)),
			cards.TableBlock(t),
		}}
	if missing > 0 {
		c.Blocks = append(c.Blocks, cards.NoteBlock("未报送："+joinNames(missingNames, 20)))
	}
	if len(owedNames) > 0 {
		c.Blocks = append(c.Blocks, cards.NoteBlock("往期待补报："+joinNames(owedNames, 20)))
	}
	return c
}
