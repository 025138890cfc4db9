package dingtalk

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"zhenggai/bot"
	"zhenggai/cards"
)

// errUndecodable is wrapped by every decoding error of a callback.
var errUndecodable = errors.New("dingtalk: undecodable callback")

// robotMessage is a robot callback: the Stream frame's data, or the body of
// an HTTP-mode POST (the same object). It is Event.Raw of messages.
type robotMessage struct {
	ConversationID    string `json:"conversationId"`
	ConversationType  string `json:"conversationType"` // "1" 1:1, "2" group
	ConversationTitle string `json:"conversationTitle"`
	AtUsers           []struct {
		DingtalkID string `json:"dingtalkId"`
		StaffID    string `json:"staffId"`
	} `json:"atUsers"`
	ChatbotUserID string `json:"chatbotUserId"`
	MsgID         string `json:"msgId"`
	SenderNick    string `json:"senderNick"`
	SenderStaffID string `json:"senderStaffId"`
	SenderID      string `json:"senderId"`
	IsInAtList    bool   `json:"isInAtList"`
	CreateAt      int64  `json:"createAt"`
	RobotCode     string `json:"robotCode"`
	Msgtype       string `json:"msgtype"`
	Text          struct {
		Content string `json:"content"`
	} `json:"text"`
	Content json.RawMessage `json:"content"`
}

// cardCallback is a card callback: the Stream frame's data, or the body of
// an HTTP-mode POST. It is Event.Raw of card actions.
type cardCallback struct {
	Type       string `json:"type"`
	OutTrackID string `json:"outTrackId"`
	CorpID     string `json:"corpId"`
	UserID     string `json:"userId"`
	UserIDType int    `json:"userIdType"`
	Content    string `json:"content"`
	// Value is the older form of Content; some pages put params outside
	// cardPrivateData in it.
	Value     string `json:"value"`
	SpaceType string `json:"spaceType"`
	SpaceID   string `json:"spaceId"`
	Extension string `json:"extension"`
}

// cardContent is the JSON inside cardCallback.Content.
type cardContent struct {
	CardPrivateData struct {
		ActionIDs []string       `json:"actionIds"`
		Params    map[string]any `json:"params"`
	} `json:"cardPrivateData"`
	Params map[string]any `json:"params"`
}

// messageEvent decodes a robot message. It returns nil for what the bot
// must not see: a group message that does not @-mention the robot.
func messageEvent(m *robotMessage) (*bot.Event, error) {
	if m.MsgID == "" {
		return nil, fmt.Errorf("%w: robot message without msgId", errUndecodable)
	}
	group := m.ConversationType == "2"
	if group && !m.IsInAtList {
		return nil, nil
	}
	if cmp.Or(m.SenderStaffID, m.SenderID) == "" || (group && m.ConversationID == "") {
		// Nobody to answer: a reply needs the sender, or the group.
		return nil, fmt.Errorf("%w: robot message without sender or conversationId", errUndecodable)
	}
	ev := &bot.Event{
		ID:       m.MsgID,
		Kind:     bot.KindMessage,
		Platform: bot.DingTalk,
		Sender:   bot.User{ID: cmp.Or(m.SenderStaffID, m.SenderID), Name: m.SenderNick},
		Text:     messageText(m),
		Raw:      m,
	}
	if group {
		ev.Chat = bot.Chat{ID: m.ConversationID, Kind: bot.Group, Title: m.ConversationTitle}
	} else {
		// A 1:1 chat is addressed by the user (oToMessages/batchSend), so
		// the chat id stays empty and replies go to the sender.
		ev.Chat = bot.Chat{Kind: bot.Direct}
	}
	for _, u := range m.AtUsers {
		if u.DingtalkID == m.ChatbotUserID || u.StaffID == "" {
			continue
		}
		ev.Mentions = append(ev.Mentions, bot.User{ID: u.StaffID})
	}
	ev.Message = bot.MessageRef{Platform: bot.DingTalk, ChatID: ev.Chat.ID, MessageID: m.MsgID}
	return ev, nil
}

// messageText is the text of a message with the robot's mention removed
// (DingTalk leaves a leading space where it was).
func messageText(m *robotMessage) string {
	switch m.Msgtype {
	case "text", "":
		return strings.TrimSpace(m.Text.Content)
	case "richText":
		var rt struct {
			RichText []struct {
				Text string `json:"text"`
			} `json:"richText"`
		}
		if json.Unmarshal(m.Content, &rt) != nil {
			return ""
		}
		var sb strings.Builder
		for _, part := range rt.RichText {
			sb.WriteString(part.Text)
		}
		return strings.TrimSpace(sb.String())
	case "audio":
		// A voice message carries DingTalk's transcription.
		var au struct {
			Recognition string `json:"recognition"`
		}
		if json.Unmarshal(m.Content, &au) != nil {
			return ""
		}
		return strings.TrimSpace(au.Recognition)
	}
	return ""
}

// cardEvent decodes a card callback. Its id is a hash of (outTrackId, user,
// action, content): a second identical click or submit is a duplicate.
func cardEvent(cb *cardCallback) (*bot.Event, error) {
	if cb.OutTrackID == "" || cb.UserID == "" {
		return nil, fmt.Errorf("%w: card callback without outTrackId or userId", errUndecodable)
	}
	if cb.SpaceType == "IM_GROUP" && cb.SpaceID == "" {
		return nil, fmt.Errorf("%w: group card callback without spaceId", errUndecodable)
	}
	raw := cb.Content
	if raw == "" {
		raw = cb.Value
	}
	var c cardContent
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			return nil, fmt.Errorf("%w: card callback content: %w", errUndecodable, err)
		}
	}
	params := c.CardPrivateData.Params
	if len(params) == 0 {
		params = c.Params
	}
	act := &bot.Action{Name: str(params["action"]), Params: map[string]string{}}
	if act.Name == "" && len(c.CardPrivateData.ActionIDs) > 0 {
		act.Name = c.CardPrivateData.ActionIDs[0]
	}
	if act.Name == "" {
		return nil, fmt.Errorf("%w: card callback without action", errUndecodable)
	}
	switch p := params["params"].(type) {
	case string:
		if p != "" {
			if err := json.Unmarshal([]byte(p), &act.Params); err != nil {
				return nil, fmt.Errorf("%w: card callback params: %w", errUndecodable, err)
			}
		}
	case map[string]any:
		for k, v := range p {
			act.Params[k] = str(v)
		}
	}
	if form, ok := params["form"].(map[string]any); ok {
		act.Form = cards.Values{}
		for k, v := range form {
			if vals := formValues(v); len(vals) > 0 {
				act.Form[k] = vals
			}
		}
	}
	sum := sha256.Sum256([]byte(strings.Join([]string{cb.OutTrackID, cb.UserID, act.Name, raw}, "\x00")))
	ev := &bot.Event{
		ID:       "card:" + hex.EncodeToString(sum[:16]),
		Kind:     bot.KindCardAction,
		Platform: bot.DingTalk,
		Sender:   bot.User{ID: cb.UserID},
		Action:   act,
		Raw:      cb,
	}
	switch cb.SpaceType {
	case "IM_GROUP":
		ev.Chat = bot.Chat{ID: cb.SpaceID, Kind: bot.Group}
	default:
		ev.Chat = bot.Chat{Kind: bot.Direct}
	}
	ev.Message = bot.MessageRef{Platform: bot.DingTalk, ChatID: ev.Chat.ID, MessageID: cb.OutTrackID}
	return ev, nil
}

// formValues reads a submitted form value in any shape the form component
// sends: a string, a number (dates as epoch milliseconds), a boolean, a
// list, or a select's {"index": i, "value": v}.
func formValues(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return []string{x}
	case bool:
		return []string{strconv.FormatBool(x)}
	case float64:
		if x > 1e11 { // epoch milliseconds: a DATE field
			return []string{time.UnixMilli(int64(x)).In(shanghai).Format(cards.DateLayout)}
		}
		return []string{strconv.FormatFloat(x, 'f', -1, 64)}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, formValues(e)...)
		}
		return out
	case map[string]any:
		if val, ok := x["value"]; ok {
			return formValues(val)
		}
		if key, ok := x["key"]; ok {
			return formValues(key)
		}
	}
	return nil
}

// shanghai is China Standard Time, in which DingTalk's date pickers count.
var shanghai = time.FixedZone("CST", 8*3600)

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
