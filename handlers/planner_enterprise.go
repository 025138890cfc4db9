package handlers

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store"
)

// undeliveredLookback bounds how far back the planner looks for relay
// messages the outbox gave up on.
const undeliveredLookback = 7 * 24 * time.Hour

// planEnterpriseRequests plans the notices for enterprise requests past
// their answer clock (request_answer_hours). It runs hourly (schedule
// "requests") inside the planning transaction: read from run.Store, address
// people with run.Bot.TargetOf, and give every message a Key naming the
// request, the stage and the recipient (ereq:<number>:late:p:<person>), so
// that it goes out once.
//
// The clock runs in working hours (enterprise_clock.go) from the
// enterprise's oldest unanswered message (waiting_since); each waiting spell
// has its own keys (w<unix of its start>), so a request answered and asked
// again is reminded again. Past the limit the owner is reminded; past twice
// the limit the office is told. The same run tells a leader when the
// outbox gave up on one of his replies, and holds a reply refused by the
// 微信客服 window again until the enterprise writes.
//
// Answered requests the enterprise neither rated nor wrote about for
// request_autoclose_days close themselves (autoclose), and both sides are
// told.
func (h *handler) planEnterpriseRequests(ctx context.Context, run *bot.PlanRun) ([]bot.Outgoing, error) {
	c := run.Campaign
	loc := c.Location()
	hours := answerHours(c)
	qs, err := run.Store.RequestsWaitingSince(ctx, c.ID, run.Occurrence.Add(-time.Duration(hours)*time.Hour))
	if err != nil {
		return nil, err
	}
	failed, err := run.Store.UndeliveredReplies(ctx, c.ID, run.Occurrence.Add(-undeliveredLookback))
	if err != nil {
		return nil, err
	}
	quiet, err := run.Store.AnsweredRequestsQuietSince(ctx, c.ID, run.Occurrence.AddDate(0, 0, -autocloseDays(c)))
	if err != nil {
		return nil, err
	}
	if len(qs) == 0 && len(failed) == 0 && len(quiet) == 0 {
		return nil, nil
	}
	e, err := newPlanEnv(ctx, run)
	if err != nil {
		return nil, err
	}
	var owners []int64
	for _, q := range qs {
		owners = append(owners, q.OwnerID)
	}
	for _, f := range failed {
		owners = append(owners, f.OwnerID)
	}
	for _, q := range quiet {
		owners = append(owners, q.OwnerID)
	}
	if err := e.loadPeople(ctx, owners); err != nil {
		return nil, err
	}
	if err := h.autoclose(ctx, run, e, quiet); err != nil {
		return nil, err
	}
	for _, q := range qs {
		due := addWorkingHours(e.cal, *q.WaitingSince, hours, loc)
		if run.Occurrence.Before(due) {
			continue
		}
		key := fmt.Sprintf("ereq:%s:w%d", q.Number, q.WaitingSince.Unix())
		owner := q.OwnerID
		e.toPerson(&owner, key+":late", requestSubject(q), requestLateCard(q, due, hours, loc, false))
		if due2 := addWorkingHours(e.cal, *q.WaitingSince, 2*hours, loc); !run.Occurrence.Before(due2) {
			e.toOffice(key+":office", requestLateCard(q, due2, hours, loc, true))
		}
	}
	for _, f := range failed {
		held := false
		if strings.Contains(f.Error, "微信客服回复窗口") {
			// Only the enterprise can reopen the window: keep the reply
			// until it writes again. (A session a human agent holds is
			// not held here: writing again would not free it.)
			if err := run.Store.SetMessageHeld(ctx, f.Message.ID, true); err != nil {
				return nil, err
			}
			held = true
		}
		if err := run.Store.MarkUndeliveredReported(ctx, f.Message.ID, f.DeliveryID); err != nil {
			return nil, err
		}
		owner := f.OwnerID
		key := "ereq:" + f.Number + ":undelivered:" + strconv.FormatInt(f.DeliveryID, 10)
		e.toPerson(&owner, key, "", undeliveredCard(f.Number, f.Enterprise, f.Message.Text, deliveryReason(f.Error), held))
	}
	return e.out, nil
}

// deliveryReason turns the outbox's last error into words for a leader.
func deliveryReason(errText string) string {
	if i := strings.Index(errText, "微信客服"); i >= 0 {
		return strings.TrimSpace(errText[i:])
	}
	if strings.Contains(errText, "not enabled") {
		return "企业所用的消息平台未启用"
	}
	return "消息平台拒绝发送（" + truncateRunes(errText, 80) + "）"
}

// autoclose closes answered requests that stayed quiet for the campaign's
// request_autoclose_days, with an audit row each, and tells the leader and
// the enterprise (keys ereq:<number>:autoclose:…, once). The enterprise may
// still rate a closed request.
func (h *handler) autoclose(ctx context.Context, run *bot.PlanRun, e *planEnv, quiet []*store.EnterpriseRequest) error {
	days := autocloseDays(run.Campaign)
	for _, q := range quiet {
		if err := run.Store.CloseEnterpriseRequest(ctx, q.ID, run.Occurrence); err != nil {
			return err
		}
		if err := run.Store.AppendAudit(ctx, store.AuditParams{Actor: store.System, Entity: "enterprise_request", EntityID: q.Number,
			Action: "autoclose", Old: map[string]any{"state": q.State}, New: map[string]any{"state": store.RequestClosed, "days": days}}); err != nil {
			return err
		}
		key := "ereq:" + q.Number + ":autoclose"
		told := "企业已收到通知"
		to, ok, err := contactTarget(ctx, run.Bot, run.Store, q.ContactID)
		if err != nil {
			return err
		}
		if ok && to.Platform == bot.WeComKF {
			why, err := kfWindowProblem(ctx, run.Store, to.UserID, run.Occurrence, 0)
			if err != nil {
				return err
			}
			if why != "" {
				ok, told = false, "企业未收到通知："+why
			}
		} else if !ok {
			told = "企业未收到通知：企业联系人在已启用的消息平台上都没有账号"
		}
		if ok {
			e.out = append(e.out, bot.Outgoing{To: to, Key: key + ":contact", Message: bot.Message{Text: fmt.Sprintf(
				"诉求 %s 已答复 %d 天未收到您的评价，已自动办结。如问题仍未解决，请直接回复说明，我们将重新转交联系领导办理；也可回复“满意”“基本满意”或“不满意”进行评价。",
				q.Number, days)}})
		}
		owner := q.OwnerID
		e.toPerson(&owner, key, requestSubject(q), &cards.Card{Title: "诉求已自动办结 · " + q.Number, Subtitle: q.EnterpriseName, Tone: cards.ToneInfo,
			Blocks: []cards.Block{cards.MD(fmt.Sprintf("您答复的诉求 **%s**（%s %s）%d 天内企业未评价，已自动办结（%s）。企业之后仍可评价或重新提出。",
				q.Number, q.EnterpriseName, q.ContactName, days, told))}})
	}
	return nil
}
