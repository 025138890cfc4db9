package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"zhenggai/cards"
	"zhenggai/store"
)

// Request is what a handler gets: the event, the store bound to the event's
// transaction, who is asking, and a way to queue messages.
type Request struct {
	Event *Event
	// Args is the text after the command word.
	Args  string
	Store *store.Store
	// Campaign is the campaign this deployment serves; nil before one is
	// applied.
	Campaign *store.Campaign
	// Person is the bureau person behind the sender's account, or nil.
	Person *store.Person
	// Contact is the enterprise contact behind the sender's account, or nil.
	Contact *store.Contact
	// Roles are Person's roles in Campaign.
	Roles store.Roles
	// Chat is the chat's record, with its unit for a unit's group; nil for
	// chats the bot has not seen before.
	Chat *store.Chat
	Now  time.Time
	// Dialog is the dialog open in the sender's chat when a message that
	// is only files arrives during it; nil otherwise. The dialog keeps
	// waiting for its answer; handlers file the files under what its form
	// is about and may change its params (SetDialogParam).
	Dialog *OpenDialog

	bot *Bot
	out []Outgoing
}

// OpenDialog is a dialog (a form asked field by field) waiting for its
// next answer.
type OpenDialog struct {
	// Action and Params are the form's submit button's.
	Action string
	Params map[string]string
	// Question is the question still waiting, to ask again after
	// answering the files.
	Question string

	d     *store.Dialog
	state dialogState
}

// SetDialogParam sets a param of the open dialog's submit, so that the
// form's submit carries it (the files' pending set, an item's new version
// after the files were attached to it).
func (r *Request) SetDialogParam(ctx context.Context, key, value string) error {
	od := r.Dialog
	if od == nil {
		return nil
	}
	if od.state.params == nil {
		od.state.params = map[string]string{}
	}
	od.state.params[key] = value
	od.Params[key] = value
	if err := od.state.encode(od.d); err != nil {
		return err
	}
	return r.Store.SaveDialog(ctx, od.d)
}

// Outgoing is a message queued for delivery after the transaction commits.
type Outgoing struct {
	To      Target
	Message Message
	// Key, when set, makes the delivery unique: a second one with the same
	// key is dropped.
	Key string
	// Subject names what the message is about (item:42), so its card can be
	// updated later.
	Subject string
}

// UserError is a refusal or a bad input: the transaction's changes are
// rolled back, and the message (in Chinese) is shown to the user.
type UserError struct{ Message string }

func (e *UserError) Error() string { return "bot: refused: " + e.Message }

// Refuse returns a UserError with a message for the user.
func Refuse(format string, args ...any) error {
	return &UserError{Message: fmt.Sprintf(format, args...)}
}

// IsUserError reports whether err is a refusal, and returns its message.
func IsUserError(err error) (string, bool) {
	var ue *UserError
	if errors.As(err, &ue) {
		return ue.Message, true
	}
	return "", false
}

// Send queues a message to a target; it is sent after the event's
// transaction commits, and not at all if it rolls back.
func (r *Request) Send(o Outgoing) { r.out = append(r.out, o) }

// SendToPerson queues a message to a person's 1:1 chat with the bot, on the
// platform the person uses (the request's own platform when the person has
// an account there). It returns false when the person can be reached on no
// enabled platform.
func (r *Request) SendToPerson(ctx context.Context, personID int64, m Message, key, subject string) (bool, error) {
	to, ok, err := r.bot.PersonTarget(ctx, r.Store, personID, r.Event.Platform)
	if err != nil || !ok {
		return false, err
	}
	r.Send(Outgoing{To: to, Message: m, Key: key, Subject: subject})
	return true, nil
}

// Actor returns who is acting, for audit rows.
func (r *Request) Actor() store.Actor {
	a := store.Actor{Platform: string(r.Event.Platform), Account: r.Event.Sender.ID, MessageID: r.Event.Message.MessageID}
	if a.MessageID == "" {
		a.MessageID = r.Event.ID
	}
	if r.Person != nil {
		a.PersonID = r.Person.ID
	}
	return a
}

// Forms reports whether the request's platform can show form inputs in the
// current chat.
func (r *Request) Forms() bool {
	return r.bot.formsAt(Target{Platform: r.Event.Platform, ChatID: r.Event.Chat.ID})
}

// DirectTarget returns the asker's 1:1 chat with the bot, wherever he
// asked from.
func (r *Request) DirectTarget() Target {
	ev := r.Event
	if ad, ok := r.bot.adapters[ev.Platform].(Addresser); ok {
		return ad.DirectTarget(ev.Sender.ID)
	}
	if ev.Chat.Kind == Direct && ev.Chat.ID != "" {
		return Target{Platform: ev.Platform, ChatID: ev.Chat.ID}
	}
	return Target{Platform: ev.Platform, UserID: ev.Sender.ID}
}

// Bot returns the bot the request runs in.
func (r *Request) Bot() *Bot { return r.bot }

// CardReply returns a reply holding c.
func CardReply(c *cards.Card) *Reply { return &Reply{Card: c} }

// TextReply returns a reply holding text.
func TextReply(format string, args ...any) *Reply {
	return &Reply{Text: fmt.Sprintf(format, args...)}
}
