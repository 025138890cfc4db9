package wecom

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/silenceper/wechat/v2/work/message"

	"zhenggai/bot"
	"zhenggai/cards"
)

// ErrMemberLimit is wrapped by the RateLimitedError of a send that would
// exceed a member's 30 messages a minute (or 1000 an hour), which WeCom
// would drop silently.
var ErrMemberLimit = errors.New("wecom: per-member message limit reached")

// groupHint ends the notice an app group gets for an interactive card.
const groupHint = "\n<font color=\"comment\">需办理的事项已通过「整改通」应用单聊发送给相关负责人，请在单聊中操作。</font>"

// sendRequest is the body of message/send (/90236); agentid is an integer.
type sendRequest struct {
	ToUser       string                   `json:"touser,omitempty"`
	ChatID       string                   `json:"chatid,omitempty"`
	MsgType      string                   `json:"msgtype"`
	AgentID      int                      `json:"agentid,omitempty"`
	Text         *content                 `json:"text,omitempty"`
	Markdown     *content                 `json:"markdown,omitempty"`
	File         *media                   `json:"file,omitempty"`
	TemplateCard *cards.WeComTemplateCard `json:"template_card,omitempty"`
}

type content struct {
	Content string `json:"content"`
}

type media struct {
	MediaID string `json:"media_id"`
}

// Send delivers m to a member (Target.UserID) or an app group
// (Target.ChatID). Text goes first, then the card. In a group, where WeCom
// shows no template cards, a card becomes a markdown notice, and an
// interactive card goes 1:1 to the users in m.Mentions.
func (a *Adapter) Send(ctx context.Context, to bot.Target, m *bot.Message) (bot.MessageRef, error) {
	if m.File != nil {
		return a.SendFile(ctx, to, m.File)
	}
	switch {
	case to.UserID != "":
		return a.sendDirect(ctx, []string{to.UserID}, m)
	case to.ChatID != "":
		return a.sendGroup(ctx, to.ChatID, m)
	}
	return bot.MessageRef{}, fmt.Errorf("%w: wecom: empty target", bot.ErrPermanent)
}

// render renders a card with a fresh task_id.
func (a *Adapter) render(c *cards.Card, taskID string) (*cards.WeComCard, error) {
	w, err := cards.RenderWeCom(c, cards.WeComOptions{TaskID: taskID, LinkURL: a.cfg.PublicBaseURL})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", bot.ErrPermanent, err)
	}
	return w, nil
}

// directRequests builds the message/send calls for m: text in chunks of
// 2048 bytes, then the card.
func (a *Adapter) directRequests(m *bot.Message) ([]sendRequest, string, error) {
	var reqs []sendRequest
	for _, chunk := range splitBytes(m.Text, cards.WeComMaxTextBytes) {
		reqs = append(reqs, sendRequest{MsgType: "text", Text: &content{chunk}})
	}
	taskID := ""
	if m.Card != nil {
		taskID = newTaskID()
		w, err := a.render(m.Card, taskID)
		if err != nil {
			return nil, "", err
		}
		if w.Template != nil {
			reqs = append(reqs, sendRequest{MsgType: "template_card", TemplateCard: w.Template})
		} else {
			taskID = ""
			reqs = append(reqs, sendRequest{MsgType: "markdown", Markdown: &content{w.Markdown}})
		}
	}
	if len(reqs) == 0 {
		return nil, "", fmt.Errorf("%w: wecom: empty message", bot.ErrPermanent)
	}
	return reqs, taskID, nil
}

// sendDirect sends m to members through message/send after taking their
// per-member send slots.
func (a *Adapter) sendDirect(ctx context.Context, users []string, m *bot.Message) (bot.MessageRef, error) {
	reqs, taskID, err := a.directRequests(m)
	if err != nil {
		return bot.MessageRef{}, err
	}
	if err := a.reserve(ctx, users, len(reqs)); err != nil {
		return bot.MessageRef{}, err
	}
	return a.sendRequests(ctx, users, reqs, taskID)
}

// sendRequests sends prepared message/send calls to members whose slots
// are taken.
func (a *Adapter) sendRequests(ctx context.Context, users []string, reqs []sendRequest, taskID string) (bot.MessageRef, error) {
	var ref bot.MessageRef
	for _, req := range reqs {
		req.ToUser = strings.Join(users, "|")
		resp, err := a.messageSend(ctx, &req)
		if err != nil {
			return bot.MessageRef{}, err
		}
		ref = bot.MessageRef{Platform: bot.WeCom, MessageID: resp.MsgID}
		if req.TemplateCard != nil {
			ref = bot.MessageRef{Platform: bot.WeCom, MessageID: taskID, Token: resp.ResponseCode}
		}
	}
	return ref, nil
}

// reserve takes n send slots for each user, or returns a RateLimitedError
// saying when they free.
func (a *Adapter) reserve(ctx context.Context, users []string, n int) error {
	wait, err := a.store.ReserveWeComSends(ctx, users, n, a.clock.Now(), a.limits)
	if err != nil {
		return err
	}
	if wait > 0 {
		return &bot.RateLimitedError{RetryAfter: wait, Err: ErrMemberLimit}
	}
	return nil
}

// messageSend calls message/send. Recipients WeCom reports invalid are
// recorded; when every recipient is invalid the error is permanent.
func (a *Adapter) messageSend(ctx context.Context, req *sendRequest) (*message.SendResponse, error) {
	req.AgentID = a.agentID
	var resp message.SendResponse
	err := a.client.postJSON(ctx, "/cgi-bin/message/send", nil, req, &resp)
	if ErrCode(err) == 81013 {
		a.noteInvalid(ctx, strings.Split(req.ToUser, "|"), "81013")
	}
	if err != nil {
		return nil, sendError(err)
	}
	invalid := splitIDs(resp.InvalidUser)
	invalid = append(invalid, splitIDs(resp.UnlicensedUser)...)
	if len(invalid) > 0 {
		a.noteInvalid(ctx, invalid, "invaliduser")
		if len(invalid) >= len(strings.Split(req.ToUser, "|")) {
			return nil, fmt.Errorf("%w: wecom: invalid recipients %s", bot.ErrPermanent, strings.Join(invalid, ", "))
		}
	}
	return &resp, nil
}

func (a *Adapter) noteInvalid(ctx context.Context, users []string, reason string) {
	a.log.WarnContext(ctx, "Recipients refused", slog.Any("users", users), slog.String("reason", reason))
	if err := a.store.NoteWeComInvalidUsers(ctx, users, reason); err != nil {
		a.log.WarnContext(ctx, "Recording refused recipients failed", slog.Any("error", err))
	}
}

// sendGroup sends to an app group: text and markdown notices through
// appchat/send, and an interactive card 1:1 to the mentioned members. The
// members' send slots are taken first, so that a rate limit never repeats
// the group notice.
func (a *Adapter) sendGroup(ctx context.Context, chatID string, m *bot.Message) (bot.MessageRef, error) {
	if m.Text == "" && m.Card == nil {
		return bot.MessageRef{}, fmt.Errorf("%w: wecom: empty message", bot.ErrPermanent)
	}
	var notice string
	var direct []sendRequest
	taskID := ""
	if m.Card != nil {
		var err error
		direct, taskID, err = a.directRequests(&bot.Message{Card: m.Card})
		if err != nil {
			return bot.MessageRef{}, err
		}
		notice = cards.WeComMarkdown(m.Card)
		if taskID == "" || direct[0].TemplateCard.CardType == cards.WeComTextNotice {
			direct = nil // nothing to act on: the notice says it all
		} else {
			notice = truncate(notice, cards.WeComMaxTextBytes-len(groupHint)) + groupHint
		}
		if len(direct) > 0 && len(m.Mentions) == 0 {
			// Nobody mentioned, or every one of them gets the same card 1:1
			// anyway (bot.OneCopyPerChat): the group gets the notice only.
			a.log.DebugContext(ctx, "Interactive card to an app group sent as its notice only", slog.String("chat_id", chatID), slog.String("title", m.Card.Title))
			direct = nil
		}
		if len(direct) > 0 {
			if err := a.reserve(ctx, m.Mentions, len(direct)); err != nil {
				return bot.MessageRef{}, err
			}
		}
	}
	for _, chunk := range splitBytes(m.Text, cards.WeComMaxTextBytes) {
		if err := a.appchatSend(ctx, &sendRequest{ChatID: chatID, MsgType: "text", Text: &content{chunk}}); err != nil {
			return bot.MessageRef{}, err
		}
	}
	ref := bot.MessageRef{Platform: bot.WeCom, ChatID: chatID}
	if notice != "" {
		if err := a.appchatSend(ctx, &sendRequest{ChatID: chatID, MsgType: "markdown", Markdown: &content{notice}}); err != nil {
			return bot.MessageRef{}, err
		}
	}
	if len(direct) == 0 {
		return ref, nil
	}
	dref, err := a.sendRequests(ctx, m.Mentions, direct, taskID)
	if err != nil {
		// The group notice is out; the 1:1 cards are not. Retrying repeats
		// the notice, the lesser harm.
		return bot.MessageRef{}, err
	}
	dref.ChatID = chatID
	return dref, nil
}

// FanOut reports the 1:1 chats a send to an app group also reaches: app
// groups take no cards, so an interactive card goes 1:1 to each mentioned
// member (sendGroup). A notice-only card, a text or a 1:1 send reaches no
// other chat.
func (a *Adapter) FanOut(to bot.Target, m *bot.Message) map[string]bot.Target {
	if to.ChatID == "" || m.Card == nil || len(m.Mentions) == 0 {
		return nil
	}
	w, err := a.render(m.Card, "zg-fanout")
	if err != nil || w.Template == nil || w.Template.CardType == cards.WeComTextNotice {
		return nil
	}
	out := make(map[string]bot.Target, len(m.Mentions))
	for _, u := range m.Mentions {
		if u != "" {
			out[u] = a.DirectTarget(u)
		}
	}
	return out
}

// appchatSend calls appchat/send (/90248).
func (a *Adapter) appchatSend(ctx context.Context, req *sendRequest) error {
	return sendError(a.client.postJSON(ctx, "/cgi-bin/appchat/send", nil, req, nil))
}

// updateTemplateCardRequest is the body of message/update_template_card
// (/94888).
type updateTemplateCardRequest struct {
	UserIDs      []string                 `json:"userids,omitempty"`
	AtAll        int                      `json:"atall,omitempty"`
	AgentID      int                      `json:"agentid"`
	ResponseCode string                   `json:"response_code"`
	Button       *replaceButton           `json:"button,omitempty"`
	TemplateCard *cards.WeComTemplateCard `json:"template_card,omitempty"`
}

type replaceButton struct {
	ReplaceName string `json:"replace_name"`
}

// UpdateCard redraws a sent card for everyone who received it, with the
// single-use response_code in ref.Token (72 h) and the card's task_id in
// ref.MessageID.
func (a *Adapter) UpdateCard(ctx context.Context, ref bot.MessageRef, c *cards.Card) error {
	if ref.Token == "" {
		return fmt.Errorf("%w: wecom: no response_code to update the card with", bot.ErrNotSupported)
	}
	return a.updateCard(ctx, ref.Token, ref.MessageID, nil, c)
}

// updateCard calls update_template_card for users (nil: all receivers). A
// card that needs no template (read-only, no link) disables the buttons
// instead and follows as a markdown message.
func (a *Adapter) updateCard(ctx context.Context, responseCode, taskID string, users []string, c *cards.Card) error {
	if taskID == "" {
		taskID = newTaskID()
	}
	w, err := a.render(c, taskID)
	if err != nil {
		return err
	}
	req := updateTemplateCardRequest{AgentID: a.agentID, ResponseCode: responseCode, UserIDs: users}
	if users == nil {
		req.AtAll = 1
	}
	if w.Template != nil {
		req.TemplateCard = w.Template
	} else {
		req.Button = &replaceButton{ReplaceName: "已处理"}
	}
	if err := a.client.postJSON(ctx, "/cgi-bin/message/update_template_card", nil, req, nil); err != nil {
		return sendError(err)
	}
	if w.Template == nil && users != nil {
		_, err := a.sendDirect(ctx, users, &bot.Message{Card: c})
		return err
	}
	return nil
}

// SendFile uploads f as temporary media (kept 3 days by WeCom) and sends it
// as a file message to a member or an app group.
func (a *Adapter) SendFile(ctx context.Context, to bot.Target, f *bot.File) (bot.MessageRef, error) {
	if to.UserID != "" {
		if err := a.reserve(ctx, []string{to.UserID}, 1); err != nil {
			return bot.MessageRef{}, err
		}
	}
	id, err := a.UploadMedia(ctx, "file", f)
	if err != nil {
		return bot.MessageRef{}, err
	}
	req := &sendRequest{MsgType: "file", File: &media{id}}
	if to.ChatID != "" {
		req.ChatID = to.ChatID
		return bot.MessageRef{Platform: bot.WeCom, ChatID: to.ChatID}, a.appchatSend(ctx, req)
	}
	req.ToUser = to.UserID
	resp, err := a.messageSend(ctx, req)
	if err != nil {
		return bot.MessageRef{}, err
	}
	return bot.MessageRef{Platform: bot.WeCom, MessageID: resp.MsgID}, nil
}

// UploadMedia uploads f with media/upload and returns its media_id.
func (a *Adapter) UploadMedia(ctx context.Context, kind string, f *bot.File) (string, error) {
	if len(f.Content) < 5 || len(f.Content) > 20<<20 {
		return "", fmt.Errorf("%w: wecom: file %q is %d bytes (WeCom takes 5 B to 20 MB)", bot.ErrPermanent, f.Name, len(f.Content))
	}
	b, err := multipartBody(f.Name, f.Content)
	if err != nil {
		return "", err
	}
	var ans struct {
		MediaID string `json:"media_id"`
	}
	if err := a.client.call(ctx, "POST", "/cgi-bin/media/upload", url.Values{"type": {kind}}, &b, &ans); err != nil {
		return "", sendError(err)
	}
	return ans.MediaID, nil
}

func splitIDs(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "|") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// splitBytes cuts s into pieces of at most n bytes on line or character
// boundaries.
func splitBytes(s string, n int) []string {
	var out []string
	for len(s) > n {
		cut := strings.LastIndexByte(s[:n], '\n')
		if cut <= 0 {
			cut = n
			for cut > 0 && (s[cut]&0xC0) == 0x80 {
				cut--
			}
		}
		out = append(out, s[:cut])
		s = strings.TrimPrefix(s[cut:], "\n")
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

// truncate cuts s to at most n bytes on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n]
}
