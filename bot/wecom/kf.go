package wecom

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/silenceper/wechat/v2/work/kf"
	"github.com/silenceper/wechat/v2/work/kf/sendmsg"
	"github.com/silenceper/wechat/v2/work/kf/sendmsgonevent"
	"github.com/silenceper/wechat/v2/work/kf/syncmsg"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store"
)

// 微信客服 (/94670, /94677): WeChat users write to a kf account managed by
// the app; WeCom posts kf_msg_or_event to the app's callback, and the app
// pulls the messages with sync_msg from a cursor and answers with send_msg,
// at most 5 messages within 48 hours of the user's last message.
//
// The cursor lives in Postgres (wecom_kf_cursors). A page is fetched and
// dispatched while its account's cursor row is locked, and the cursor moves
// only after every message of the page was dispatched; each message is
// deduplicated on its msgid in the transaction of its effects. A crash
// mid-page re-reads the page and applies nothing twice; a restart continues
// from the saved cursor, so no message is lost.
//
// The reply window is enforced before sending: when it is closed (no
// message from the user in 48 hours) or used up (5 replies), Send fails with
// an error wrapping ErrKFWindow, which wraps bot.ErrPermanent: the delivery
// is given up with the Chinese reason, since only the user can reopen the
// window by writing again.

// KF reply window (/94677).
const (
	KFWindow     = 48 * time.Hour
	KFMaxReplies = 5
)

// ErrKFWindow is wrapped by sends outside the 微信客服 reply window.
var ErrKFWindow = fmt.Errorf("%w: 微信客服回复窗口已关闭", bot.ErrPermanent)

// ErrKFSessionHeld is wrapped by sends to a WeChat user whose 微信客服
// session the API may not answer: a human agent serves it, it waits in the
// queue for one, or it has ended. It wraps bot.ErrPermanent; the leader is
// told why (handlers' undelivered notice), and retrying cannot help.
var ErrKFSessionHeld = fmt.Errorf("%w: 微信客服会话不由应用接待", bot.ErrPermanent)

// 微信客服 session states (/94669).
const (
	kfStateNew       = 0 // 未处理: the API may answer, or hand the session on
	kfStateAssistant = 1 // 由智能助手接待: the API answers
	kfStateQueued    = 2 // 待接入池排队中
	kfStateHuman     = 3 // 由人工接待
	kfStateEnded     = 4 // 已结束/未开始: no change through the API
)

// kfServiceState is kf/service_state/get's answer. The SDK's struct reads
// "service_userid"; the documentation (/94669) names it servicer_userid.
type kfServiceState struct {
	ServiceState   int    `json:"service_state"`
	ServicerUserID string `json:"servicer_userid"`
}

// takeSession makes sure send_msg may answer the user: only a session that
// is 未处理 or 由智能助手接待 takes API messages (/94669). A new session is
// taken by the assistant (kf/service_state/trans to 1) so that a human
// agent's client shows it as answered; any other state is ErrKFSessionHeld
// with the reason in Chinese.
func (k *KFAdapter) takeSession(ctx context.Context, openKFID, user string) error {
	var st kfServiceState
	if err := k.a.client.postJSON(ctx, "/cgi-bin/kf/service_state/get", nil,
		kf.ServiceStateGetOptions{OpenKFID: openKFID, ExternalUserID: user}, &st); err != nil {
		return sendError(err)
	}
	switch st.ServiceState {
	case kfStateAssistant:
		return nil
	case kfStateNew:
		err := k.a.client.postJSON(ctx, "/cgi-bin/kf/service_state/trans", nil,
			kf.ServiceStateTransOptions{OpenKFID: openKFID, ExternalUserID: user, ServiceState: kfStateAssistant}, nil)
		return sendError(err)
	case kfStateHuman:
		who := "人工客服"
		if st.ServicerUserID != "" {
			who += "（接待人员 " + st.ServicerUserID + "）"
		}
		return fmt.Errorf("%w：该企业的微信客服会话正由%s接待，企业微信不允许应用在此期间代为回复；请接待人员在企业微信中转告答复，或电话联系企业", ErrKFSessionHeld, who)
	case kfStateQueued:
		return fmt.Errorf("%w：该企业的微信客服会话正在待接入池排队等待人工客服，企业微信不允许应用在此期间代为回复；请接待人员接入后转告答复，或电话联系企业", ErrKFSessionHeld)
	default:
		return fmt.Errorf("%w：该企业的微信客服会话已结束（状态 %d），需等企业再次来信后才能回复", ErrKFSessionHeld, st.ServiceState)
	}
}

// KFAdapter is the wecom_kf platform: same corp, app and callback as the
// WeCom adapter.
type KFAdapter struct {
	a *Adapter

	mu     sync.Mutex
	tokens map[string]string // open_kfid → newest callback token
	kick   chan struct{}
}

var (
	_ bot.Adapter     = (*KFAdapter)(nil)
	_ bot.Runner      = (*KFAdapter)(nil)
	_ bot.FileFetcher = (*KFAdapter)(nil)
	_ bot.FormLimiter = (*KFAdapter)(nil)
	_ bot.Addresser   = (*KFAdapter)(nil)
)

func newKF(a *Adapter) *KFAdapter {
	return &KFAdapter{a: a, tokens: map[string]string{}, kick: make(chan struct{}, 1)}
}

// Platform is bot.WeComKF.
func (k *KFAdapter) Platform() bot.Platform { return bot.WeComKF }

// Forms is false: WeChat users get plain text.
func (k *KFAdapter) Forms(bot.Target) bool { return false }

// DirectTarget addresses a WeChat user by external_userid.
func (k *KFAdapter) DirectTarget(userID string) bot.Target {
	return bot.Target{Platform: bot.WeComKF, UserID: userID}
}

// Kick asks the sync loop to pull an account's new messages; token is the
// callback's, valid 10 minutes, which lifts sync_msg's strict rate limit.
func (k *KFAdapter) Kick(openKFID, token string) {
	if openKFID == "" {
		return
	}
	k.mu.Lock()
	k.tokens[openKFID] = token
	k.mu.Unlock()
	select {
	case k.kick <- struct{}{}:
	default:
	}
}

// Run syncs every known account once (catching up what came while the
// service was down), then each account it is kicked for, until ctx ends.
func (k *KFAdapter) Run(ctx context.Context, d bot.Dispatcher) error {
	ids, err := k.a.store.KFAccounts(ctx)
	if err != nil {
		k.a.log.WarnContext(ctx, "Listing kf accounts failed", slog.Any("error", err))
	}
	for _, id := range ids {
		if _, err := k.Sync(ctx, d, id, ""); err != nil && ctx.Err() == nil {
			k.a.log.WarnContext(ctx, "kf catch-up failed", slog.String("open_kfid", id), slog.Any("error", err))
		}
	}
	retry := time.NewTicker(time.Minute)
	defer retry.Stop()
	failed := map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-k.kick:
		case <-retry.C:
			if len(failed) == 0 {
				continue
			}
		}
		k.mu.Lock()
		todo := k.tokens
		k.tokens = map[string]string{}
		k.mu.Unlock()
		for id := range failed {
			if _, ok := todo[id]; !ok {
				todo[id] = ""
			}
		}
		for id, token := range todo {
			if _, err := k.Sync(ctx, d, id, token); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				failed[id] = true
				k.a.log.WarnContext(ctx, "kf sync failed", slog.String("open_kfid", id), slog.Any("error", err))
				continue
			}
			delete(failed, id)
		}
	}
}

// syncAnswer is the answer of kf/sync_msg.
type syncAnswer struct {
	NextCursor string            `json:"next_cursor"`
	HasMore    int               `json:"has_more"`
	MsgList    []json.RawMessage `json:"msg_list"`
}

// Sync pulls and dispatches an account's messages from its stored cursor
// until WeCom has no more, and returns how many messages from WeChat users
// it read (duplicates included: the bot drops them).
func (k *KFAdapter) Sync(ctx context.Context, d bot.Dispatcher, openKFID, token string) (int, error) {
	n := 0
	for {
		var more bool
		err := k.a.store.InTx(ctx, func(tx *store.Store) error {
			cursor, err := tx.LockKFCursor(ctx, openKFID)
			if err != nil {
				return err
			}
			var ans syncAnswer
			req := kf.SyncMsgOptions{Cursor: cursor, Token: token, Limit: 1000, OpenKfID: openKFID}
			if err := k.a.client.postJSON(ctx, "/cgi-bin/kf/sync_msg", nil, req, &ans); err != nil {
				return err
			}
			for _, raw := range ans.MsgList {
				ok, err := k.dispatch(ctx, tx, d, raw)
				if err != nil {
					return err
				}
				if ok {
					n++
				}
			}
			more = ans.HasMore == 1 && ans.NextCursor != "" && ans.NextCursor != cursor
			return tx.SetKFCursor(ctx, openKFID, ans.NextCursor, k.a.clock.Now())
		})
		if err != nil {
			return n, fmt.Errorf("wecom: kf sync %s: %w", openKFID, err)
		}
		if !more {
			return n, nil
		}
	}
}

// Origins of kf messages.
const kfFromCustomer = 3

// dispatch turns one synced message into an event. Only what WeChat users
// send (origin 3) is dispatched; events and the servicers' own messages
// are skipped. Any message of the user reopens their reply window.
func (k *KFAdapter) dispatch(ctx context.Context, tx *store.Store, d bot.Dispatcher, raw json.RawMessage) (bool, error) {
	var base struct {
		syncmsg.BaseMessage
		MsgType string `json:"msgtype"`
	}
	if err := json.Unmarshal(raw, &base); err != nil {
		return false, fmt.Errorf("decode message: %w", err)
	}
	if base.MsgType == "event" {
		return false, k.event(ctx, raw)
	}
	if base.Origin != kfFromCustomer || base.ExternalUserID == "" {
		return false, nil
	}
	at := time.Unix(int64(base.SendTime), 0)
	if err := tx.NoteKFInbound(ctx, base.OpenKFID, base.ExternalUserID, at); err != nil {
		return false, err
	}
	text := ""
	var files []bot.File
	switch base.MsgType {
	case "text":
		var m syncmsg.Text
		if err := json.Unmarshal(raw, &m); err != nil {
			return false, fmt.Errorf("decode text: %w", err)
		}
		text = m.Text.Content
	case "image", "voice", "video", "file":
		var m map[string]json.RawMessage
		var media struct {
			MediaID string `json:"media_id"`
		}
		if err := json.Unmarshal(raw, &m); err != nil || json.Unmarshal(m[base.MsgType], &media) != nil || media.MediaID == "" {
			return false, fmt.Errorf("decode %s: no media_id", base.MsgType)
		}
		// Downloaded by the bot after this sync (its fetch job), so a
		// slow or failing download does not stall the cursor; a lost one
		// is answered to the sender by name.
		files = append(files, bot.File{Name: mediaName(base.MsgType, media.MediaID), Ref: media.MediaID})
	}
	ev := &bot.Event{
		ID: base.MsgID, Kind: bot.KindMessage, Platform: bot.WeComKF,
		Chat:   bot.Chat{Kind: bot.Direct},
		Sender: bot.User{ID: base.ExternalUserID},
		Text:   text,
		Files:  files,
		At:     at,
		Raw:    raw,
	}
	ev.Message = bot.MessageRef{Platform: bot.WeComKF, MessageID: base.MsgID}
	if text == "" && len(files) == 0 {
		// Locations, links, mini programs and the like: the handlers see
		// the kind in brackets.
		ev.Text = "[" + base.MsgType + "]"
	}
	if _, err := d.Dispatch(ctx, ev); err != nil {
		return false, err
	}
	return true, nil
}

// welcomeMaxAge is how old an enter_session event may be for its
// welcome_code (valid 20 s) to be worth using.
const welcomeMaxAge = 20 * time.Second

// DefaultKFWelcome greets a WeChat user who opens the 微信客服 chat.
const DefaultKFWelcome = "您好，这里是交通运输执法领域突出问题专项整治「整改通」微信客服。请直接留言说明您的诉求，对口联系领导会尽快答复。首次使用请发送“绑定 绑定码”完成登记。"

// event handles 微信客服 system events: a user entering the chat gets the
// welcome (send_msg_on_event with the event's single-use welcome_code), a
// message WeCom failed to deliver is logged.
func (k *KFAdapter) event(ctx context.Context, raw json.RawMessage) error {
	var ev syncmsg.EnterSessionEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return fmt.Errorf("decode event: %w", err)
	}
	switch ev.Event.EventType {
	case "enter_session":
		age := k.a.clock.Now().Sub(time.Unix(int64(ev.SendTime), 0))
		if ev.Event.WelcomeCode == "" || age > welcomeMaxAge || k.a.cfg.KFWelcome == "-" {
			return nil
		}
		msg := sendmsgonevent.Text{Message: sendmsgonevent.Message{Code: ev.Event.WelcomeCode}, MsgType: "text"}
		msg.Text.Content = cmp.Or(k.a.cfg.KFWelcome, DefaultKFWelcome)
		if err := k.a.client.postJSON(ctx, "/cgi-bin/kf/send_msg_on_event", nil, msg, nil); err != nil {
			// The code is single-use and short-lived: nothing to retry.
			k.a.log.WarnContext(ctx, "kf welcome failed", slog.String("external_userid", ev.Event.ExternalUserID), slog.Any("error", err))
		}
	case "msg_send_fail":
		var f syncmsg.MsgSendFailEvent
		_ = json.Unmarshal(raw, &f)
		k.a.log.WarnContext(ctx, "kf message not delivered by WeCom", slog.String("external_userid", f.Event.ExternalUserID),
			slog.String("msgid", f.Event.FailMsgID))
	}
	return nil
}

// Send answers a WeChat user with send_msg, as plain text (WeChat shows no
// cards): text and card go in one message to spare the window's 5 replies.
// The window is checked and counted in one transaction around the call.
func (k *KFAdapter) Send(ctx context.Context, to bot.Target, m *bot.Message) (bot.MessageRef, error) {
	if to.UserID == "" {
		return bot.MessageRef{}, fmt.Errorf("%w: wecom_kf: only 1:1 chats", bot.ErrPermanent)
	}
	var parts []string
	if m.Text != "" {
		parts = append(parts, m.Text)
	}
	if m.Card != nil {
		parts = append(parts, cards.WeComPlain(m.Card))
	}
	if m.File != nil {
		parts = append(parts, "（附件“"+m.File.Name+"”无法通过微信客服发送，请联系对口领导获取。）")
	}
	text := truncate(strings.Join(parts, "\n\n"), cards.WeComMaxTextBytes)
	if text == "" {
		return bot.MessageRef{}, fmt.Errorf("%w: wecom_kf: empty message", bot.ErrPermanent)
	}
	var ref bot.MessageRef
	err := k.a.store.InTx(ctx, func(tx *store.Store) error {
		w, err := tx.LockKFWindow(ctx, to.UserID)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w：该微信用户尚未通过微信客服发来消息，无法主动发送", ErrKFWindow)
		}
		if err != nil {
			return err
		}
		now := k.a.clock.Now()
		if now.After(w.LastInboundAt.Add(KFWindow)) {
			return fmt.Errorf("%w：客户最后一条消息已超过48小时（%s），需等客户再次来信后才能回复", ErrKFWindow,
				w.LastInboundAt.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04"))
		}
		if w.Replies >= KFMaxReplies {
			return fmt.Errorf("%w：客户上次来信后已回复%d条，达到微信客服上限，需等客户再次来信后才能回复", ErrKFWindow, w.Replies)
		}
		if err := k.takeSession(ctx, w.OpenKFID, to.UserID); err != nil {
			return err
		}
		msg := sendmsg.Text{Message: sendmsg.Message{ToUser: to.UserID, OpenKFID: w.OpenKFID}, MsgType: "text"}
		msg.Text.Content = text
		var ans kf.SendMsgSchema
		if err := k.a.client.postJSON(ctx, "/cgi-bin/kf/send_msg", nil, msg, &ans); err != nil {
			return sendError(err)
		}
		ref = bot.MessageRef{Platform: bot.WeComKF, MessageID: ans.MsgID}
		return tx.AddKFReply(ctx, to.UserID)
	})
	return ref, err
}
