package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"zhenggai/bot/ratelimit"
	"zhenggai/store"
)

// Config is what a Bot is built from.
type Config struct {
	// Store runs on the pool; each event gets its own transaction.
	Store  *store.Store
	Router *Router
	Logger *slog.Logger
	// Clock defaults to the system clock.
	Clock   Clock
	Metrics *Metrics
	// DialogTTL is how long a dialog waits for its next answer; default 30
	// minutes.
	DialogTTL time.Duration
	// SendRates overrides the app-wide send limit its adapter declares
	// (SendLimiter), in requests a second (Feishu: 50 by default); 0
	// removes it, for a platform that has none (a local fake).
	// Per-recipient limits always apply.
	SendRates map[Platform]int
	// FileMaxBytes is the largest inbound file kept (FILE_MAX_MB); 0 means
	// DefaultFileMax.
	FileMaxBytes int64
}

// Bot is the runtime: adapters by platform, the router, inbound dedupe,
// identity, dialogs and the outbox.
type Bot struct {
	store     *store.Store
	router    *Router
	log       *slog.Logger
	clock     Clock
	metrics   *Metrics
	dialogTTL time.Duration
	adapters  map[Platform]Adapter
	order     []Platform
	wake      chan struct{}
	limits    *ratelimit.Set
	sendRates map[Platform]int
	fileMax   int64
}

// New returns a Bot. It fails when the router has registration errors.
func New(cfg Config) (*Bot, error) {
	if cfg.Store == nil || cfg.Router == nil {
		return nil, errors.New("bot: Store and Router are required")
	}
	if err := cfg.Router.Err(); err != nil {
		return nil, err
	}
	b := &Bot{
		store:     cfg.Store,
		router:    cfg.Router,
		log:       cmp.Or(cfg.Logger, slog.Default()),
		clock:     cfg.Clock,
		metrics:   cfg.Metrics,
		dialogTTL: cmp.Or(cfg.DialogTTL, 30*time.Minute),
		adapters:  map[Platform]Adapter{},
		wake:      make(chan struct{}, 1),
		fileMax:   cmp.Or(cfg.FileMaxBytes, DefaultFileMax),
		limits:    ratelimit.New(maxLimitWait),
		sendRates: cfg.SendRates,
	}
	if b.clock == nil {
		b.clock = SystemClock{}
	}
	if b.metrics == nil {
		b.metrics = NewMetrics(nil)
	}
	registerBuiltins(cfg.Router)
	return b, nil
}

// AddAdapter enables a platform. The order of calls is the order in which a
// person's accounts are tried when the bot writes to them unprompted. The
// adapter's send limits (SendLimiter) replace the platform's earlier ones.
func (b *Bot) AddAdapter(a Adapter) {
	p := a.Platform()
	if _, ok := b.adapters[p]; !ok {
		b.order = append(b.order, p)
	}
	b.adapters[p] = a
	b.limits.Declare(string(p), b.sendLimits(a)...)
}

// Adapter returns the adapter of a platform, or nil.
func (b *Bot) Adapter(p Platform) Adapter { return b.adapters[p] }

// Adapters returns the enabled adapters in order.
func (b *Bot) Adapters() []Adapter {
	out := make([]Adapter, 0, len(b.order))
	for _, p := range b.order {
		out = append(out, b.adapters[p])
	}
	return out
}

// Store returns the bot's store (on the pool).
func (b *Bot) Store() *store.Store { return b.store }

// Clock returns the bot's clock.
func (b *Bot) Clock() Clock { return b.clock }

// Logger returns the bot's logger.
func (b *Bot) Logger() *slog.Logger { return b.log }

// Metrics returns the bot's metrics.
func (b *Bot) Metrics() *Metrics { return b.metrics }

// Dispatch handles one event in one transaction: the dedupe row, identity,
// the dialog or the routed handler, its changes, its audit rows and its
// outgoing messages commit together. A duplicate event returns (nil, nil)
// and changes nothing. A handler's UserError rolls back the handler's
// changes but keeps the dedupe row, and its message is the reply. Any other
// error rolls back everything, so the platform's retry can apply the event.
//
// For a message event the reply is queued to the chat and nil is returned;
// for a card action the reply is returned for the adapter to answer inline.
// A message from a known sender with files still to download is not
// handled now: its fetch job is queued (files.go) and the handlers see it
// once its files are in.
func (b *Bot) Dispatch(ctx context.Context, ev *Event) (*Reply, error) {
	return b.dispatch(ctx, ev, nil)
}

// dispatch is Dispatch; lost are files of the event that were not kept,
// of which the sender is told in the event's transaction.
func (b *Bot) dispatch(ctx context.Context, ev *Event, lost []lostFile) (*Reply, error) {
	start := time.Now()
	platform := string(ev.Platform)
	b.metrics.EventsReceived.WithLabelValues(platform, ev.Kind.String()).Inc()
	if ev.At.IsZero() {
		ev.At = b.clock.Now()
	}
	var reply *Reply
	var queued int
	err := b.store.InTx(ctx, func(tx *store.Store) error {
		if ev.ID != "" {
			fresh, err := tx.MarkEventSeen(ctx, platform, ev.ID)
			if err != nil {
				return err
			}
			if !fresh {
				b.metrics.EventsDuplicate.WithLabelValues(platform).Inc()
				return errDuplicate
			}
		}
		r, err := b.newRequest(ctx, tx, ev)
		if err != nil {
			return err
		}
		known := r.Person != nil || r.Contact != nil
		hadFiles := len(ev.Files) > 0 || len(lost) > 0
		if ev.Kind == KindMessage && known && needsFetch(ev) {
			queued = 1
			return b.queueFetch(ctx, tx, ev)
		}
		lost := append(slices.Clip(lost), b.admitFiles(ev)...)
		if ev.Kind == KindMessage && known {
			for _, l := range lost {
				r.Send(Outgoing{To: replyTarget(ev), Message: Message{Text: l.notice(b.fileMax), ReplyTo: ev.Message.MessageID}})
			}
		}
		if hadFiles && len(ev.Files) == 0 && strings.TrimSpace(ev.Text) == "" && known {
			// Nothing left to handle: the notices say why.
			queued = len(r.out)
			return b.enqueue(ctx, tx, r.out)
		}
		reply, err = b.handle(ctx, r)
		if err != nil {
			return err
		}
		if ev.Kind == KindMessage && reply != nil {
			if err := b.queueReply(ctx, r, reply); err != nil {
				return err
			}
			reply = nil
		}
		if ev.Kind == KindCardAction && reply != nil && reply.Card != nil && reply.Card.Form() != nil && !r.Forms() {
			// The platform cannot show the form: ask it field by field.
			var derr error
			reply, derr = b.startDialog(ctx, r, reply)
			if derr != nil {
				return derr
			}
		}
		if ev.Kind == KindCardAction && reply != nil {
			reply = b.splitActionReply(r, reply)
		}
		if ev.Kind == KindCardAction && reply != nil && reply.Card != nil && reply.Subject != "" && !reply.NewMessage {
			// The clicked card now shows reply.Subject: changes to it
			// redraw this card too (handlers' refreshReminders).
			if err := tx.SetDeliverySubject(ctx, platform, ev.Message.MessageID, reply.Subject); err != nil {
				return err
			}
		}
		queued = len(r.out)
		return b.enqueue(ctx, tx, r.out)
	})
	b.metrics.HandlerSeconds.WithLabelValues(platform, ev.Kind.String()).Observe(time.Since(start).Seconds())
	if errors.Is(err, errDuplicate) {
		return nil, nil
	}
	if err != nil {
		b.log.ErrorContext(ctx, "Event failed", slog.String("platform", platform), slog.String("event_id", ev.ID),
			slog.String("kind", ev.Kind.String()), slog.Any("error", err))
		return nil, fmt.Errorf("bot: dispatch %s %s: %w", platform, ev.ID, err)
	}
	if queued > 0 {
		b.Wake()
	}
	return reply, nil
}

var errDuplicate = errors.New("bot: duplicate event")

// handle runs the dialog engine or the routed handler inside a savepoint, so
// that a refusal undoes the handler's changes but not the dedupe row.
func (b *Bot) handle(ctx context.Context, r *Request) (*Reply, error) {
	var reply *Reply
	outBefore := len(r.out)
	err := r.Store.InTx(ctx, func(tx *store.Store) error {
		saved := r.Store
		r.Store = tx
		defer func() { r.Store = saved }()
		var err error
		reply, err = b.route(ctx, r)
		return err
	})
	if msg, ok := IsUserError(err); ok {
		r.out = r.out[:outBefore]
		if r.Event.Kind == KindCardAction {
			return &Reply{Toast: msg, ToastKind: "error"}, nil
		}
		return &Reply{Text: msg}, nil
	}
	return reply, err
}

func (b *Bot) route(ctx context.Context, r *Request) (*Reply, error) {
	ev := r.Event
	switch ev.Kind {
	case KindJoined, KindLeft:
		return nil, b.chatMembership(ctx, r)
	case KindMessage:
		if reply, handled, err := b.continueDialog(ctx, r); handled || err != nil {
			return reply, err
		}
	}
	h, args, public := b.router.route(ev, r.Contact != nil && r.Person == nil)
	if h == nil {
		if ev.Kind == KindCardAction {
			return &Reply{Toast: "该操作已失效，请重新打开卡片。", ToastKind: "warning"}, nil
		}
		return nil, nil
	}
	if r.Person == nil && r.Contact == nil && !public {
		return strangerReply(ev), nil
	}
	r.Args = args
	return h(ctx, r)
}

// newRequest resolves who and where.
func (b *Bot) newRequest(ctx context.Context, tx *store.Store, ev *Event) (*Request, error) {
	r := &Request{Event: ev, Store: tx, Now: ev.At, bot: b}
	rc, err := tx.LoadRequestContext(ctx, string(ev.Platform), ev.Sender.ID, ev.Chat.ID)
	if err != nil {
		return nil, err
	}
	r.Campaign, r.Person, r.Roles, r.Contact, r.Chat = rc.Campaign, rc.Person, rc.Roles, rc.Contact, rc.Chat
	return r, nil
}

// chatMembership records the bot joining or leaving a chat.
func (b *Bot) chatMembership(ctx context.Context, r *Request) error {
	ev := r.Event
	kind := string(ev.Chat.Kind)
	if kind == "" {
		kind = string(Group)
	}
	c := &store.Chat{Platform: string(ev.Platform), ExternalID: ev.Chat.ID, Kind: kind, Title: ev.Chat.Title, Active: ev.Kind == KindJoined}
	if err := r.Store.UpsertChat(ctx, c); err != nil {
		return err
	}
	return r.Store.AppendAudit(ctx, store.AuditParams{Actor: r.Actor(), Entity: "chat", EntityID: fmt.Sprint(c.ID),
		Action: map[bool]string{true: "bot_joined", false: "bot_left"}[c.Active], New: c})
}

// queueReply sends a message event's reply to the same chat.
func (b *Bot) queueReply(ctx context.Context, r *Request, reply *Reply) error {
	ev := r.Event
	to := Target{Platform: ev.Platform, ChatID: ev.Chat.ID}
	if ev.Chat.ID == "" {
		to = Target{Platform: ev.Platform, UserID: ev.Sender.ID}
	}
	m := Message{Text: reply.Text, Card: reply.Card, ReplyTo: ev.Message.MessageID}
	if reply.Card != nil && reply.Card.Form() != nil && !b.formsAt(to) {
		// A dialog asked in a group goes on in the asker's 1:1 chat: in
		// a group every answer would need an @-mention of the bot.
		ad, direct := b.adapters[ev.Platform].(Addresser)
		direct = direct && ev.Chat.Kind == Group
		if direct {
			saved := r.Event
			dm := *ev
			dm.Chat = Chat{Kind: Direct}
			r.Event = &dm
			defer func() { r.Event = saved }()
		}
		dr, err := b.startDialog(ctx, r, reply)
		if err != nil {
			return err
		}
		m = Message{Text: dr.Text, ReplyTo: ev.Message.MessageID}
		if direct {
			who := cmp.Or(ev.Sender.Name, "您")
			if r.Person != nil {
				who = r.Person.Name
			}
			r.Send(Outgoing{To: to, Message: Message{Text: fmt.Sprintf("已在单聊中向%s发送“%s”的填写步骤，请在与我的单聊中逐项回复。",
				who, reply.Card.Title), ReplyTo: ev.Message.MessageID}})
			to, m.ReplyTo = ad.DirectTarget(ev.Sender.ID), ""
		}
	}
	subject := ""
	if m.Card != nil {
		subject = reply.Subject
	}
	r.Send(Outgoing{To: to, Message: m, Subject: subject})
	return nil
}

func (b *Bot) formsAt(to Target) bool {
	if fl, ok := b.adapters[to.Platform].(FormLimiter); ok {
		return fl.Forms(to)
	}
	return true
}

// PersonTarget returns where to reach a person 1:1: on prefer when the
// person has an account there and the platform is enabled, else on the first
// enabled platform where they have one.
func (b *Bot) PersonTarget(ctx context.Context, st *store.Store, personID int64, prefer Platform) (Target, bool, error) {
	accs, err := st.AccountsOfPeople(ctx, []int64{personID})
	if err != nil {
		return Target{}, false, err
	}
	return b.pickTarget(accs[personID], prefer)
}

// ContactTargets returns where to reach an enterprise contact.
func (b *Bot) ContactTarget(ctx context.Context, st *store.Store, contactID int64, prefer Platform) (Target, bool, error) {
	accs, err := st.AccountsOfContact(ctx, contactID)
	if err != nil {
		return Target{}, false, err
	}
	return b.pickTarget(accs, prefer)
}

func (b *Bot) pickTarget(accs []store.Account, prefer Platform) (Target, bool, error) {
	find := func(p Platform) (Target, bool) {
		for _, a := range accs {
			if Platform(a.Platform) == p {
				if ad, ok := b.adapters[p].(Addresser); ok {
					return ad.DirectTarget(a.ExternalID), true
				}
				return Target{Platform: p, UserID: a.ExternalID}, true
			}
		}
		return Target{}, false
	}
	if _, ok := b.adapters[prefer]; ok {
		if t, ok := find(prefer); ok {
			return t, true, nil
		}
	}
	for _, p := range b.order {
		if t, ok := find(p); ok {
			return t, true, nil
		}
	}
	return Target{}, false, nil
}

// splitActionReply keeps what a card callback can answer inline (a toast and
// the clicked card's replacement) and queues the rest as messages to the
// chat the card was in.
func (b *Bot) splitActionReply(r *Request, reply *Reply) *Reply {
	ev := r.Event
	to := Target{Platform: ev.Platform, ChatID: ev.Chat.ID}
	if ev.Chat.ID == "" || ev.Chat.Kind == Direct {
		if ad, ok := b.adapters[ev.Platform].(Addresser); ok {
			to = ad.DirectTarget(ev.Sender.ID)
		} else if ev.Chat.ID == "" {
			to = Target{Platform: ev.Platform, UserID: ev.Sender.ID}
		}
	}
	if reply.Text != "" {
		r.Send(Outgoing{To: to, Message: Message{Text: reply.Text}})
	}
	inline := &Reply{Toast: reply.Toast, ToastKind: reply.ToastKind, Card: reply.Card, Subject: reply.Subject}
	if reply.NewMessage && reply.Card != nil {
		r.Send(Outgoing{To: to, Message: Message{Card: reply.Card}, Subject: reply.Subject})
		inline.Card = nil
	}
	return inline
}
