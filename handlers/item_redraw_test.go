package handlers

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"zhenggai/bot"
	"zhenggai/bot/bottest"
	"zhenggai/cards"
	"zhenggai/store"
)

// TestGroupItemCardStaysTrue: a liaison opens an item in the unit's group and
// asks for its 销号 from that card; when the leader approves in his 1:1
// chat, the group's card is redrawn (no longer "等待审批"), the group is
// told the decision, and the leader's approval card answers in place.
func TestGroupItemCardStaysTrue(t *testing.T) {
	f := newLgFixture(t)
	it := f.newItem(t, lgLiaison, "随意拦车", "2026-12-20")
	sent := f.say(t, lgLiaison, lgGroup, "办理 "+it.Number)
	var groupCard *bottest.Sent
	for i := range sent {
		if sent[i].To.ChatID == lgGroup && sent[i].Message.Card != nil {
			groupCard = &sent[i]
		}
	}
	if groupCard == nil {
		t.Fatalf("no item card in the group: %+v", sent)
	}
	clickOn := func(user, action string, params map[string]string, form cards.Values) *bot.Reply {
		t.Helper()
		ev := &bot.Event{ID: "ev-" + action + user, Kind: bot.KindCardAction, Platform: bot.Sim,
			Chat: bot.Chat{ID: lgGroup, Kind: bot.Group}, Sender: bot.User{ID: user}, At: f.h.Clock.Now(),
			Action: &bot.Action{Name: action, Params: params, Form: form}, Message: groupCard.Ref}
		r, err := f.h.Bot.Dispatch(context.Background(), ev)
		if err != nil || r == nil {
			t.Fatalf("%s %s: %v %v", user, action, r, err)
		}
		return r
	}
	r := clickOn(lgLiaison, "item.close.form", ref(it), nil)
	if r.Card.Form() == nil {
		t.Fatalf("close form %s", cardText(r.Card))
	}
	r = clickOn(lgLiaison, "item.close.submit", ref(it), cards.Values{"result": {"已整改到位"}})
	wantContains(t, "in place", cardText(r.Card), "申请销号")
	toLeader := sentTo(f.h.Deliver(), lgLeader)
	if len(toLeader) != 1 || toLeader[0].Message.Card == nil {
		t.Fatalf("leader got %+v", toLeader)
	}
	before := len(f.h.Adapter.Updated())
	r = f.click(t, lgLeader, "approval.approve", toLeader[0].Message.Card.Buttons()[0].Params, nil)
	if r.Toast != "已同意" {
		t.Fatalf("approve: %q", r.Toast)
	}
	sent = f.h.Deliver()
	var redrawn []string
	for _, u := range f.h.Adapter.Updated()[before:] {
		if u.Ref.MessageID == groupCard.Ref.MessageID {
			redrawn = append(redrawn, cardText(u.Card))
		}
	}
	if len(redrawn) != 1 || !strings.Contains(redrawn[0], "已销号") || strings.Contains(redrawn[0], "等待审批") {
		t.Fatalf("the group's card after the approval: %q", redrawn)
	}
	told := false
	for _, s := range sent {
		if s.To.ChatID == lgGroup && strings.Contains(s.Message.Text, "同意了 "+it.Number+" 的销号申请") {
			told = true
		}
	}
	if !told {
		t.Errorf("the group was not told the decision: %+v", sent)
	}
}

// TestOfficeItemCardStaysTrue: the office's own card of an item (with 督办
// and 挂牌督办) is redrawn when the liaison changes the item, as the office
// sees it: the new state, and its buttons still the office's.
func TestOfficeItemCardStaysTrue(t *testing.T) {
	f := newLgFixture(t)
	it := f.newItem(t, lgLiaison, "随意拦车", "2026-12-20")
	f.h.Deliver()
	sent := f.say(t, lgOffice, "", "查看 "+it.Number)
	var officeCard *bottest.Sent
	for i := range sent {
		if sent[i].To.ChatID == "d:"+lgOffice && sent[i].Message.Card != nil {
			officeCard = &sent[i]
		}
	}
	if officeCard == nil || !strings.Contains(cardText(officeCard.Message.Card), "督办") {
		t.Fatalf("the office's item card: %+v", sent)
	}
	before := len(f.h.Adapter.Updated())
	r := f.click(t, lgLiaison, "item.close.submit", ref(it), cards.Values{"result": {"已整改到位"}})
	wantContains(t, "close", cardText(r.Card), "申请销号")
	f.h.Deliver()
	var redrawn []string
	for _, u := range f.h.Adapter.Updated()[before:] {
		if u.Ref.MessageID == officeCard.Ref.MessageID {
			redrawn = append(redrawn, cardText(u.Card))
		}
	}
	if len(redrawn) != 1 || !strings.Contains(redrawn[0], "等待审批") || !strings.Contains(redrawn[0], "督办") {
		t.Fatalf("the office's card after the 销号 request: %q", redrawn)
	}
}

// TestStaleCardThatCannotBeUpdated: when the platform no longer lets a card
// be updated (Feishu after 14 days, a WeCom response_code used up), the
// decision still goes through and nobody is shown an error; the outbox
// records the failed redraw, once, for good.
func TestStaleCardThatCannotBeUpdated(t *testing.T) {
	f := newLgFixture(t)
	it := f.newItem(t, lgLiaison, "随意拦车", "2026-12-20")
	sent := f.say(t, lgLiaison, lgGroup, "办理 "+it.Number)
	if len(sent) == 0 {
		t.Fatal("no item card")
	}
	f.h.Adapter.UpdateFailFunc = func(bot.MessageRef) error {
		return fmt.Errorf("%w: the message can no longer be edited", bot.ErrPermanent)
	}
	r := f.click(t, lgLiaison, "item.close.submit", ref(it), cards.Values{"result": {"已整改到位"}})
	if r.ToastKind == "error" || r.Card == nil {
		t.Fatalf("the 销号 request after a card that cannot be redrawn: %q", r.Toast)
	}
	f.h.Deliver()
	var state, lastErr string
	err := f.st.DB().QueryRow(f.ctx, `SELECT state, last_error FROM deliveries WHERE key LIKE 'update:%' ORDER BY id DESC LIMIT 1`).Scan(&state, &lastErr)
	if err != nil {
		t.Fatal(err)
	}
	if state != store.DeliveryFailed || !strings.Contains(lastErr, "can no longer be edited") {
		t.Fatalf("the redraw's delivery: %s %q", state, lastErr)
	}
	if got := f.item(t, it.Number); got.Status != store.ItemCloseRequested {
		t.Fatalf("item after the request: %s", got.Status)
	}
}
