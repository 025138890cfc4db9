package handlers

import (
	"context"
	"strconv"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store"
)

// Cards stay true: every card that shows an item (subject item:<id>: the
// unit group's card a liaison opened, the liaison's own copy, the leaders'
// approval cards, reminders about it) is redrawn through the outbox when the
// item changes, on platforms that can update cards; the card the user just
// clicked is answered in place instead. The office's cards carry buttons of
// their own (督办, 挂牌督办): they have a subject of their own,
// item-office:<id>, and are redrawn as the office sees the item.

// itemReply is a reply showing item it as c: the message carrying it is
// redrawn when the item changes.
func itemReply(r *bot.Request, reply *bot.Reply, it *store.LedgerItem) *bot.Reply {
	if reply != nil && reply.Card != nil {
		reply.Subject = itemSubject(it.ID)
		if r.Roles.Office {
			reply.Subject = itemOfficeSubject(it.ID)
		}
	}
	return reply
}

// itemOfficeSubject names the office's cards of an item.
func itemOfficeSubject(id int64) string { return "item-office:" + strconv.FormatInt(id, 10) }

// redrawItem queues, in r's transaction, the redraw of every card sent
// about it, as its card now reads.
func redrawItem(ctx context.Context, r *bot.Request, it *store.LedgerItem, u *store.Unit) error {
	err := refreshSubject(ctx, r, itemSubject(it.ID), func() (*cards.Card, error) { return itemCard(ctx, r, it, u) })
	if err != nil {
		return err
	}
	// The office's copies, drawn as the office sees them whoever acted.
	return refreshSubject(ctx, r, itemOfficeSubject(it.ID), func() (*cards.Card, error) {
		office := *r
		office.Roles = store.Roles{Office: true}
		return officeItemCard(ctx, &office, it, u)
	})
}

// tellUnitGroups posts text to the unit's group chats on enabled platforms:
// a decision asked for in the group is answered there too.
func tellUnitGroups(ctx context.Context, r *bot.Request, u *store.Unit, text string) error {
	chats, err := r.Store.ChatsOfUnit(ctx, u.ID)
	if err != nil {
		return err
	}
	for _, ch := range chats {
		if ch.Kind != string(bot.Group) || !ch.Active || r.Bot().Adapter(bot.Platform(ch.Platform)) == nil {
			continue
		}
		r.Send(bot.Outgoing{To: bot.Target{Platform: bot.Platform(ch.Platform), ChatID: ch.ExternalID}, Message: bot.Message{Text: text}})
	}
	return nil
}
