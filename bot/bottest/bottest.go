// Package bottest runs the bot in tests: a recording fake adapter, event
// builders, and a Bot on a test transaction.
package bottest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store"
)

// Sent is one message the fake adapter was asked to send.
type Sent struct {
	To      bot.Target
	Message bot.Message
	Ref     bot.MessageRef
}

// Updated is one card update.
type Updated struct {
	Ref  bot.MessageRef
	Card *cards.Card
}

// FakeAdapter records what the bot sends. It can fail on demand and can
// pretend to have no form inputs (like WeCom).
type FakeAdapter struct {
	P bot.Platform
	// NoForms makes Forms return false.
	NoForms bool
	// FailFunc, when set, is asked before each send; a non-nil error fails
	// it.
	FailFunc func(to bot.Target, m *bot.Message) error
	// UpdateFailFunc, when set, is asked before each card update; a
	// non-nil error fails it (a platform that no longer lets a card be
	// updated).
	UpdateFailFunc func(ref bot.MessageRef) error

	mu      sync.Mutex
	sent    []Sent
	updated []Updated
	seq     atomic.Int64
}

var (
	_ bot.Adapter     = (*FakeAdapter)(nil)
	_ bot.CardUpdater = (*FakeAdapter)(nil)
	_ bot.FileSender  = (*FakeAdapter)(nil)
	_ bot.FormLimiter = (*FakeAdapter)(nil)
)

// NewFakeAdapter returns a fake for platform p.
func NewFakeAdapter(p bot.Platform) *FakeAdapter { return &FakeAdapter{P: p} }

// Platform returns the fake's platform.
func (f *FakeAdapter) Platform() bot.Platform { return f.P }

// Send records m.
func (f *FakeAdapter) Send(_ context.Context, to bot.Target, m *bot.Message) (bot.MessageRef, error) {
	if f.FailFunc != nil {
		if err := f.FailFunc(to, m); err != nil {
			return bot.MessageRef{}, err
		}
	}
	ref := bot.MessageRef{Platform: f.P, ChatID: to.ChatID, MessageID: fmt.Sprintf("m%d", f.seq.Add(1))}
	f.mu.Lock()
	f.sent = append(f.sent, Sent{To: to, Message: *m, Ref: ref})
	f.mu.Unlock()
	return ref, nil
}

// SendFile records a file as a message.
func (f *FakeAdapter) SendFile(ctx context.Context, to bot.Target, file *bot.File) (bot.MessageRef, error) {
	return f.Send(ctx, to, &bot.Message{File: file})
}

// UpdateCard records the update.
func (f *FakeAdapter) UpdateCard(_ context.Context, ref bot.MessageRef, c *cards.Card) error {
	if f.UpdateFailFunc != nil {
		if err := f.UpdateFailFunc(ref); err != nil {
			return err
		}
	}
	f.mu.Lock()
	f.updated = append(f.updated, Updated{Ref: ref, Card: c})
	f.mu.Unlock()
	return nil
}

// Forms reports whether the fake renders form inputs.
func (f *FakeAdapter) Forms(bot.Target) bool { return !f.NoForms }

// Sent returns the messages sent so far.
func (f *FakeAdapter) Sent() []Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Sent(nil), f.sent...)
}

// Updated returns the card updates so far.
func (f *FakeAdapter) Updated() []Updated {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Updated(nil), f.updated...)
}

// Reset forgets what was recorded.
func (f *FakeAdapter) Reset() {
	f.mu.Lock()
	f.sent, f.updated = nil, nil
	f.mu.Unlock()
}

// Harness is a Bot on a store with a fake adapter and a fixed clock.
type Harness struct {
	T       testing.TB
	Bot     *bot.Bot
	Store   *store.Store
	Adapter *FakeAdapter
	Clock   *bot.FixedClock
	seq     atomic.Int64
}

// NewHarness builds a Bot over st (usually storetest.TestStore) with the
// handlers that register adds, a fake adapter for platform sim and a clock at
// now.
func NewHarness(tb testing.TB, st *store.Store, now time.Time, register func(*bot.Router, bot.Clock)) *Harness {
	tb.Helper()
	clock := bot.NewFixedClock(now)
	rt := bot.NewRouter()
	if register != nil {
		register(rt, clock)
	}
	b, err := bot.New(bot.Config{Store: st, Router: rt, Clock: clock})
	if err != nil {
		tb.Fatal(err)
	}
	fa := NewFakeAdapter(bot.Sim)
	b.AddAdapter(fa)
	return &Harness{T: tb, Bot: b, Store: st, Adapter: fa, Clock: clock}
}

// nextID returns a fresh event id.
func (h *Harness) nextID() string { return fmt.Sprintf("ev-%d", h.seq.Add(1)) }

// Text dispatches a text message from user in chat (a group when chatID
// starts with "g:", else 1:1) and returns the reply.
func (h *Harness) Text(user, chatID, text string) (*bot.Reply, error) {
	ev := &bot.Event{
		ID: h.nextID(), Kind: bot.KindMessage, Platform: h.Adapter.P,
		Chat: chat(user, chatID), Sender: bot.User{ID: user}, Text: text, At: h.Clock.Now(),
	}
	ev.Message = bot.MessageRef{Platform: ev.Platform, ChatID: ev.Chat.ID, MessageID: ev.ID}
	return h.Bot.Dispatch(context.Background(), ev)
}

// Click dispatches a card action from user in chat.
func (h *Harness) Click(user, chatID, action string, params map[string]string, form cards.Values) (*bot.Reply, error) {
	ev := &bot.Event{
		ID: h.nextID(), Kind: bot.KindCardAction, Platform: h.Adapter.P,
		Chat: chat(user, chatID), Sender: bot.User{ID: user}, At: h.Clock.Now(),
		Action: &bot.Action{Name: action, Params: params, Form: form},
	}
	ev.Message = bot.MessageRef{Platform: ev.Platform, ChatID: ev.Chat.ID, MessageID: "card-" + ev.ID}
	return h.Bot.Dispatch(context.Background(), ev)
}

// Deliver sends every due delivery through the fake and returns what was
// sent by this call.
func (h *Harness) Deliver() []Sent {
	h.T.Helper()
	before := len(h.Adapter.Sent())
	for {
		n, err := h.Bot.DeliverDue(context.Background())
		if err != nil {
			h.T.Fatalf("deliver: %v", err)
		}
		if n == 0 {
			break
		}
	}
	return h.Adapter.Sent()[before:]
}

func chat(user, chatID string) bot.Chat {
	if chatID == "" {
		return bot.Chat{ID: "d:" + user, Kind: bot.Direct}
	}
	if len(chatID) > 2 && chatID[:2] == "g:" {
		return bot.Chat{ID: chatID, Kind: bot.Group}
	}
	return bot.Chat{ID: chatID, Kind: bot.Direct}
}

// Recorder is a Dispatcher that records the events it is given and answers
// a card action with a success toast and a small card, as an adapter's
// tests and fuzz targets need.
type Recorder struct {
	mu     sync.Mutex
	events []*bot.Event
}

// Dispatch records ev.
func (r *Recorder) Dispatch(_ context.Context, ev *bot.Event) (*bot.Reply, error) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	if ev.Kind != bot.KindCardAction {
		return nil, nil
	}
	name := ""
	if ev.Action != nil {
		name = ev.Action.Name
	}
	return &bot.Reply{Toast: "已收到", ToastKind: "success", Card: &cards.Card{Title: "已收到", Blocks: []cards.Block{cards.MD(name)}}}, nil
}

// Events returns the events dispatched so far.
func (r *Recorder) Events() []*bot.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*bot.Event(nil), r.events...)
}
