package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"path"
	"strconv"
	"strings"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store"
)

// Playing someone: what the page's send and action do, for the page's HTTP
// handlers and for code that plays a campaign in Go (the demo's history,
// demo package). Both go through the same checks and the same Dispatch.

// PlayError is a refusal the page shows as an error toast: Status is the
// HTTP status the page gets, Message the Chinese text, Fields the form
// fields at fault. Err, when set, is an internal cause to log.
type PlayError struct {
	Status  int
	Message string
	Fields  []fieldError
	Err     error
}

func (e *PlayError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("sim: %s: %v", e.Message, e.Err)
	}
	return "sim: " + e.Message
}

func (e *PlayError) Unwrap() error { return e.Err }

func refuse(status int, msg string, err error) *PlayError {
	return &PlayError{Status: status, Message: msg, Err: err}
}

// Upload is a file the person attaches to a message.
type Upload struct {
	Name string `json:"name"`
	MIME string `json:"mime"`
	Data []byte `json:"data"`
}

// maxText is the longest message the page may send, in characters.
const maxText = 4000

// maxFile is the largest file the page may attach, as the real platforms'
// own limits for files sent to a bot are about this size.
const maxFile = 10 << 20

// identity returns the directory and the identity of account, or a
// PlayError.
func (a *Adapter) identity(ctx context.Context, account string) (*Directory, *Identity, error) {
	d, err := a.directory(ctx)
	if err != nil {
		return nil, nil, refuse(http.StatusInternalServerError, "读取人员名单失败", err)
	}
	id := d.Identity(account)
	if id == nil {
		return nil, nil, refuse(http.StatusForbidden, "没有这个身份："+account, nil)
	}
	return d, id, nil
}

// Post is account writing text (and f, when not nil) in chatID: the message
// is kept in the chat's history and, when the bot hears it (a 1:1, or a
// group message that @-mentions it), dispatched to d. It returns the stored
// message and whether d saw it.
func (a *Adapter) Post(ctx context.Context, d bot.Dispatcher, account, chatID, text string, f *Upload) (*store.SimMessage, bool, error) {
	_, m, ok, err := a.post(ctx, d, account, chatID, text, f)
	return m, ok, err
}

// post is Post, also returning the directory it read.
func (a *Adapter) post(ctx context.Context, d bot.Dispatcher, account, chatID, text string, f *Upload) (*Directory, *store.SimMessage, bool, error) {
	dir, id, err := a.identity(ctx, account)
	if err != nil {
		return nil, nil, false, err
	}
	chat, ok := id.chat(chatID)
	if !ok {
		return nil, nil, false, refuse(http.StatusForbidden, "您不在这个会话中", nil)
	}
	text = strings.TrimSpace(text)
	switch {
	case text == "" && f == nil:
		return nil, nil, false, refuse(http.StatusBadRequest, "消息不能为空", nil)
	case f != nil && (strings.TrimSpace(f.Name) == "" || len(f.Data) == 0):
		return nil, nil, false, refuse(http.StatusBadRequest, "附件是空的", nil)
	case f != nil && len(f.Data) > maxFile:
		return nil, nil, false, refuse(http.StatusRequestEntityTooLarge, "附件不能超过 10 MB", nil)
	case cards.RuneLen(text) > maxText:
		return nil, nil, false, refuse(http.StatusBadRequest, fmt.Sprintf("消息不能超过 %d 字", maxText), nil)
	}
	var others []bot.User
	for _, other := range dir.Identities {
		if other.Account != id.Account && strings.Contains(text, "@"+other.Name) && other.CanSee(chat.ID) {
			others = append(others, bot.User{ID: other.Account, Name: other.Name})
		}
	}
	p := &store.SimMessageParams{ChatID: chat.ID, Sender: id.Account, Text: text, At: a.opts.Clock.Now()}
	raw := sendRequest{As: account, Chat: chatID, Text: text}
	var files []bot.File
	if f != nil {
		name := path.Base(strings.ReplaceAll(strings.TrimSpace(f.Name), "\\", "/"))
		typ := f.MIME
		if typ == "" {
			typ = http.DetectContentType(f.Data)
		}
		p.FileName, p.FileMIME, p.FileContent = name, typ, f.Data
		files = []bot.File{{Name: name, MIME: typ, Content: f.Data}}
		raw.File = &Upload{Name: name, MIME: typ} // Raw keeps no copy of the bytes
	}
	m, err := a.store.CreateSimMessage(ctx, p)
	if err != nil {
		return nil, nil, false, refuse(http.StatusInternalServerError, "发送失败", err)
	}
	a.hub.notify()
	stripped, atBot := mentionsBot(text)
	if chat.Kind == "group" && !atBot {
		// In a group the bot hears only what @-mentions it.
		return dir, m, false, nil
	}
	ev := &bot.Event{
		ID: "sim-m" + strconv.FormatInt(m.ID, 10), Kind: bot.KindMessage, Platform: bot.Sim,
		Chat:   eventChat(chat),
		Sender: bot.User{ID: id.Account, Name: id.Name}, Text: stripped, Mentions: others, Files: files,
		Message: bot.MessageRef{Platform: bot.Sim, ChatID: chat.ID, MessageID: strconv.FormatInt(m.ID, 10)},
		At:      p.At,
		Raw:     raw,
	}
	if _, err := d.Dispatch(ctx, ev); err != nil {
		return nil, nil, false, refuse(http.StatusInternalServerError, "机器人处理消息时出错，请稍后再试", err)
	}
	return dir, m, true, nil
}

// Click is account pressing a button (form nil) or submitting the form
// (form not nil) of card message messageID in chatID. The click must match
// what the stored card offers, as on a platform that keeps a card's values
// itself, and a form's values must pass its checks. It returns the card
// message as it now stands and the bot's reply.
func (a *Adapter) Click(ctx context.Context, d bot.Dispatcher, account, chatID string, messageID int64,
	action string, params map[string]string, form cards.Values) (*store.SimMessage, *bot.Reply, error) {
	_, m, reply, err := a.click(ctx, d, account, chatID, messageID, action, params, form)
	return m, reply, err
}

// click is Click, also returning the directory it read.
func (a *Adapter) click(ctx context.Context, d bot.Dispatcher, account, chatID string, messageID int64,
	action string, params map[string]string, form cards.Values) (*Directory, *store.SimMessage, *bot.Reply, error) {
	dir, id, err := a.identity(ctx, account)
	if err != nil {
		return nil, nil, nil, err
	}
	chat, ok := id.chat(chatID)
	if !ok {
		return nil, nil, nil, refuse(http.StatusForbidden, "您不在这个会话中", nil)
	}
	m, err := a.store.SimMessageByID(ctx, messageID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (m.ChatID != chat.ID || len(m.Card) == 0)) {
		return nil, nil, nil, refuse(http.StatusNotFound, "卡片不存在", nil)
	}
	if err != nil {
		return nil, nil, nil, refuse(http.StatusInternalServerError, "读取卡片失败", err)
	}
	var c cards.Card
	if err := json.Unmarshal(m.Card, &c); err != nil {
		return nil, nil, nil, refuse(http.StatusInternalServerError, "读取卡片失败", err)
	}
	var f *cards.Form
	matched := false
	if form != nil {
		if cf := c.Form(); cf != nil && cf.Submit.Action == action && sameParams(cf.Submit.Params, params) {
			f, matched = cf, true
		}
	} else {
		matched = hasButton(&c, action, params)
	}
	if !matched {
		return nil, nil, nil, refuse(http.StatusConflict, "卡片已更新，请刷新后重试", nil)
	}
	if m.Submitted {
		return nil, nil, nil, refuse(http.StatusConflict, "该表单已提交", nil)
	}
	if f != nil {
		if errs := f.Check(form); len(errs) > 0 {
			pe := &PlayError{Status: http.StatusUnprocessableEntity, Message: errs[0].Message}
			for _, e := range errs {
				pe.Fields = append(pe.Fields, fieldError{Field: e.Field, Message: e.Message})
			}
			return nil, nil, nil, pe
		}
	}
	ev := &bot.Event{
		ID: "sim-a" + randomID(), Kind: bot.KindCardAction, Platform: bot.Sim,
		Chat:    eventChat(chat),
		Sender:  bot.User{ID: id.Account, Name: id.Name},
		Action:  &bot.Action{Name: action, Params: maps.Clone(params), Form: form},
		Message: bot.MessageRef{Platform: bot.Sim, ChatID: chat.ID, MessageID: strconv.FormatInt(m.ID, 10)},
		At:      a.opts.Clock.Now(),
		Raw:     actionRequest{As: account, Chat: chatID, Message: messageID, Action: action, Params: params, Form: form},
	}
	if ev.Action.Params == nil {
		ev.Action.Params = map[string]string{}
	}
	reply, err := d.Dispatch(ctx, ev)
	if err != nil {
		return nil, nil, nil, refuse(http.StatusInternalServerError, "机器人处理操作时出错，请稍后再试", err)
	}
	switch {
	case reply != nil && reply.Card != nil:
		body, err := json.Marshal(reply.Card)
		if err != nil {
			return nil, nil, nil, refuse(http.StatusInternalServerError, "更新卡片失败", err)
		}
		if m, err = a.store.UpdateSimCard(ctx, m.ID, body); err != nil {
			return nil, nil, nil, refuse(http.StatusInternalServerError, "更新卡片失败", err)
		}
		a.hub.notify()
	case f != nil && (reply == nil || reply.ToastKind != "error"):
		if m, err = a.store.MarkSimSubmitted(ctx, m.ID); err != nil {
			return nil, nil, nil, refuse(http.StatusInternalServerError, "更新卡片失败", err)
		}
		a.hub.notify()
	}
	return dir, m, reply, nil
}
