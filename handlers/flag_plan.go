package handlers

import (
	"context"
	"fmt"
	"time"

	"zhenggai/cards"
	"zhenggai/store"
)

// The weekly progress duty of 挂牌督办 items: on the first workday of each
// week, a flagged open item without a progress update in the last seven
// days is reminded to its unit's liaison (and its 责任人 when another
// person), once a week: flag:42:week:2026-W49:p:li-lb.

// firstWorkdayOfWeek reports whether day is the first workday of its
// Monday-to-Sunday week.
func (cal *calendar) firstWorkdayOfWeek(day time.Time) bool {
	if !cal.isWorkday(day) {
		return false
	}
	monday := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	for d := monday; d.Before(day); d = d.AddDate(0, 0, 1) {
		if cal.isWorkday(d) {
			return false
		}
	}
	return true
}

// planFlags adds the week's 挂牌督办 progress reminders to the plan.
func (e *planEnv) planFlags(ctx context.Context) error {
	if !e.cal.firstWorkdayOfWeek(e.day) {
		return nil
	}
	items, flags, err := e.run.Store.FlaggedOpenItems(ctx, e.c.ID)
	if err != nil {
		return err
	}
	year, week := e.day.ISOWeek()
	since := e.day.AddDate(0, 0, -7)
	loc := e.c.Location()
	for _, it := range items {
		u, f := e.byID[it.UnitID], flags[it.ID]
		if u == nil || f == nil || f.ReviewRequestID != nil || it.Status == store.ItemCloseRequested {
			continue
		}
		last := dayOf(f.FlaggedAt, loc)
		if it.ProgressAt != nil && dayOf(*it.ProgressAt, loc).After(last) {
			last = dayOf(*it.ProgressAt, loc)
		}
		if last.After(since) {
			continue
		}
		key := fmt.Sprintf("flag:%d:week:%d-W%02d", it.ID, year, week)
		e.toPerson(u.LiaisonID, key, itemSubject(it.ID), flagWeeklyCard(it, u, last, e.day))
	}
	return nil
}

// flagWeeklyCard asks for a flagged item's weekly progress.
func flagWeeklyCard(it *store.LedgerItem, u *store.Unit, last, day time.Time) *cards.Card {
	return &cards.Card{Title: "🚩 挂牌督办 · 每周进展 " + it.Number, Subtitle: u.Name, Tone: cards.ToneWarning, Blocks: []cards.Block{
		cards.MD(fmt.Sprintf("挂牌督办问题 %s 自 %s 以来没有新的整改进展，请本周报送。\n%s", it.Number, dateLabel(last), shorten(it.Description, 80))),
		cards.MD(fmt.Sprintf("整改时限 %s（%s）", civil(it.DueOn).Format(time.DateOnly), countdown(it.DueOn, day))),
		cards.ButtonsBlock(cards.Button{Text: "更新进展", Action: "item.progress.form", Style: cards.StylePrimary, Params: itemRef(it),
			Command: "更新进展 " + it.Number}),
	}}
}
