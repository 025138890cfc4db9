package feishu

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"zhenggai/bot"
	"zhenggai/cards"
)

// What both receiving modes do with an event's plaintext JSON.

// messageTimeout bounds the handling of a message (its reply is queued).
const messageTimeout = 10 * time.Second

var errUndecodable = errors.New("feishu: undecodable event")

// eventEnvelope is a v2 event or callback, or a url_verification.
type eventEnvelope struct {
	Schema string `json:"schema"`
	Header struct {
		EventID   string `json:"event_id"`
		EventType string `json:"event_type"`
		Token     string `json:"token"`
		AppID     string `json:"app_id"`
		TenantKey string `json:"tenant_key"`
	} `json:"header"`
	Event json.RawMessage `json:"event"`

	Type      string `json:"type"`
	Challenge string `json:"challenge"`
	Token     string `json:"token"`
}

type userID struct {
	OpenID  string `json:"open_id"`
	UnionID string `json:"union_id"`
	UserID  string `json:"user_id"`
}

type messageEvent struct {
	Sender struct {
		SenderID   userID `json:"sender_id"`
		SenderType string `json:"sender_type"`
	} `json:"sender"`
	Message struct {
		MessageID   string    `json:"message_id"`
		RootID      string    `json:"root_id"`
		ParentID    string    `json:"parent_id"`
		ChatID      string    `json:"chat_id"`
		ChatType    string    `json:"chat_type"`
		MessageType string    `json:"message_type"`
		Content     string    `json:"content"`
		Mentions    []mention `json:"mentions"`
	} `json:"message"`
}

type mention struct {
	Key  string `json:"key"`
	ID   userID `json:"id"`
	Name string `json:"name"`
}

type cardActionEvent struct {
	Operator userID `json:"operator"`
	Token    string `json:"token"`
	Action   struct {
		Value     map[string]any `json:"value"`
		Tag       string         `json:"tag"`
		Option    string         `json:"option"`
		Options   []string       `json:"options"`
		Name      string         `json:"name"`
		FormValue map[string]any `json:"form_value"`
		Input     string         `json:"input_value"`
	} `json:"action"`
	Context struct {
		OpenMessageID string `json:"open_message_id"`
		OpenChatID    string `json:"open_chat_id"`
	} `json:"context"`
}

type botMemberEvent struct {
	ChatID     string `json:"chat_id"`
	Name       string `json:"name"`
	OperatorID userID `json:"operator_id"`
}

// cardAnswer is the answer to card.action.trigger: the HTTP body, or the
// long connection's ACK data.
type cardAnswer struct {
	Toast *toast   `json:"toast,omitempty"`
	Card  *rawCard `json:"card,omitempty"`
}

type toast struct {
	Type    string `json:"type"`
	Content string `json:"content"`
}

type rawCard struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// handle decodes an event and dispatches it. For card.action.trigger it
// returns the answer (empty for a duplicate); otherwise nil.
func (a *Adapter) handle(ctx context.Context, d bot.Dispatcher, plain []byte) (*cardAnswer, error) {
	var env eventEnvelope
	if err := json.Unmarshal(plain, &env); err != nil {
		return nil, fmt.Errorf("%w: %w", errUndecodable, err)
	}
	a.conn.Frame(time.Now())
	switch env.Header.EventType {
	case "im.message.receive_v1":
		ev, err := a.messageEvent(ctx, &env, plain)
		if err != nil || ev == nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), messageTimeout)
		defer cancel()
		_, err = d.Dispatch(ctx, ev)
		return nil, err
	case "card.action.trigger":
		ev, err := a.cardEvent(&env, plain)
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.opts.CardAnswerBudget)
		defer cancel()
		reply, err := d.Dispatch(ctx, ev)
		if err != nil {
			return nil, err
		}
		return a.answer(ctx, ev, reply), nil
	case "im.chat.member.bot.added_v1", "im.chat.member.bot.deleted_v1":
		var m botMemberEvent
		if err := json.Unmarshal(env.Event, &m); err != nil {
			return nil, fmt.Errorf("%w: bot membership: %w", errUndecodable, err)
		}
		if m.ChatID == "" || env.Header.EventID == "" {
			// Without an event_id the dedupe would take every such
			// event for the first one.
			return nil, fmt.Errorf("%w: bot membership without chat_id or event_id", errUndecodable)
		}
		kind := bot.KindJoined
		if env.Header.EventType == "im.chat.member.bot.deleted_v1" {
			kind = bot.KindLeft
		}
		a.log.InfoContext(ctx, "Feishu bot membership", slog.String("chat_id", m.ChatID), slog.String("chat_title", m.Name), slog.String("kind", kind.String()))
		ev := &bot.Event{ID: env.Header.EventID, Kind: kind, Platform: bot.Feishu,
			Chat:   bot.Chat{ID: m.ChatID, Kind: bot.Group, Title: m.Name},
			Sender: bot.User{ID: m.OperatorID.OpenID}, Raw: json.RawMessage(plain)}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), messageTimeout)
		defer cancel()
		_, err := d.Dispatch(ctx, ev)
		return nil, err
	}
	// Other events the app may be subscribed to are acknowledged and
	// ignored, so Feishu does not push them again.
	return nil, nil
}

// messageEvent decodes im.message.receive_v1; nil means not for the bot
// (a group message without its mention, a message of another app, a
// message kind it does not read).
func (a *Adapter) messageEvent(ctx context.Context, env *eventEnvelope, plain []byte) (*bot.Event, error) {
	var m messageEvent
	if err := json.Unmarshal(env.Event, &m); err != nil {
		return nil, fmt.Errorf("%w: message: %w", errUndecodable, err)
	}
	msg := m.Message
	if msg.MessageID == "" || msg.ChatID == "" {
		return nil, fmt.Errorf("%w: message without id or chat", errUndecodable)
	}
	if m.Sender.SenderType != "" && m.Sender.SenderType != "user" {
		return nil, nil
	}
	kind := bot.Group
	if msg.ChatType == "p2p" {
		kind = bot.Direct
	}
	a.noteChatKind(msg.ChatID, kind)
	text, ok := messageText(msg.MessageType, msg.Content)
	files := resources(msg.MessageType, msg.Content)
	if !ok && len(files) == 0 {
		a.log.InfoContext(ctx, "Feishu message kind ignored", slog.String("message_type", msg.MessageType), slog.String("chat_id", msg.ChatID))
		return nil, nil
	}
	botID := ""
	if len(msg.Mentions) > 0 || kind == bot.Group {
		botID = a.selfOpenID(ctx)
	}
	mentioned := false
	var others []bot.User
	// Longer keys first: @_user_10 before @_user_1.
	mentions := slices.Clone(msg.Mentions)
	slices.SortFunc(mentions, func(x, y mention) int {
		return cmp.Compare(len(y.Key), len(x.Key))
	})
	lead := ""
	if m := leadingMention.FindStringSubmatch(text); m != nil {
		lead = m[1]
	}
	for _, mt := range mentions {
		isBot := botID != "" && mt.ID.OpenID == botID
		if botID == "" && mt.Key == lead {
			// Without the bot's own id, a leading mention is taken as
			// the bot's (the app only hears group messages that
			// mention it).
			isBot = true
		}
		if isBot {
			mentioned = true
			text = strings.ReplaceAll(text, mt.Key, "")
			continue
		}
		others = append(others, bot.User{ID: mt.ID.OpenID, Name: mt.Name})
		text = strings.ReplaceAll(text, mt.Key, "@"+mt.Name)
	}
	if kind == bot.Group && !mentioned {
		return nil, nil
	}
	if kind == bot.Group {
		// Operators read the group's chat_id here when they write the
		// campaign file.
		a.log.InfoContext(ctx, "Feishu group message", slog.String("chat_id", msg.ChatID), slog.String("user_id", m.Sender.SenderID.OpenID))
	}
	slices.Reverse(others)
	return &bot.Event{
		// Downloaded by the bot once the callback is answered (files.go).
		Files: fileRefs(msg.MessageID, files),
		ID:    msg.MessageID, Kind: bot.KindMessage, Platform: bot.Feishu,
		Chat:     bot.Chat{ID: msg.ChatID, Kind: kind},
		Sender:   bot.User{ID: m.Sender.SenderID.OpenID},
		Text:     strings.Join(strings.Fields(text), " "),
		Mentions: others,
		Message:  bot.MessageRef{Platform: bot.Feishu, ChatID: msg.ChatID, MessageID: msg.MessageID},
		Raw:      json.RawMessage(plain),
	}, nil
}

// leadingMention finds the placeholder a message starts with.
var leadingMention = regexp.MustCompile(`^\s*(@_user_\d+)`)

// messageText returns the text of a text or rich-text (post) message.
func messageText(msgType, content string) (string, bool) {
	switch msgType {
	case "text":
		var c struct {
			Text string `json:"text"`
		}
		if json.Unmarshal([]byte(content), &c) != nil {
			return "", false
		}
		return c.Text, true
	case "post":
		var c struct {
			Title   string `json:"title"`
			Content [][]struct {
				Tag      string `json:"tag"`
				Text     string `json:"text"`
				UserID   string `json:"user_id"`
				UserName string `json:"user_name"`
			} `json:"content"`
		}
		if json.Unmarshal([]byte(content), &c) != nil {
			return "", false
		}
		var b strings.Builder
		for _, para := range c.Content {
			for _, el := range para {
				switch el.Tag {
				case "text", "a":
					b.WriteString(el.Text)
				case "at":
					// Mentions in posts arrive as @_user_N keys too.
					b.WriteString(cmp.Or(el.UserID, "@"+el.UserName))
				}
			}
			b.WriteByte('\n')
		}
		return strings.TrimSpace(b.String()), true
	}
	return "", false
}

// cardEvent decodes card.action.trigger.
func (a *Adapter) cardEvent(env *eventEnvelope, plain []byte) (*bot.Event, error) {
	var c cardActionEvent
	if err := json.Unmarshal(env.Event, &c); err != nil {
		return nil, fmt.Errorf("%w: card action: %w", errUndecodable, err)
	}
	act := &bot.Action{Params: map[string]string{}}
	for k, v := range c.Action.Value {
		if k == cards.FeishuActionKey {
			act.Name, _ = v.(string)
			continue
		}
		act.Params[k] = formString(v)
	}
	if c.Action.FormValue != nil {
		act.Form = formValues(c.Action.FormValue)
	} else if c.Action.Name != "" && (c.Action.Option != "" || len(c.Action.Options) > 0 || c.Action.Input != "") {
		// A component outside a form answers on its own.
		act.Form = cards.Values{}
		switch {
		case len(c.Action.Options) > 0:
			act.Form.Set(c.Action.Name, c.Action.Options...)
		case c.Action.Option != "":
			act.Form.Set(c.Action.Name, formDate(c.Action.Option))
		default:
			act.Form.Set(c.Action.Name, c.Action.Input)
		}
	}
	if env.Header.EventID == "" {
		return nil, fmt.Errorf("%w: card action without event_id", errUndecodable)
	}
	chat := c.Context.OpenChatID
	return &bot.Event{
		ID: env.Header.EventID, Kind: bot.KindCardAction, Platform: bot.Feishu,
		Chat:    bot.Chat{ID: chat, Kind: a.chatKind(chat)},
		Sender:  bot.User{ID: c.Operator.OpenID},
		Action:  act,
		Message: bot.MessageRef{Platform: bot.Feishu, ChatID: chat, MessageID: c.Context.OpenMessageID, Token: c.Token},
		Raw:     json.RawMessage(plain),
	}, nil
}

// feishuDate is how Feishu's date and datetime pickers write values:
// "2023-06-30 +0800", "2024-04-29 07:07 +0800".
var feishuDate = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})( \d{2}:\d{2})? [+-]\d{4}$`)

func formDate(s string) string {
	if m := feishuDate.FindStringSubmatch(s); m != nil {
		return m[1] + m[2]
	}
	return s
}

// formValues turns form_value into cards.Values: strings as they are (dates
// without the offset), arrays (multi-selects, multi person pickers) as
// several values.
func formValues(fv map[string]any) cards.Values {
	out := cards.Values{}
	for k, v := range fv {
		switch v := v.(type) {
		case nil:
			out.Set(k)
		case []any:
			vals := make([]string, 0, len(v))
			for _, x := range v {
				vals = append(vals, formString(x))
			}
			out.Set(k, vals...)
		default:
			out.Set(k, formDate(formString(v)))
		}
	}
	return out
}

func formString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return ""
	case float64, bool:
		return fmt.Sprint(v)
	case map[string]any:
		// A person picker may give {"open_id": …}.
		if id, ok := v["open_id"].(string); ok {
			return id
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// answer turns the bot's reply to a card action into Feishu's answer: the
// toast and the replacement card as card JSON 2.0.
func (a *Adapter) answer(ctx context.Context, ev *bot.Event, reply *bot.Reply) *cardAnswer {
	ans := &cardAnswer{}
	if reply == nil {
		// A duplicate: it was answered the first time.
		return ans
	}
	if reply.Toast != "" {
		kind := reply.ToastKind
		switch kind {
		case "info", "success", "warning", "error":
		default:
			kind = "info"
		}
		ans.Toast = &toast{Type: kind, Content: reply.Toast}
	}
	if reply.Card != nil {
		data, err := cards.RenderFeishu(reply.Card)
		if err != nil {
			a.log.ErrorContext(ctx, "Feishu reply card not rendered", slog.String("event_id", ev.ID), slog.Any("error", err))
			if ans.Toast == nil {
				ans.Toast = &toast{Type: "error", Content: "卡片内容过多，无法显示，请联系管理员。"}
			}
			return ans
		}
		ans.Card = &rawCard{Type: "raw", Data: data}
	}
	return ans
}
