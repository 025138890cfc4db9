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
	// synonyms map other typed forms of a command word to it (台帐 → 台账).
	synonyms map[string]string
	actions  map[string]Handler
	public   map[string]bool
	contact  map[string]bool
	fallback Handler
	errs     []error
}

// NewRouter returns an empty router.
func NewRouter() *Router {
	return &Router{commands: map[string]Handler{}, synonyms: map[string]string{}, actions: map[string]Handler{}, public: map[string]bool{}, contact: map[string]bool{}}
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

// Synonym makes word another way of typing the registered command name
// (台帐 for 台账): it routes like name and keeps name's public and contact
// flags. A synonym is not a command of its own, so Names leaves it out.
func (rt *Router) Synonym(word, name string) {
	word = CommandWord(word)
	switch {
	case rt.commands[name] == nil:
		rt.errs = append(rt.errs, fmt.Errorf("bot: synonym %q of unknown command %q", word, name))
	case rt.commands[word] != nil || rt.synonyms[word] != "":
		rt.errs = append(rt.errs, fmt.Errorf("bot: synonym %q registered twice", word))
	default:
		rt.synonyms[word] = name
	}
}

// Resolve returns the registered command that text starts with (synonyms
// resolved, widths and punctuation normalized) and the rest of the text, or
// ok false when text is no command: what a test checks a typed label
// against.
func (rt *Router) Resolve(text string) (name, args string, ok bool) {
	word, rest := SplitCommand(text)
	name = rt.lookup(word)
	return name, rest, name != ""
}

// lookup returns the registered command name word stands for, or "".
func (rt *Router) lookup(word string) string {
	w := CommandWord(word)
	if syn, ok := rt.synonyms[w]; ok {
		return syn
	}
	if _, ok := rt.commands[w]; ok {
		return w
	}
	if _, ok := rt.commands[word]; ok {
		return word
	}
	return ""
}

// CommandWord normalizes a typed command word: full-width letters, digits
// and punctuation become half-width (Ｈｅｌｐ → Help, ？ → ?), ASCII letters
// lower case, and trailing punctuation, symbols and emoji go (台账。 → 台账,
// 帮助！ → 帮助), unless nothing else is left ("?" stays "?").
func CommandWord(word string) string {
	var sb strings.Builder
	for _, r := range word {
		sb.WriteRune(unicode.ToLower(halfWidth(r)))
	}
	w := sb.String()
	trimmed := strings.TrimRightFunc(w, func(r rune) bool {
		return unicode.IsPunct(r) || unicode.IsSymbol(r) || r == '\uFE0F' || r == '\u200D' || unicode.Is(unicode.Mn, r)
	})
	if trimmed == "" {
		return w
	}
	return trimmed
}

// halfWidth maps a full-width form (U+FF01–U+FF5E) and the ideographic
// space to its ASCII counterpart.
func halfWidth(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFEE0
	case r == '\u3000':
		return ' '
	}
	return r
}

// FoldWidth returns s with its full-width forms made half-width: how an
// argument such as an item number typed on a Chinese keyboard (ＬＢ－２０２６
// －００１) is read.
func FoldWidth(s string) string {
	return strings.Map(halfWidth, s)
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
// be followed by a space (the full-width one too), a Chinese or ASCII colon
// or a middle dot: "进展：已整改" gives ("进展", "已整改"), "台账 · 灵宝"
// ("台账", "灵宝").
func SplitCommand(text string) (string, string) {
	text = strings.TrimSpace(text)
	i := strings.IndexFunc(text, isCommandSep)
	if i < 0 {
		return text, ""
	}
	rest := strings.TrimLeftFunc(text[i:], func(r rune) bool { return isCommandSep(r) || r == '·' || r == '•' })
	return text[:i], rest
}

func isCommandSep(r rune) bool { return unicode.IsSpace(r) || r == '：' || r == ':' }

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
		word, rest := SplitCommand(ev.Text)
		name := rt.lookup(word)
		if h, ok := rt.commands[name]; ok && (!contact || ev.Chat.Kind != Direct || rt.public[name] || rt.contact[name]) {
			return h, rest, rt.public[name]
		}
		return rt.fallback, ev.Text, false
	}
	return nil, "", false
}
