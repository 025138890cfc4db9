package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store"
)

// Reminder cards are sent with a subject (report:<unit>:<period>,
// milestone:<milestone>:<unit>, item:<id>). When what they remind of is
// done, the handler that recorded it calls one of the functions below in its
// transaction, and every card sent about the subject is redrawn (green,
// without its button) through the outbox, on platforms that can update
// cards.

// refreshReminders queues, in r's transaction, a redraw of every card sent
// about subject as c.
func refreshReminders(ctx context.Context, r *bot.Request, subject string, c *cards.Card) error {
	return refreshSubject(ctx, r, subject, func() (*cards.Card, error) { return c, nil })
}

// refreshSubject is refreshReminders with the card built by build, and
// only when some card of subject can be redrawn: a change to something
// nobody holds a card of costs one query.
func refreshSubject(ctx context.Context, r *bot.Request, subject string, build func() (*cards.Card, error)) error {
	ds, err := r.Store.DeliveriesBySubject(ctx, subject)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(ds, func(d *store.Delivery) bool { return d.MessageID != "" }) {
		return nil
	}
	c, err := build()
	if err != nil {
		return err
	}
	body, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("handlers: encode card: %w", err)
	}
	sum := sha256.Sum256(body)
	ev := r.Event
	for _, d := range ds {
		if d.MessageID == "" {
			continue
		}
		if ev != nil && ev.Kind == bot.KindCardAction && d.Platform == string(ev.Platform) && d.MessageID == ev.Message.MessageID {
			continue // the clicked card is answered in place
		}
		ref := bot.ParseMessageRef(d)
		r.Send(bot.Outgoing{
			To:      bot.Target{Platform: bot.Platform(d.Platform), ChatID: d.ChatID, UserID: d.UserID},
			Message: bot.Message{Card: c, Update: &ref},
			Key:     fmt.Sprintf("update:%d:%s", d.ID, hex.EncodeToString(sum[:6])),
		})
	}
	return nil
}

// ReportRemindersDone redraws the reminder cards of a unit's monthly report
// as done; the ledger's report handler calls it when the report is saved.
func ReportRemindersDone(ctx context.Context, r *bot.Request, u *store.Unit, period string) error {
	c := &cards.Card{Title: "月报已报送 · " + periodLabel(period), Subtitle: u.Name, Tone: cards.ToneSuccess, Blocks: []cards.Block{
		cards.MD(fmt.Sprintf("**%s** 已报送 %s 阶段性工作进展情况，感谢配合。", u.Name, periodLabel(period))),
	}}
	return refreshReminders(ctx, r, "report:"+u.Key+":"+period, c)
}

// MilestoneRemindersDone redraws the reminder cards of a unit's milestone as
// done; the milestone handler calls it when the unit marks it done.
func MilestoneRemindersDone(ctx context.Context, r *bot.Request, m *store.Milestone, u *store.Unit) error {
	c := &cards.Card{Title: "节点已完成 · " + dateLabel(civil(m.DueOn)), Subtitle: u.Name, Tone: cards.ToneSuccess, Blocks: []cards.Block{
		cards.MD(fmt.Sprintf("**%s**\n%s 已标记完成。", m.Title, u.Name)),
	}}
	return refreshReminders(ctx, r, "milestone:"+m.Key+":"+u.Key, c)
}
