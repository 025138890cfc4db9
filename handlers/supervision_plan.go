package handlers

import (
	"context"
	"fmt"
	"time"

	"zhenggai/cards"
	"zhenggai/store"
)

// Escalation of 督办单 along the reminders' ladder (itemStageDay): a notice
// not signed on the day it was issued is reminded to the unit's liaison on
// the next workday, to its leader one workday later and to the office's
// head (the office unit's leader) three workdays later. Once the reply
// deadline has passed without an answer, the same ladder runs from it
// instead (signed or not); a signed notice is reminded itemSoonDays before
// its deadline. Keys name the notice, the ladder and the stage, so each
// goes out once:
//
//	notice:12:sign:overdue:p:li-lb
//	notice:12:reply:leader:p:liu-lb

// planNotices adds the day's notice escalations, and the 挂牌督办 weekly
// duties (flag_plan.go), to the plan.
func (e *planEnv) planNotices(ctx context.Context) error {
	ns, err := e.run.Store.OpenSupervisionNotices(ctx, e.c.ID)
	if err != nil {
		return err
	}
	for _, n := range ns {
		if n.State == store.NoticeAnswered {
			continue // the office's turn: it is in the office's list
		}
		u := e.byID[n.UnitID]
		if u == nil {
			continue
		}
		ladder, stage, late := noticeStage(e.cal, n, e.c.Location(), e.day)
		if stage == "" {
			continue
		}
		key := fmt.Sprintf("notice:%d:%s:%s", n.ID, ladder, stage)
		c := noticeReminderCard(n, u, ladder, stage, late, e.day)
		switch stage {
		case stageSoon, stageDue:
			e.toPerson(u.LiaisonID, key, noticeSubject(n), c)
		case stageLeader:
			e.toPerson(u.LeaderID, key, noticeSubject(n), c)
		case stageOffice:
			if e.office == nil {
				continue
			}
			head := e.office.LeaderID
			if head == nil {
				head = e.office.LiaisonID
			}
			e.toPerson(head, key, noticeSubject(n), c)
		}
	}
	return e.planFlags(ctx)
}

// noticeStage returns which ladder ("sign" or "reply") and stage of a
// notice fall on day, and how many days late it is; stage "" when none.
func noticeStage(cal *calendar, n *store.SupervisionNotice, loc *time.Location, day time.Time) (ladder, stage string, late int) {
	reply := civil(n.ReplyDue)
	if reply.Before(day) {
		for _, st := range []string{stageDue, stageLeader, stageOffice} {
			if itemStageDay(cal, st, reply).Equal(day) {
				return "reply", st, int(day.Sub(reply).Hours() / 24)
			}
		}
		return "", "", 0
	}
	if n.State == store.NoticeSigned {
		if itemStageDay(cal, stageSoon, reply).Equal(day) && !reply.Equal(day) {
			return "reply", stageSoon, 0
		}
		return "", "", 0
	}
	issued := dayOf(n.IssuedAt, loc)
	for _, st := range []string{stageDue, stageLeader, stageOffice} {
		if itemStageDay(cal, st, issued).Equal(day) {
			return "sign", st, int(day.Sub(issued).Hours() / 24)
		}
	}
	return "", "", 0
}

// noticeReminderCard is a notice's reminder or escalation.
func noticeReminderCard(n *store.SupervisionNotice, u *store.Unit, ladder, stage string, late int, day time.Time) *cards.Card {
	what := "尚未签收"
	if ladder == "reply" {
		what = "尚未答复"
	}
	var lead string
	switch {
	case stage == stageSoon:
		lead = fmt.Sprintf("督办单 %s 的答复期限为 %s（%s），请按时答复办理情况。", n.Number, civil(n.ReplyDue).Format(time.DateOnly), countdown(n.ReplyDue, day))
	case ladder == "sign":
		lead = fmt.Sprintf("%s的%s督办单 %s 签发已 %d 天，%s。", u.Name, colourName(n.Colour), n.Number, late, what)
	default:
		lead = fmt.Sprintf("%s的%s督办单 %s 答复期限 %s 已过 %d 天，%s。", u.Name, colourName(n.Colour), n.Number,
			civil(n.ReplyDue).Format(time.DateOnly), late, what)
	}
	switch stage {
	case stageLeader:
		lead += "请督促联络人及时办理。"
	case stageOffice:
		lead += "已提请办公室负责人关注。"
	}
	title := "督办单提醒 · " + n.Number
	if stage == stageLeader || stage == stageOffice {
		title = "督办单催办 · " + n.Number
	}
	return &cards.Card{Title: title, Subtitle: u.Name, Tone: cards.ToneDanger, Blocks: []cards.Block{
		cards.MD(lead),
		cards.MD("**督办要求**：" + truncate(n.Text, 200)),
		cards.ButtonsBlock(cards.Button{Text: "查看督办单", Action: "notice.show", Style: cards.StylePrimary, Params: noticeParams(n),
			Command: "查看督办单 " + n.Number}),
	}}
}
