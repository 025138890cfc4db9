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

// Monthly reports (月报, 阶段性工作进展情况). A card action carries its
// period; a typed 月报 means the unit's oldest period that is due or being
// reminded (its first reminder day has come) and not yet submitted. A
// report is on time when submitted on or before the period's due day in
// the campaign's time zone. The form lists the unit's open items with no
// progress update since the period's first day and asks to confirm them.

// reportDue returns the due date of a period of the campaign's calendar.
func reportDue(c *store.Campaign, period string) (time.Time, bool) {
	periods, dues := reportPeriods(c)
	if i := slices.Index(periods, period); i >= 0 {
		return dues[i], true
	}
	return time.Time{}, false
}

// reportOpens is the first day a period is asked for: its earliest
// reminder.
func reportOpens(c *store.Campaign, due time.Time) time.Time {
	lead := 0
	for _, d := range c.Settings.MonthlyReport.RemindDaysBefore {
		lead = max(lead, d)
	}
	return due.AddDate(0, 0, -lead)
}

// reportSubject is the delivery subject of messages about a report.
func reportSubject(u *store.Unit, period string) string { return "report:" + u.Key + ":" + period }

// typedPeriodRe is a period typed after 月报, as a reminder's 填报月报
// button types it: 2026-11.
var typedPeriodRe = regexp.MustCompile(`^(\d{4}-\d{2})(?:\s+|$)`)

// reportCommand answers 月报 [单位] and 月报 <期> [单位] (月报 2026-11, what
// a reminder's 填报月报 button types): the latter does what the button does.
func (h *handler) reportCommand(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if m := typedPeriodRe.FindStringSubmatch(strings.TrimSpace(r.Args)); m != nil {
		rest := strings.TrimSpace(strings.TrimSpace(r.Args)[len(m[0]):])
		u, _, err := askerUnit(ctx, r, rest)
		if err != nil {
			return nil, err
		}
		if u == nil {
			return nil, bot.Refuse("请写明单位，例如“月报 %s 灵宝”。", m[1])
		}
		return asAction(ctx, r, "report.form", map[string]string{"unit": u.Key, "period": m[1]}, h.reportForm)
	}
	u, choose, err := askerUnit(ctx, r, r.Args)
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
		return bot.CardReply(unitPickerCard("月报", "月报", btnUnits, "")), nil
	}
	if u.IsOffice {
		return nil, bot.Refuse("市局专项整治办公室无需报送月报。查看各单位报送情况请发送“报送情况”。")
	}
	periods, dues := reportPeriods(r.Campaign)
	done, err := r.Store.ReportedPeriods(ctx, u.ID, periods)
	if err != nil {
		return nil, err
	}
	day := today(r)
	for i, p := range periods {
		if done[p] || reportOpens(r.Campaign, dues[i]).After(day) {
			continue
		}
		c, err := reportFormCard(ctx, r, u, p, dues[i])
		if err != nil {
			return nil, err
		}
		return bot.CardReply(c), nil
	}
	for i, p := range periods {
		if !done[p] && dues[i].After(day) {
			return bot.TextReply("%s目前没有需要报送的月报。下一期：%s，%s 前报送。", u.Name, periodLabel(p), dateLabel(dues[i])), nil
		}
	}
	return bot.TextReply("%s目前没有需要报送的月报。", u.Name), nil
}

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

// statusPeriod is the period 报送情况 and 导出月报 show by default: the
// latest one already asked for, else the first.
func statusPeriod(c *store.Campaign, day time.Time) string {
	periods, dues := reportPeriods(c)
	if len(periods) == 0 {
		return ""
	}
	out := periods[0]
	for i, p := range periods {
		if !reportOpens(c, dues[i]).After(day) {
			out = p
		}
	}
	return out
}

// periodArg reads a YYYY-MM (or 2026年11月) from args, or the default.
func periodArg(r *bot.Request, args string) (string, error) {
	args = strings.TrimSpace(args)
	if args == "" {
		p := statusPeriod(r.Campaign, today(r))
		if p == "" {
			return "", bot.Refuse("本次专项整治没有配置月报。")
		}
		return p, nil
	}
	s := strings.NewReplacer("年", "-", "月", "", "/", "-", ".", "-").Replace(args)
	for _, layout := range []string{"2006-01", "2006-1"} {
		if t, err := time.Parse(layout, s); err == nil {
			p := t.Format("2006-01")
			if _, ok := reportDue(r.Campaign, p); !ok {
				return "", bot.Refuse("“%s”不是本次专项整治的报送期。", args)
			}
			return p, nil
		}
	}
	return "", bot.Refuse("请按“2026-11”的格式写明月份。")
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
	return bot.CardReply(reportStatusCard(period, due, today(r), shown, reports, r.Campaign.Location())), nil
}

func reportStatusCard(period string, due, day time.Time, units []*store.Unit, reports map[int64]*store.MonthlyReport, loc *time.Location) *cards.Card {
	t := &cards.Table{Columns: []string{"单位", "报送情况", "报送时间"}}
	var onTime, late, missing int
	var missingNames []string
	for _, u := range units {
		m := reports[u.ID]
		switch {
		case m == nil:
			missing++
			missingNames = append(missingNames, u.Name)
			state := "未报送"
			if due.Before(day) {
				state = "逾期未报"
			}
			t.Rows = append(t.Rows, []string{u.Name, state, "—"})
		case m.OnTime:
			onTime++
			t.Rows = append(t.Rows, []string{u.Name, "按时报送", m.SubmittedAt.In(loc).Format("01-02 15:04")})
		default:
			late++
			t.Rows = append(t.Rows, []string{u.Name, "逾期报送", m.SubmittedAt.In(loc).Format("01-02 15:04")})
		}
	}
	tone := cards.ToneSuccess
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
	return c
}
