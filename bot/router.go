package bot

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
)

// Handler answers one event. It runs inside the event's transaction:
// changes made through r.Store and messages queued through r.Send commit
// together with the event's dedupe row, or not at all.
type Handler func(ctx context.Context, r *Request) (*Reply, error)

// Router maps text commands and card actions to handlers.
type Router struct {
	commands map[string]Handler
	actions  map[string]Handler
	public   map[string]bool
	contact  map[string]bool
	fallback Handler
	errs     []error
}

// NewRouter returns an empty router.
func NewRouter() *Router {
	return &Router{commands: map[string]Handler{}, actions: map[string]Handler{}, public: map[string]bool{}, contact: map[string]bool{}}
}

// Command routes text whose first word is name (or one of aliases) to h.
// The rest of the text is in Request.Args. Commands are for people and
// enterprise contacts the bot knows; strangers are told how to bind.
func (rt *Router) Command(h Handler, name string, aliases ...string) {
	for _, n := range append([]string{name}, aliases...) {
		if _, dup := rt.commands[n]; dup {
			rt.errs = append(rt.errs, fmt.Errorf("bot: command %q registered twice", n))
		}
		rt.commands[n] = h
	}
}

// PublicCommand is Command for commands strangers may use (绑定, 帮助).
func (rt *Router) PublicCommand(h Handler, name string, aliases ...string) {
	rt.Command(h, name, aliases...)
	for _, n := range append([]string{name}, aliases...) {
		rt.public[n] = true
	}
}

// ContactCommand is Command for the commands enterprise contacts use
// (联系人, 我的诉求). In a direct chat, every other command word an
// enterprise contact types is not a command: the text is a message to the
// contact leader like any other ("进展：…", "诉求：…" included), handled by
// the fallback, so it is never refused and lost.
func (rt *Router) ContactCommand(h Handler, name string, aliases ...string) {
	rt.Command(h, name, aliases...)
	for _, n := range append([]string{name}, aliases...) {
		rt.contact[n] = true
	}
}

// Action routes card actions named name to h.
func (rt *Router) Action(name string, h Handler) {
	if _, dup := rt.actions[name]; dup {
		rt.errs = append(rt.errs, fmt.Errorf("bot: action %q registered twice", name))
	}
	rt.actions[name] = h
}

// Fallback handles text that matches no command.
func (rt *Router) Fallback(h Handler) { rt.fallback = h }

// Err returns the registration errors, so that a mistake fails at start.
func (rt *Router) Err() error {
	if len(rt.errs) == 0 {
		return nil
	}
	return fmt.Errorf("%v", rt.errs)
}

// Names returns the registered command names (aliases included) and action
// names, sorted: what a test checks against its list of every command.
func (rt *Router) Names() (commands, actions []string) {
	commands = slices.Sorted(maps.Keys(rt.commands))
	actions = slices.Sorted(maps.Keys(rt.actions))
	return commands, actions
}

// HasAction reports whether an action is registered.
func (rt *Router) HasAction(name string) bool { _, ok := rt.actions[name]; return ok }

// SplitCommand splits text into its first word and the rest. A command may
// be followed by a space or a Chinese or ASCII colon: "进展：已整改" gives
// ("进展", "已整改").
func SplitCommand(text string) (string, string) {
	text = strings.TrimSpace(text)
	i := strings.IndexFunc(text, func(r rune) bool { return unicode.IsSpace(r) || r == '：' || r == ':' })
	if i < 0 {
		return text, ""
	}
	rest := strings.TrimLeftFunc(text[i:], func(r rune) bool { return unicode.IsSpace(r) || r == '：' || r == ':' })
	return text[:i], rest
}

// route finds the handler for ev. public reports whether strangers may use
// it. contact says the sender is an enterprise contact (see ContactCommand).
func (rt *Router) route(ev *Event, contact bool) (h Handler, args string, public bool) {
	switch ev.Kind {
	case KindCardAction:
		if ev.Action == nil {
			return nil, "", false
		}
		return rt.actions[ev.Action.Name], "", false
	case KindMessage:
		name, rest := SplitCommand(ev.Text)
		if h, ok := rt.commands[name]; ok && (!contact || ev.Chat.Kind != Direct || rt.public[name] || rt.contact[name]) {
			return h, rest, rt.public[name]
		}
		return rt.fallback, ev.Text, false
	}
	return nil, "", false
}
