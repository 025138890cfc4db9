package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"zhenggai/bot"
	"zhenggai/bot/sim"
	"zhenggai/cards"
	"zhenggai/store"
)

// player plays people of the campaign in the simulator at instants of a
// fixed clock: it types, presses buttons and fills forms through the
// simulator's own Post and Click, and delivers what the bot queued at each
// instant, so that the chats read as they would have.
type player struct {
	st    *store.Store
	bot   *bot.Bot
	sim   *sim.Adapter
	clock *bot.FixedClock
}

// ErrStep is returned when a step of the history does not go as the script
// expects (a card it should have got is missing, the bot refused).
var ErrStep = errors.New("demo: step failed")

// deliver sends everything due at the clock's instant to the simulator.
func (p *player) deliver(ctx context.Context) error {
	for {
		n, err := p.bot.DeliverDue(ctx)
		if err != nil {
			return fmt.Errorf("demo: deliver: %w", err)
		}
		if n == 0 {
			return nil
		}
	}
}

// say posts text (and f) as account in chat; in a group the bot is
// @-mentioned.
func (p *player) say(ctx context.Context, account, chat, text string, f *sim.Upload) error {
	if strings.HasPrefix(chat, "g:") {
		text = "@" + sim.BotName + " " + text
	}
	if _, _, err := p.sim.Post(ctx, p.bot, account, chat, text, f); err != nil {
		return fmt.Errorf("demo: %s says %q: %w", account, text, err)
	}
	return p.deliver(ctx)
}

// lastCard returns the newest card in chat that match accepts.
func (p *player) lastCard(ctx context.Context, chat string, match func(*store.SimMessage, *cards.Card) bool) (*store.SimMessage, *cards.Card, error) {
	ms, err := p.st.SimMessages(ctx, chat, 50)
	if err != nil {
		return nil, nil, fmt.Errorf("demo: read %s: %w", chat, err)
	}
	for i := len(ms) - 1; i >= 0; i-- {
		if len(ms[i].Card) == 0 {
			continue
		}
		var c cards.Card
		if err := json.Unmarshal(ms[i].Card, &c); err != nil {
			return nil, nil, fmt.Errorf("demo: read card %d: %w", ms[i].ID, err)
		}
		if match(ms[i], &c) {
			return ms[i], &c, nil
		}
	}
	return nil, nil, nil
}

// press clicks, as account, the newest button in chat whose label starts
// with label.
func (p *player) press(ctx context.Context, account, chat, label string) error {
	var btn cards.Button
	m, _, err := p.lastCard(ctx, chat, func(_ *store.SimMessage, c *cards.Card) bool {
		for _, b := range c.Buttons() {
			if b.URL == "" && strings.HasPrefix(b.Text, label) {
				btn = b
				return true
			}
		}
		return false
	})
	if err != nil {
		return err
	}
	if m == nil {
		return fmt.Errorf("%w: no button %q in %s", ErrStep, label, chat)
	}
	_, reply, err := p.sim.Click(ctx, p.bot, account, chat, m.ID, btn.Action, btn.Params, nil)
	if err != nil {
		return fmt.Errorf("demo: %s presses %q: %w", account, label, err)
	}
	if reply != nil && reply.ToastKind == "error" {
		return fmt.Errorf("%w: %s presses %q: %s", ErrStep, account, label, reply.Toast)
	}
	return p.deliver(ctx)
}

// submit fills, as account, the newest unsubmitted form in chat: values by
// field name (a select's value may be given by its label); a required field
// not given takes its default or, for a select, its first option.
func (p *player) submit(ctx context.Context, account, chat string, values map[string]string) error {
	m, c, err := p.lastCard(ctx, chat, func(m *store.SimMessage, c *cards.Card) bool { return !m.Submitted && c.Form() != nil })
	if err != nil {
		return err
	}
	if m == nil {
		return fmt.Errorf("%w: no form in %s", ErrStep, chat)
	}
	f := c.Form()
	form := cards.Values{}
	for _, fl := range f.Fields {
		v, ok := values[fl.Name]
		for _, o := range fl.Options {
			if ok && o.Label == v {
				v = o.Value
			}
		}
		switch {
		case ok:
		case fl.Default != "":
			v = fl.Default
		case fl.Required && len(fl.Options) > 0:
			v = fl.Options[0].Value
		case fl.Required:
			return fmt.Errorf("%w: form %s needs %s", ErrStep, f.Name, fl.Name)
		default:
			continue
		}
		form[fl.Name] = []string{v}
	}
	_, reply, err := p.sim.Click(ctx, p.bot, account, chat, m.ID, f.Submit.Action, f.Submit.Params, form)
	if err != nil {
		return fmt.Errorf("demo: %s submits %s: %w", account, f.Name, err)
	}
	if reply != nil && reply.ToastKind == "error" {
		return fmt.Errorf("%w: %s submits %s: %s", ErrStep, account, f.Name, reply.Toast)
	}
	return p.deliver(ctx)
}

// at moves the clock.
func (p *player) at(t time.Time) { p.clock.Set(t) }
