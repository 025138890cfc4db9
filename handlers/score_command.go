package handlers

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store"
)

// 考评 in chat, for the office only: 考评 2026-11 (or 考评 11月; the last
// finished month when none is named) ranks the units with their scores;
// 考评 2026-11 灵宝 (or a unit's button) explains one unit's score line by
// line. The rule is score.go's.

// registerScores adds the 考评 command and its actions.
func (h *handler) registerScores(rt *bot.Router) {
	rt.Command(h.scoreCommand, "考评")
	rt.Action("score.show", h.scoreShow)
	rt.Action("score.unit", h.scoreUnit)
}

const msgScore = "查看考评"

// scoreCommand answers 考评 [月份] [单位].
func (h *handler) scoreCommand(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if err := needOffice(r, msgScore); err != nil {
		return nil, err
	}
	p, rest, err := scorePeriodArg(r, strings.TrimSpace(bot.FoldWidth(r.Args)))
	if err != nil {
		return nil, err
	}
	if rest != "" {
		u, _, err := askerUnit(ctx, r, rest)
		if err != nil {
			return nil, err
		}
		return h.scoreUnitReply(ctx, r, p, u)
	}
	return h.scoreShowReply(ctx, r, p)
}

// scorePeriodArg reads the month at the start of args (period.go's rule),
// or takes the last finished one; it returns the rest of args.
func scorePeriodArg(r *bot.Request, args string) (reportPeriod, string, error) {
	day := today(r)
	st := standingOn(r.Campaign, day)
	p, rest, ok, err := parseTypedPeriod(st, day, args)
	if err != nil || ok {
		return p, rest, err
	}
	p, found := lastFinishedPeriod(st, day)
	if !found {
		return p, "", bot.Refuse("本次专项整治还没有已结束的考评月份。请写明月份，例如“考评 %s”。", periodExample(st))
	}
	return p, args, nil
}

// periodExample is a period of the campaign to show in a hint.
func periodExample(st periodStanding) string {
	if st.hasOpen {
		return st.open.period
	}
	if len(st.all) > 0 {
		return st.all[0].period
	}
	return "2026-11"
}

// paramPeriod reads a card's period parameter.
func paramPeriod(r *bot.Request) (reportPeriod, error) {
	st := standingOn(r.Campaign, today(r))
	p, ok := st.find(r.Event.Action.Params["period"])
	if !ok {
		return p, bot.Refuse("卡片参数有误，请重新发送“考评 月份”。")
	}
	return p, nil
}

// scoreShow is the ranking card's action (its refresh).
func (h *handler) scoreShow(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if err := needOffice(r, msgScore); err != nil {
		return nil, err
	}
	p, err := paramPeriod(r)
	if err != nil {
		return nil, err
	}
	return h.scoreShowReply(ctx, r, p)
}

// scoreUnit is a unit's button on the ranking card.
func (h *handler) scoreUnit(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if err := needOffice(r, msgScore); err != nil {
		return nil, err
	}
	p, err := paramPeriod(r)
	if err != nil {
		return nil, err
	}
	u, err := r.Store.UnitByKey(ctx, r.Campaign.ID, r.Event.Action.Params["unit"])
	if err != nil || u.IsOffice {
		return nil, bot.Refuse("卡片参数有误，请重新发送“考评 月份 单位”。")
	}
	return h.scoreUnitReply(ctx, r, p, u)
}

func (h *handler) scoreShowReply(ctx context.Context, r *bot.Request, p reportPeriod) (*bot.Reply, error) {
	m, err := computeScores(ctx, r.Store, r.Campaign, p, r.Now)
	if err != nil {
		return nil, err
	}
	return bot.CardReply(scoreRankCard(m)), nil
}

func (h *handler) scoreUnitReply(ctx context.Context, r *bot.Request, p reportPeriod, u *store.Unit) (*bot.Reply, error) {
	if u.IsOffice {
		return nil, bot.Refuse("市局专项整治办公室不参加考评。")
	}
	m, err := computeScores(ctx, r.Store, r.Campaign, p, r.Now)
	if err != nil {
		return nil, err
	}
	us := m.unit(u.ID)
	if us == nil {
		return nil, bot.Refuse("未找到单位“%s”的考评。", u.Name)
	}
	return bot.CardReply(scoreUnitCard(m, us)), nil
}

// scoreAsOf says whose data the scores read: 11月30日 for a finished month,
// 截至 11月26日（本月尚未结束） otherwise.
func scoreAsOf(m *monthScores) string {
	if m.finished() {
		return fmt.Sprintf("统计期 %s至%s", shortDate(m.from), shortDate(m.to))
	}
	return fmt.Sprintf("截至 %s，本月尚未结束，得分随数据变化", shortDate(m.asOf))
}

// scoreRankCard ranks the units of a month.
func scoreRankCard(m *monthScores) *cards.Card {
	c := &cards.Card{Title: "考评 · " + m.period.label(), Subtitle: scoreAsOf(m), Tone: cards.ToneInfo}
	t := &cards.Table{Columns: []string{"名次", "单位", "得分", "扣分项"}}
	var btns []cards.Button
	for _, u := range m.units {
		var why []string
		for _, l := range u.deducted() {
			why = append(why, l.brief())
		}
		if len(why) == 0 {
			why = []string{"无"}
		}
		t.Rows = append(t.Rows, []string{strconv.Itoa(u.rank), u.unit.Name, strconv.Itoa(u.score), strings.Join(why, "；")})
	}
	// The lowest scores first: the units the office will ask about.
	for i := len(m.units) - 1; i >= 0 && len(btns) < 6; i-- {
		u := m.units[i]
		btns = append(btns, cards.Button{Text: u.unit.Name, Action: "score.unit",
			Params:  map[string]string{"period": m.period.period, "unit": u.unit.Key},
			Command: "考评 " + m.period.period + " " + u.unit.Name})
	}
	c.Blocks = append(c.Blocks, cards.TableBlock(t),
		cards.MD(scoreFormula(m.weights)+"\n点击单位，或发送“考评 "+m.period.period+" 单位名称”，查看逐项扣分明细。"))
	if len(btns) > 0 {
		c.Blocks = append(c.Blocks, cards.ButtonsBlock(btns...))
	}
	return c
}

// scoreUnitCard explains one unit's score line by line.
func scoreUnitCard(m *monthScores, u *unitScore) *cards.Card {
	c := &cards.Card{Title: "考评明细 · " + u.unit.Name, Subtitle: m.period.label() + " · " + scoreAsOf(m), Tone: cards.ToneInfo}
	if u.score < m.weights.Base {
		c.Tone = cards.ToneWarning
	}
	lines := []string{fmt.Sprintf("基础分 %d", m.weights.Base)}
	for _, l := range u.lines {
		lines = append(lines, "- "+l.text())
	}
	lines = append(lines, fmt.Sprintf("**得分 %d**（第 %d 名，共 %d 个单位）", u.score, u.rank, len(m.units)))
	c.Blocks = append(c.Blocks, cards.MD(strings.Join(lines, "\n")), cards.MD(scoreFormula(m.weights)),
		cards.ButtonsBlock(cards.Button{Text: "考评 " + m.period.period, Action: "score.show", Params: map[string]string{"period": m.period.period}}))
	return c
}
