package bot

import (
	"time"

	"zhenggai/cards"
)

// Platform names a messenger. The same names are used in the database
// (accounts.platform, chats.platform) and in the campaign file.
type Platform string

// Platforms.
const (
	Feishu   Platform = "feishu"
	DingTalk Platform = "dingtalk"
	WeCom    Platform = "wecom"
	// WeComKF is WeCom 微信客服: plain WeChat users writing to the bureau.
	WeComKF Platform = "wecom_kf"
	Sim     Platform = "sim"
)

// EventKind says what happened.
type EventKind int

// Event kinds.
const (
	// KindMessage is a text message to the bot: in a 1:1 chat, or in a group
	// where the bot was @-mentioned (the mention already stripped).
	KindMessage EventKind = iota + 1
	// KindCardAction is a click on a card button or a form submit.
	KindCardAction
	// KindJoined is the bot added to a chat.
	KindJoined
	// KindLeft is the bot removed from a chat.
	KindLeft
)

func (k EventKind) String() string {
	switch k {
	case KindMessage:
		return "message"
	case KindCardAction:
		return "card_action"
	case KindJoined:
		return "joined"
	case KindLeft:
		return "left"
	}
	return "unknown"
}

// ChatKind tells groups from 1:1 chats.
type ChatKind string

// Chat kinds.
const (
	Group  ChatKind = "group"
	Direct ChatKind = "direct"
)

// Chat is where an event happened.
type Chat struct {
	ID    string // the platform's chat id; for Direct, may equal the user id
	Kind  ChatKind
	Title string
}

// User is a platform account.
type User struct {
	ID   string // open_id, userid, external_userid, …
	Name string
}

// Action is a card button click or form submit.
type Action struct {
	Name   string
	Params map[string]string
	// Form holds submitted form values; nil for a plain button.
	Form cards.Values
}

// File is an attachment that came in or goes out.
type File struct {
	Name    string `json:"name"`
	MIME    string `json:"mime,omitempty"`
	Content []byte `json:"content,omitempty"`
	// Ref, on an inbound file, is the adapter's handle to download it
	// (FileFetcher); Content is empty until the bot has fetched it.
	Ref string `json:"ref,omitempty"`
	// StoredID, on an outgoing file, names a stored file (store.StoredFile)
	// whose content is read when the message is sent, so the outbox row
	// does not hold the bytes.
	StoredID int64 `json:"stored_id,omitempty"`
}

// Event is one inbound thing from a platform, decoded by its adapter.
type Event struct {
	// ID is the platform's id for dedupe: message_id, event_id, msgId, or a
	// hash the adapter documents.
	ID       string
	Kind     EventKind
	Platform Platform
	Chat     Chat
	Sender   User
	// Text is the message text with the bot's mention removed and other
	// mentions resolved to names.
	Text string
	// Mentions are the other users @-mentioned in Text.
	Mentions []User
	Action   *Action
	// Message is the message this event is about: the inbound message, or
	// the card that was clicked.
	Message MessageRef
	Files   []File
	At      time.Time
	// Raw is the decoded platform payload; each adapter documents its type.
	// It is not kept in a fetch job (files.go).
	Raw any `json:"-"`
}

// Target is where a message goes: a chat, or a user's 1:1 chat with the bot.
// Exactly one of ChatID and UserID is set.
type Target struct {
	Platform Platform `json:"platform"`
	ChatID   string   `json:"chat_id,omitempty"`
	UserID   string   `json:"user_id,omitempty"`
}

// MessageRef identifies a sent message so it can be updated later.
type MessageRef struct {
	Platform  Platform `json:"platform"`
	ChatID    string   `json:"chat_id,omitempty"`
	MessageID string   `json:"message_id,omitempty"`
	// Token is a platform's extra handle for updates: Feishu's callback
	// token, WeCom's response_code, DingTalk's outTrackId.
	Token string `json:"token,omitempty"`
}

// Message is what the bot sends: text, a card, or both (text first). A
// message with a File is sent through the adapter's FileSender.
type Message struct {
	Text string      `json:"text,omitempty"`
	Card *cards.Card `json:"card,omitempty"`
	// Mentions are user ids of the target platform to @-mention.
	Mentions []string `json:"mentions,omitempty"`
	// ReplyTo, when set, threads the message under that one.
	ReplyTo string `json:"reply_to,omitempty"`
	File    *File  `json:"file,omitempty"`
	// IdempotencyKey is set by the delivery worker, the same for every
	// attempt of one delivery; adapters pass it on where the platform has
	// one (Feishu's uuid).
	IdempotencyKey string `json:"-"`
	// Update, when set, redraws that sent card with Card instead of sending
	// a new message (through the adapter's CardUpdater).
	Update *MessageRef `json:"update,omitempty"`
	// Fetch, when set, is not sent: it is the job of downloading an
	// inbound event's files and then dispatching it (files.go), run by
	// the outbox's worker with its leases and retries.
	Fetch *Event `json:"fetch,omitempty"`
}

// Reply is a handler's answer to an event. For a message it is sent to the
// same chat (queued, durable). For a card action, Toast and Card come back in
// the callback's answer and Card replaces the clicked card for the clicker.
type Reply struct {
	Text  string
	Card  *cards.Card
	Toast string
	// ToastKind is "info", "success", "warning" or "error".
	ToastKind string
	// NewMessage sends Card as a new message instead of replacing the
	// clicked card.
	NewMessage bool
	// Subject names what Card shows (item:42), like Outgoing.Subject: the
	// message carrying it, a queued reply or the clicked card it replaces,
	// is redrawn when that changes.
	Subject string
}
