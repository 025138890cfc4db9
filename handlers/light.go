package handlers

import (
	"fmt"
	"time"

	"zhenggai/cards"
	"zhenggai/store"
)

// The 红黄绿灯 (traffic light): one rule for an item, a unit, an enterprise
// request and the campaign, shown on every ledger card, digest, export and
// the office's 报送情况.
//
//   - item: red when past its deadline; yellow when its deadline is within
//     N workdays, or when it has had no progress for M workdays; green
//     otherwise (and once 销号).
//   - unit: its worst open item; red as well when it owes a monthly report
//     (a period whose due day, moved to a workday, has passed without one),
//     yellow when the open period's report is due within N workdays.
//   - request: red past its answer clock, yellow once half the clock has
//     run, green otherwise or when nothing waits.
//   - campaign: its worst unit.
//
// N and M are the campaign file's supervision.light.soon_workdays and
// stall_workdays. Days are counted in workdays of the official calendar
// (holidays off, 调休 weekends on), so a golden week neither turns an item
// yellow for want of progress nor makes a deadline look further than it is.

// Light is a 红黄绿灯 colour; a higher value is worse.
type Light int

// Lights, best first.
const (
	LightGreen Light = iota
	LightYellow
	LightRed
)

// Default N and M when the campaign file gives none.
const (
	defaultSoonWorkdays  = 5
	defaultStallWorkdays = 10
)

// String returns the light's Chinese name: 绿灯, 黄灯, 红灯.
func (l Light) String() string {
	switch l {
	case LightRed:
		return "红灯"
	case LightYellow:
		return "黄灯"
	}
	return "绿灯"
}

// Dot is the light as an emoji.
func (l Light) Dot() string {
	switch l {
	case LightRed:
		return "🔴"
	case LightYellow:
		return "🟡"
	}
	return "🟢"
}

// Mark is the light as shown on cards: "🔴 红灯".
func (l Light) Mark() string { return l.Dot() + " " + l.String() }

// Tone is the card tone of a light.
func (l Light) Tone() cards.Tone {
	switch l {
	case LightRed:
		return cards.ToneDanger
	case LightYellow:
		return cards.ToneWarning
	}
	return cards.ToneSuccess
}

// Fill is the light's spreadsheet cell colour (RGB hex).
func (l Light) Fill() string {
	switch l {
	case LightRed:
		return "FF0000"
	case LightYellow:
		return "FFC000"
	}
	return "00B050"
}

// worse returns the worse of two lights.
func worse(a, b Light) Light { return max(a, b) }

// LightReason is a light with why it is that colour ("已逾期 2 天").
type LightReason struct {
	Light  Light
	Reason string
}

// Label is "🔴 红灯（已逾期 2 天）", or the mark alone without a reason.
func (lr LightReason) Label() string {
	if lr.Reason == "" {
		return lr.Light.Mark()
	}
	return lr.Light.Mark() + "（" + lr.Reason + "）"
}

// lightRule is the campaign's N and M.
type lightRule struct {
	cal           *calendar
	soonWorkdays  int // N: yellow when the deadline is within N workdays
	stallWorkdays int // M: yellow after M workdays without progress
}

// lightRuleOf returns the campaign's rule, with defaults.
func lightRuleOf(c *store.Campaign) lightRule {
	lr := lightRule{soonWorkdays: defaultSoonWorkdays, stallWorkdays: defaultStallWorkdays}
	if c == nil {
		return lr
	}
	if n := c.Settings.Supervision.SoonWorkdays; n > 0 {
		lr.soonWorkdays = n
	}
	if m := c.Settings.Supervision.StallWorkdays; m > 0 {
		lr.stallWorkdays = m
	}
	lr.cal = calendarOf(c)
	return lr
}

// workdaysAfter counts the workdays in (from, to]: 0 when to is not after
// from.
func (cal *calendar) workdaysAfter(from, to time.Time) int {
	n := 0
	for d := from.AddDate(0, 0, 1); !d.After(to); d = d.AddDate(0, 0, 1) {
		if cal.isWorkday(d) {
			n++
		}
		if n > 3700 {
			break
		}
	}
	return n
}

// item returns an item's light on day (a civil date) in loc.
func (lr lightRule) item(it *store.LedgerItem, day time.Time, loc *time.Location) LightReason {
	if it.Status == store.ItemClosed {
		return LightReason{Light: LightGreen, Reason: "已销号"}
	}
	due := civil(it.DueOn)
	if due.Before(day) {
		return LightReason{Light: LightRed, Reason: countdown(due, day)}
	}
	if !due.After(lr.cal.addWorkdays(day, lr.soonWorkdays)) {
		return LightReason{Light: LightYellow, Reason: countdown(due, day)}
	}
	if it.Status == store.ItemCloseRequested {
		return LightReason{Light: LightGreen, Reason: "申请销号中"}
	}
	last := it.CreatedAt
	if it.ProgressAt != nil {
		last = *it.ProgressAt
	}
	if !last.IsZero() {
		if n := lr.cal.workdaysAfter(dayOf(last, loc), day); n >= lr.stallWorkdays {
			return LightReason{Light: LightYellow, Reason: fmt.Sprintf("%d 个工作日无进展", n)}
		}
	}
	return LightReason{Light: LightGreen, Reason: "按期推进"}
}

// reportState is a unit's standing on its monthly reports on a day.
type reportState struct {
	owed    []string  // periods past their (moved) due day without a report
	open    string    // the open period, when not yet reported
	openDue time.Time // its due day
}

// reportStateOf returns the unit's report standing on day, given the
// periods it has reported: the period rule of period.go.
func reportStateOf(c *store.Campaign, reported map[string]bool, day time.Time) reportState {
	var st reportState
	ps := unitStandingOn(c, day, reported)
	for _, p := range ps.owed {
		st.owed = append(st.owed, p.period)
	}
	if ps.hasOpen && !ps.openDone {
		st.open, st.openDue = ps.open.period, ps.open.due
	}
	return st
}

// unit returns a unit's light: its worst open item, and its reports.
func (lr lightRule) unit(items []*store.LedgerItem, rs reportState, day time.Time, loc *time.Location) LightReason {
	var red, yellow int
	for _, it := range items {
		switch lr.item(it, day, loc).Light {
		case LightRed:
			red++
		case LightYellow:
			yellow++
		}
	}
	return lr.unitOf(red, yellow, rs, day, lr.cal.addWorkdays(day, lr.soonWorkdays))
}

// unitOf is a unit's light from the number of its red and yellow open
// items and its reports: unit's rule, for callers that count the items'
// lights in SQL (DashLightCuts). soon is the N-th workday after day (the
// caller computes it once for many units: the calendar is slow to ask).
func (lr lightRule) unitOf(red, yellow int, rs reportState, day, soon time.Time) LightReason {
	out := LightReason{Light: LightGreen, Reason: "按期推进"}
	switch {
	case len(rs.owed) > 0:
		out = LightReason{Light: LightRed, Reason: periodLabel(rs.owed[0]) + "月报未报送"}
		if red > 0 {
			out.Reason += fmt.Sprintf("，逾期问题 %d 项", red)
		}
	case red > 0:
		out = LightReason{Light: LightRed, Reason: fmt.Sprintf("逾期问题 %d 项", red)}
	case rs.open != "" && !rs.openDue.After(soon):
		out = LightReason{Light: LightYellow, Reason: periodLabel(rs.open) + "月报" + countdown(rs.openDue, day)}
	case yellow > 0:
		out = LightReason{Light: LightYellow, Reason: fmt.Sprintf("临期或滞后问题 %d 项", yellow)}
	}
	return out
}

// request returns an enterprise request's light at now against the
// campaign's answer clock.
func (lr lightRule) request(q *store.EnterpriseRequest, c *store.Campaign, now time.Time) LightReason {
	if q.State == store.RequestClosed || q.WaitingSince == nil {
		return LightReason{Light: LightGreen, Reason: "无待答复"}
	}
	loc, hours := c.Location(), answerHours(c)
	due := addWorkingHours(lr.cal, *q.WaitingSince, hours, loc)
	switch {
	case now.After(due):
		return LightReason{Light: LightRed, Reason: "已超过答复时限"}
	case now.After(addWorkingHours(lr.cal, *q.WaitingSince, (hours+1)/2, loc)):
		return LightReason{Light: LightYellow, Reason: "答复时限过半"}
	}
	return LightReason{Light: LightGreen, Reason: "答复时限内"}
}

// campaign returns the campaign's light from its units' lights.
func campaignLight(units []LightReason) LightReason {
	out := LightReason{Light: LightGreen, Reason: "各单位按期推进"}
	var red, yellow int
	for _, u := range units {
		switch u.Light {
		case LightRed:
			red++
		case LightYellow:
			yellow++
		}
	}
	switch {
	case red > 0:
		out = LightReason{Light: LightRed, Reason: fmt.Sprintf("红灯单位 %d 个", red)}
	case yellow > 0:
		out = LightReason{Light: LightYellow, Reason: fmt.Sprintf("黄灯单位 %d 个", yellow)}
	}
	return out
}

// cuts returns the dates item's rule compares with on day, for counting
// lights in SQL (store.DashLightCuts): red when due before day, yellow
// when due on or before the N-th workday after day, or (not waiting for
// 销号) when the last progress day is before the M-th workday counted
// back from day, inclusive (then M workdays passed since).
func (lr lightRule) cuts(day time.Time, loc *time.Location) store.DashLightCuts {
	stall := day
	for n, i := 0, 0; i < 3700; i++ {
		if lr.cal.isWorkday(stall) {
			n++
			if n >= lr.stallWorkdays {
				break
			}
		}
		stall = stall.AddDate(0, 0, -1)
	}
	return store.DashLightCuts{Day: day, Soon: lr.cal.addWorkdays(day, lr.soonWorkdays), Stall: stall, TZ: loc.String()}
}
