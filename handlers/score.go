package handlers

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"zhenggai/store"
)

// 考评: a unit's monthly score, from the data. Each unit starts the month
// with campaign.supervision.score.base points and loses, for the events
// whose deadline falls in the month (as the data stand when it is asked):
//
//   - its monthly report of the period: report_late (and report_late_day
//     per day) when sent after its due day (moved to a workday), or
//     report_missing when not sent and the due day has passed;
//   - item_overdue for each item open past its deadline on some day of the
//     month (closed on or before its deadline: not overdue);
//   - notice_sign_late for each 督办单 not signed by the end of the first
//     workday after the day it was issued (the day the ladder starts);
//     notice_answer_late for each not answered (or closed) by its reply
//     deadline;
//   - request_late for each enterprise request whose first answer came
//     after the answer clock (request_answer_hours in working hours), or
//     has not come and the clock has run out; a request counts for the
//     unit its owner leads (else the unit he is the liaison or a member of).
//
// The score never falls below 0. Every deduction is a line of the unit's
// explanation (月报逾期 2 天 −5); the office's card, the detail card and
// the monthly export's 考评 sheet all read computeScores.

// defaultScore applies where the campaign file gives no weight.
var defaultScore = store.ScoreSettings{Base: 100, ReportLate: 5, ReportLateDay: 0, ReportMissing: 10,
	ItemOverdue: 2, NoticeSignLate: 2, NoticeAnswerLate: 3, RequestLate: 1}

// scoreSettingsOf returns the campaign's weights, the defaults when it has
// none.
func scoreSettingsOf(c *store.Campaign) store.ScoreSettings {
	if s := c.Settings.Supervision.Score; s != nil && s.Base > 0 {
		return *s
	}
	return defaultScore
}

// scoreFormula renders the weights as one sentence for the cards and the
// sheet.
func scoreFormula(w store.ScoreSettings) string {
	var parts []string
	add := func(points int, format string) {
		if points > 0 {
			parts = append(parts, fmt.Sprintf(format, points))
		}
	}
	add(w.ReportLate, "月报逾期每期 −%d")
	add(w.ReportLateDay, "逾期每天再 −%d")
	add(w.ReportMissing, "月报未报送 −%d")
	add(w.ItemOverdue, "逾期问题每条 −%d")
	add(w.NoticeSignLate, "督办单未按时签收每份 −%d")
	add(w.NoticeAnswerLate, "督办单未按期答复每份 −%d")
	add(w.RequestLate, "企业诉求超时答复每件 −%d")
	return fmt.Sprintf("计分办法：基础分 %d；%s；最低 0 分。", w.Base, strings.Join(parts, "，"))
}

// scoreLine is one line of a unit's explanation.
type scoreLine struct {
	label  string   // 月报逾期 2 天（11月25日报送）
	short  string   // on the ranking, when shorter than label: 月报逾期 2 天
	refs   []string // the items, notices, requests it counts
	points int      // 0 or less
}

// text renders the line: 逾期问题 3 条 −6（LB-2026-001、LB-2026-004、…）.
func (l scoreLine) text() string {
	s := l.label + " " + pointsLabel(l.points)
	if len(l.refs) > 0 {
		refs := l.refs
		if len(refs) > 8 {
			refs = append(refs[:8:8], fmt.Sprintf("等 %d 个", len(l.refs)))
		}
		s += "（" + strings.Join(refs, "、") + "）"
	}
	return s
}

// pointsLabel renders a deduction as −5, none as 不扣分.
func pointsLabel(p int) string {
	if p == 0 {
		return "不扣分"
	}
	return fmt.Sprintf("−%d", -p)
}

// unitScore is one unit's score of a month.
type unitScore struct {
	unit  *store.Unit
	score int
	rank  int
	lines []scoreLine
}

// brief is the line as the ranking shows it: 月报逾期 2 天 −5.
func (l scoreLine) brief() string {
	if l.short != "" {
		return l.short + " " + pointsLabel(l.points)
	}
	return l.label + " " + pointsLabel(l.points)
}

// deducted returns the lines that cost points.
func (u *unitScore) deducted() []scoreLine {
	var out []scoreLine
	for _, l := range u.lines {
		if l.points < 0 {
			out = append(out, l)
		}
	}
	return out
}

// monthScores are the units' scores of a period's month, best first.
type monthScores struct {
	period   reportPeriod
	from, to time.Time // the month's first and last day (civil)
	asOf     time.Time // the day the data were read (civil)
	weights  store.ScoreSettings
	units    []*unitScore
}

// finished reports whether the month was over when the data were read.
func (m *monthScores) finished() bool { return m.asOf.After(m.to) }

// unit returns the score of the unit with id, or nil.
func (m *monthScores) unit(id int64) *unitScore {
	for _, u := range m.units {
		if u.unit.ID == id {
			return u
		}
	}
	return nil
}

// computeScores scores every unit but the office for period p's month as
// the data stand at now.
func computeScores(ctx context.Context, st *store.Store, c *store.Campaign, p reportPeriod, now time.Time) (*monthScores, error) {
	loc, cal := c.Location(), calendarOf(c)
	first, err := time.Parse("2006-01", p.period)
	if err != nil {
		return nil, fmt.Errorf("handlers: score: period %q: %w", p.period, err)
	}
	m := &monthScores{period: p, from: first, to: first.AddDate(0, 1, -1), asOf: dayOf(now, loc), weights: scoreSettingsOf(c)}
	w := m.weights
	units, err := st.Units(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	reports, err := st.MonthlyReportsOfPeriod(ctx, c.ID, p.period)
	if err != nil {
		return nil, err
	}
	// The last day an item can have been overdue on: the month's last, or
	// today while the month runs.
	last := m.to
	if m.asOf.Before(last) {
		last = m.asOf
	}
	items, err := st.ItemsOverdueWithin(ctx, c.ID, m.from, last)
	if err != nil {
		return nil, err
	}
	notices, err := st.SupervisionNotices(ctx, c.ID, nil, false)
	if err != nil {
		return nil, err
	}
	// A request's clock runs a few working days at most: those opened from
	// a month before the month can run out within it.
	reqs, err := st.RequestsOpenedWithin(ctx, c.ID, time.Date(first.Year(), first.Month()-1, 1, 0, 0, 0, 0, loc),
		time.Date(first.Year(), first.Month()+1, 1, 0, 0, 0, 0, loc))
	if err != nil {
		return nil, err
	}
	ownerUnit := requestOwnerUnits(units)
	inMonth := func(d time.Time) bool { return !d.Before(m.from) && !d.After(m.to) }
	for _, u := range units {
		if u.IsOffice {
			continue
		}
		us := &unitScore{unit: u}
		// The report.
		switch r := reports[u.ID]; {
		case r != nil && r.OnTime:
			us.lines = append(us.lines, scoreLine{label: fmt.Sprintf("月报按时报送（%s）", shortDate(dayOf(r.SubmittedAt, loc)))})
		case r != nil:
			days := max(1, int(dayOf(r.SubmittedAt, loc).Sub(p.due).Hours()/24))
			us.lines = append(us.lines, scoreLine{label: fmt.Sprintf("月报逾期 %d 天（%s报送）", days, shortDate(dayOf(r.SubmittedAt, loc))),
				short: fmt.Sprintf("月报逾期 %d 天", days), points: -(w.ReportLate + w.ReportLateDay*days)})
		case p.due.Before(m.asOf):
			us.lines = append(us.lines, scoreLine{label: "月报未报送", points: -w.ReportMissing})
		default:
			us.lines = append(us.lines, scoreLine{label: fmt.Sprintf("月报未到截止日（%s）", shortDate(p.due))})
		}
		// Items open past their deadline on a day of the month.
		var overdue []string
		for _, it := range items {
			if it.UnitID != u.ID {
				continue
			}
			day := civil(it.DueOn).AddDate(0, 0, 1) // the first day it can be overdue
			if day.Before(m.from) {
				day = m.from
			}
			if day.After(last) {
				continue
			}
			if it.ClosedAt != nil && !dayOf(*it.ClosedAt, loc).After(civil(it.DueOn)) {
				continue // closed on time
			}
			if it.ClosedAt != nil && dayOf(*it.ClosedAt, loc).Before(day) {
				continue // closed late, but before this month
			}
			overdue = append(overdue, it.Number)
		}
		if len(overdue) > 0 && w.ItemOverdue > 0 {
			us.lines = append(us.lines, scoreLine{label: fmt.Sprintf("逾期问题 %d 条", len(overdue)), refs: overdue, points: -w.ItemOverdue * len(overdue)})
		}
		// 督办单: signed and answered on time.
		var signLate, answerLate []string
		for i := len(notices) - 1; i >= 0; i-- { // oldest first
			n := notices[i]
			if n.UnitID != u.ID {
				continue
			}
			signBy := cal.nextWorkday(dayOf(n.IssuedAt, loc))
			if inMonth(signBy) && lateBy(n.SignedAt, signBy, m.asOf, loc) {
				signLate = append(signLate, n.Number)
			}
			answered := n.AnsweredAt
			if answered == nil {
				answered = n.ClosedAt
			}
			if reply := civil(n.ReplyDue); inMonth(reply) && lateBy(answered, reply, m.asOf, loc) {
				answerLate = append(answerLate, n.Number)
			}
		}
		if len(signLate) > 0 && w.NoticeSignLate > 0 {
			us.lines = append(us.lines, scoreLine{label: fmt.Sprintf("督办单未按时签收 %d 份", len(signLate)), refs: signLate, points: -w.NoticeSignLate * len(signLate)})
		}
		if len(answerLate) > 0 && w.NoticeAnswerLate > 0 {
			us.lines = append(us.lines, scoreLine{label: fmt.Sprintf("督办单未按期答复 %d 份", len(answerLate)), refs: answerLate, points: -w.NoticeAnswerLate * len(answerLate)})
		}
		// Enterprise requests answered within the clock.
		var reqLate []string
		for _, q := range reqs {
			if ownerUnit[q.OwnerID] != u.ID {
				continue
			}
			due := addWorkingHours(cal, q.OpenedAt, answerHours(c), loc)
			if !inMonth(dayOf(due, loc)) {
				continue
			}
			if (q.FirstAnswerAt != nil && q.FirstAnswerAt.After(due)) || (q.FirstAnswerAt == nil && now.After(due)) {
				reqLate = append(reqLate, q.Number)
			}
		}
		if len(reqLate) > 0 && w.RequestLate > 0 {
			us.lines = append(us.lines, scoreLine{label: fmt.Sprintf("企业诉求超时答复 %d 件", len(reqLate)), refs: reqLate, points: -w.RequestLate * len(reqLate)})
		}
		us.score = w.Base
		for _, l := range us.lines {
			us.score += l.points
		}
		us.score = max(us.score, 0)
		m.units = append(m.units, us)
	}
	sort.SliceStable(m.units, func(i, j int) bool { return m.units[i].score > m.units[j].score })
	for i, u := range m.units {
		u.rank = i + 1
		if i > 0 && u.score == m.units[i-1].score {
			u.rank = m.units[i-1].rank
		}
	}
	return m, nil
}

// lateBy reports whether a thing due by the end of day deadline was done
// after it (done on that day or before is on time), or is not done and the
// deadline has passed on asOf.
func lateBy(done *time.Time, deadline, asOf time.Time, loc *time.Location) bool {
	if done != nil {
		return dayOf(*done, loc).After(deadline)
	}
	return asOf.After(deadline)
}

// requestOwnerUnits maps each person to the unit whose enterprise requests
// he answers for: the first unit he leads, else the first he is the
// liaison or a member of (units in their order; the office never).
func requestOwnerUnits(units []*store.Unit) map[int64]int64 {
	out := map[int64]int64{}
	for pass := range 2 {
		for _, u := range units {
			if u.IsOffice {
				continue
			}
			var ids []int64
			if pass == 0 && u.LeaderID != nil {
				ids = []int64{*u.LeaderID}
			}
			if pass == 1 {
				if u.LiaisonID != nil {
					ids = append(ids, *u.LiaisonID)
				}
				ids = append(ids, u.MemberIDs...)
			}
			for _, id := range ids {
				if _, ok := out[id]; !ok {
					out[id] = u.ID
				}
			}
		}
	}
	return out
}

// shortDate renders a civil date as 11月25日.
func shortDate(d time.Time) string { return fmt.Sprintf("%d月%d日", int(d.Month()), d.Day()) }

// lastFinishedPeriod returns the newest of the campaign's periods whose
// month has ended by day; false when none has.
func lastFinishedPeriod(st periodStanding, day time.Time) (reportPeriod, bool) {
	var out reportPeriod
	found := false
	for _, p := range st.all {
		first, err := time.Parse("2006-01", p.period)
		if err == nil && first.AddDate(0, 1, 0).After(day) {
			break
		}
		out, found = p, true
	}
	return out, found
}
