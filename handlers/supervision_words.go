package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"zhenggai/bot"
	"zhenggai/store"
)

// Typed labels of the 督办单 buttons (words.go): "签收 DB-2026-007",
// "答复 DB-2026-007 已约谈…", "办结督办单 DB-2026-007", "查看督办单
// DB-2026-007". Without a number, the asker's only notice waiting for that
// step is meant; with several, the list is the answer. Each runs the
// button's own action handler, so its authorization is the button's.

// noticeWaitingState is the state a typed label's action needs.
var noticeWaitingState = map[string]string{
	"notice.sign": store.NoticeIssued, "notice.answer.form": store.NoticeSigned, "notice.close": store.NoticeAnswered,
}

// typedNoticeOf is the notice a typed label names, or the asker's only one
// waiting for action; list is set instead when there are several or none.
func (h *handler) typedNoticeOf(ctx context.Context, r *bot.Request, word, action string) (n *store.SupervisionNotice, rest string, list *bot.Reply, err error) {
	if err := needPerson(r); err != nil {
		return nil, "", nil, err
	}
	folded := strings.TrimSpace(bot.FoldWidth(r.Args))
	if number, rest := leadingNumber(folded); strings.HasPrefix(number, "DB-") {
		n, err := r.Store.SupervisionNoticeByNumber(ctx, r.Campaign.ID, number)
		if errors.Is(err, store.ErrNotFound) {
			return nil, "", nil, bot.Refuse("未找到督办单 %s。", number)
		}
		return n, rest, nil, err
	}
	var unitIDs []int64
	if !r.Roles.Office || action != "notice.close" {
		unitIDs = append(append(append(unitIDs, r.Roles.Leads...), r.Roles.Liaises...), r.Roles.Member...)
	}
	ns, err := r.Store.SupervisionNotices(ctx, r.Campaign.ID, unitIDs, true)
	if err != nil {
		return nil, "", nil, err
	}
	var waiting []*store.SupervisionNotice
	for _, x := range ns {
		if want, ok := noticeWaitingState[action]; !ok || x.State == want {
			waiting = append(waiting, x)
		}
	}
	if len(waiting) == 1 {
		return waiting[0], folded, nil, nil
	}
	if len(waiting) == 0 {
		return nil, "", nil, bot.Refuse("您目前没有需要%s的督办单。如需办理其他督办单，请写明编号，例如“%s DB-2026-001”。", word, word)
	}
	list, err = h.noticesCommand(ctx, r)
	if err != nil {
		return nil, "", nil, err
	}
	list.Text = fmt.Sprintf("您有 %d 件督办单，请写明编号，例如“%s %s”。", len(waiting), word, waiting[0].Number)
	return nil, "", list, nil
}

// typedNotice is a typed label acting on a notice.
func (h *handler) typedNotice(word, action string, run bot.Handler) bot.Handler {
	return func(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
		n, _, list, err := h.typedNoticeOf(ctx, r, word, action)
		if err != nil || list != nil {
			return list, err
		}
		return asAction(ctx, r, action, noticeParams(n), run)
	}
}

// typedAnswer answers 答复 [编号] [办理情况]: with a text (and any file
// sent with it), the answer; without, the answer form.
func (h *handler) typedAnswer(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	n, text, list, err := h.typedNoticeOf(ctx, r, "答复", "notice.answer.form")
	if err != nil || list != nil {
		return list, err
	}
	if text == "" {
		return asAction(ctx, r, "notice.answer.form", noticeParams(n), h.noticeAnswerForm)
	}
	saved := r.Event.Action
	r.Event.Action = &bot.Action{Name: "notice.answer.submit", Params: noticeParams(n), Form: map[string][]string{"text": {text}}}
	defer func() { r.Event.Action = saved }()
	reply, err := h.noticeAnswerSubmit(ctx, r)
	if err != nil || reply == nil {
		return reply, err
	}
	reply.Text, reply.Toast = reply.Toast, ""
	return reply, nil
}
