// Package sim is the in-browser simulator: a real bot.Adapter whose
// "platform" is a web page served at /sim/. The page lets anyone of the
// applied campaign (liaison, leader, office, enterprise contact) read their
// chats, type, click card buttons and fill forms; the adapter turns that
// into bot.Events for Dispatch exactly as a messenger's callback would, and
// keeps the conversation history in Postgres (store/sim.go) as a messenger
// keeps it.
//
// Addresses: a person's account is "p:<person-key>", a contact's
// "c:<enterprise-key>:<contact-name>", a unit's group chat "g:<unit-key>" and
// a 1:1 chat with the bot "d:<account>". In a group only messages that
// @-mention the bot (@整改助手) reach the bot; the others are just kept and
// shown, as on the real platforms.
//
// Event ids: a message's event id is "sim-m<message id>" (the stored
// message's id, unique per post); a card action's is "sim-a<random>", one
// per click. Event.Raw is the decoded JSON body of the page's request.
//
// A card click is checked against the stored card: the action and params
// must be those of one of its buttons or of its form's submit (as a platform
// that keeps a card's values itself), and a form's values pass Form.Check
// before the bot sees them. The reply's card replaces the clicked card in
// the history; a form answered without a card stays, disabled, as
// submitted.
package sim

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store"
)

// BotName is how the bot is called in chats and mentions.
const BotName = "整改助手"

// Options tunes the simulator. The zero value is usable.
type Options struct {
	// Tick runs, as of now, what the scheduler would run at that instant
	// and returns a one-line summary. The clock panel calls it; nil shows
	// "定时任务尚未接入".
	Tick func(ctx context.Context, now time.Time) (string, error)
	// Clock gives the clock panel its initial instant; default the system
	// clock.
	Clock bot.Clock
	// StreamTimeout ends each event stream after this long (the page's
	// EventSource reconnects at once), so that a server shutdown never
	// waits on an open page; default 15 s.
	StreamTimeout time.Duration
}

// Adapter is the simulator platform.
type Adapter struct {
	store *store.Store
	log   *slog.Logger
	opts  Options
	hub   *hub
}

var (
	_ bot.Adapter         = (*Adapter)(nil)
	_ bot.CardUpdater     = (*Adapter)(nil)
	_ bot.FileSender      = (*Adapter)(nil)
	_ bot.Addresser       = (*Adapter)(nil)
	_ bot.CallbackMounter = (*Adapter)(nil)
)

// New returns the simulator over st (the pool's store).
func New(st *store.Store, log *slog.Logger, opts Options) *Adapter {
	if opts.Clock == nil {
		opts.Clock = bot.SystemClock{}
	}
	opts.StreamTimeout = cmp.Or(opts.StreamTimeout, 15*time.Second)
	return &Adapter{store: st, log: cmp.Or(log, slog.Default()), opts: opts, hub: newHub()}
}

// Platform returns bot.Sim.
func (a *Adapter) Platform() bot.Platform { return bot.Sim }

// Close ends every open event stream; the page reconnects to whoever serves
// next. Tests call it before closing their server.
func (a *Adapter) Close() { a.hub.close() }

// DirectTarget returns the 1:1 chat of a sim account.
func (a *Adapter) DirectTarget(userID string) bot.Target {
	return bot.Target{Platform: bot.Sim, ChatID: directChat(userID)}
}

func directChat(account string) string { return "d:" + account }

// chatOf returns the chat a target names.
func chatOf(to bot.Target) (string, error) {
	switch {
	case to.ChatID != "":
		return to.ChatID, nil
	case to.UserID != "":
		return directChat(to.UserID), nil
	}
	return "", fmt.Errorf("sim: %w: empty target", bot.ErrPermanent)
}

// Send stores m in the target chat's history and wakes the open pages.
func (a *Adapter) Send(ctx context.Context, to bot.Target, m *bot.Message) (bot.MessageRef, error) {
	chat, err := chatOf(to)
	if err != nil {
		return bot.MessageRef{}, err
	}
	if m.File != nil {
		return a.SendFile(ctx, to, m.File)
	}
	p := &store.SimMessageParams{ChatID: chat, Text: m.Text, Mentions: m.Mentions, ReplyTo: m.ReplyTo, At: a.opts.Clock.Now()}
	if m.Card != nil {
		if err := m.Card.Validate(); err != nil {
			return bot.MessageRef{}, fmt.Errorf("sim: %w: %w", bot.ErrPermanent, err)
		}
		if p.Card, err = json.Marshal(m.Card); err != nil {
			return bot.MessageRef{}, fmt.Errorf("sim: encode card: %w", err)
		}
	}
	if p.Text == "" && p.Card == nil {
		return bot.MessageRef{}, fmt.Errorf("sim: %w: empty message", bot.ErrPermanent)
	}
	if m.Card != nil && m.Text != "" {
		// Text first, then the card, as two messages (bot.Message's rule).
		if _, err := a.store.CreateSimMessage(ctx, &store.SimMessageParams{ChatID: chat, Text: m.Text, Mentions: m.Mentions,
			ReplyTo: m.ReplyTo, At: p.At}); err != nil {
			return bot.MessageRef{}, fmt.Errorf("sim: send: %w", err)
		}
		p.Text, p.Mentions = "", nil
	}
	sm, err := a.store.CreateSimMessage(ctx, p)
	if err != nil {
		return bot.MessageRef{}, fmt.Errorf("sim: send: %w", err)
	}
	a.hub.notify()
	return ref(sm), nil
}

// SendFile stores a file message.
func (a *Adapter) SendFile(ctx context.Context, to bot.Target, f *bot.File) (bot.MessageRef, error) {
	chat, err := chatOf(to)
	if err != nil {
		return bot.MessageRef{}, err
	}
	sm, err := a.store.CreateSimMessage(ctx, &store.SimMessageParams{ChatID: chat, FileName: f.Name,
		FileMIME: cmp.Or(f.MIME, "application/octet-stream"), FileContent: f.Content, At: a.opts.Clock.Now()})
	if err != nil {
		return bot.MessageRef{}, fmt.Errorf("sim: send file: %w", err)
	}
	a.hub.notify()
	return ref(sm), nil
}

// UpdateCard replaces a sent card in place.
func (a *Adapter) UpdateCard(ctx context.Context, r bot.MessageRef, c *cards.Card) error {
	id, err := strconv.ParseInt(r.MessageID, 10, 64)
	if err != nil {
		return fmt.Errorf("sim: %w: bad message id %q", bot.ErrPermanent, r.MessageID)
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("sim: %w: %w", bot.ErrPermanent, err)
	}
	body, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("sim: encode card: %w", err)
	}
	if _, err := a.store.UpdateSimCard(ctx, id, body); err != nil {
		return fmt.Errorf("sim: update card: %w", err)
	}
	a.hub.notify()
	return nil
}

func ref(m *store.SimMessage) bot.MessageRef {
	return bot.MessageRef{Platform: bot.Sim, ChatID: m.ChatID, MessageID: strconv.FormatInt(m.ID, 10)}
}

// mentionsBot reports whether text @-mentions the bot, and returns the text
// without the mention.
func mentionsBot(text string) (string, bool) {
	const at = "@" + BotName
	if !strings.Contains(text, at) && !strings.Contains(text, "＠"+BotName) {
		return strings.TrimSpace(text), false
	}
	text = strings.ReplaceAll(text, "＠"+BotName, "")
	text = strings.ReplaceAll(text, at, "")
	return strings.TrimSpace(text), true
}
