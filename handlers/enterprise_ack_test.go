package handlers

import (
	"testing"
	"time"

	"zhenggai/bot"
	"zhenggai/bot/bottest"
	"zhenggai/cards"
	"zhenggai/store"
)

// TestAnswerClosesTheLoop: the answer reaches the contact with its three
// choices; "谢谢" after it is a thank-you the leader is told of, not a new
// message; "满意！" rates and closes; "仍未解决" and a real question keep the
// request open; a thank-you with no request opens none.
func TestAnswerClosesTheLoop(t *testing.T) {
	f := newEntFixture(t)
	f.text(t, zhangWei, "我公司两辆货车年审被要求重复提交材料。")
	f.h.Deliver()
	q := f.request(t, "QY-2026-0001")
	f.click(t, wangJG, "ereq.reply.submit", params(q), cards.Values{"text": {"已协调车管部门，材料只需提交一次。"}})
	sent := sentTo(f.h.Deliver(), zhangWei)
	if len(sent) != 1 || sent[0].Message.Card == nil {
		t.Fatalf("contact got %+v", sent)
	}
	wantContains(t, "answer", sentText(sent[0]), "王建国答复", "材料只需提交一次", "[已解决（满意）][基本满意][仍未解决]", "7 天内未评价")

	for _, thanks := range []string{"谢谢！", "好的，收到👍"} {
		sent = f.say(t, zhangWei, thanks)
		wantContains(t, "thanks "+thanks, sentText(sentTo(sent, zhangWei)[0]), "不客气", "已解决（满意）")
		wantContains(t, "leader told", sentText(sentTo(sent, wangJG)[0]), "QY-2026-0001", "未作评价", "仍为已答复")
		if got := f.request(t, "QY-2026-0001"); got.State != store.RequestAnswered || got.WaitingSince != nil {
			t.Fatalf("after %q: %s waiting %v", thanks, got.State, got.WaitingSince)
		}
	}
	// 仍未解决 keeps it open, waiting for the leader again.
	sent = f.say(t, zhangWei, "仍未解决。")
	wantContains(t, "unresolved", sentText(sentTo(sent, zhangWei)[0]), "继续办理")
	wantContains(t, "leader card", sentText(sentTo(sent, wangJG)[0]), "仍未解决")
	if got := f.request(t, "QY-2026-0001"); got.State != store.RequestOpen || got.WaitingSince == nil {
		t.Fatalf("after 仍未解决: %+v", got)
	}
	// While it waits, even "谢谢" is passed on like any message.
	sent = f.say(t, zhangWei, "谢谢")
	wantContains(t, "waiting", sentText(sentTo(sent, wangJG)[0]), "发来新消息")

	// Answered again: "满意！" rates and closes it.
	f.click(t, wangJG, "ereq.reply.submit", params(q), cards.Values{"text": {"已当面沟通，明日可办。"}})
	f.h.Deliver()
	sent = f.say(t, zhangWei, "满意！谢谢")
	wantContains(t, "rated", sentText(sentTo(sent, zhangWei)[0]), "感谢您的评价：满意", "已办结")
	wantContains(t, "leader told rating", sentText(sentTo(sent, wangJG)[0]), "满意")
	got := f.request(t, "QY-2026-0001")
	if got.State != store.RequestClosed || got.Rating == nil || *got.Rating != store.RatingSatisfied {
		t.Fatalf("after 满意: %+v", got)
	}
	// A thank-you now (no request in hand) opens nothing.
	sent = f.say(t, zhangWei, "谢谢🙏")
	wantContains(t, "no request", sentText(sentTo(sent, zhangWei)[0]), "不客气", "新的诉求")
	if len(sentTo(sent, wangJG)) != 0 {
		t.Fatalf("leader got a thank-you with no request: %+v", sent)
	}
	if qs, _ := f.st.RequestsOfEnterprise(f.ctx, got.EnterpriseID, true, 10); len(qs) != 0 {
		t.Fatalf("a thank-you opened %d requests", len(qs))
	}
	// A real question opens a new request.
	f.say(t, zhangWei, "谢谢，另外停车场收费标准在哪里公示？")
	if _, err := f.st.EnterpriseRequestByNumber(f.ctx, f.camp.ID, "QY-2026-0002"); err != nil {
		t.Fatalf("a question opened no request: %v", err)
	}
}

// TestAnswerButtons: the answer's buttons rate an answered request.
func TestAnswerButtons(t *testing.T) {
	f := newEntFixture(t)
	f.text(t, zhangWei, "年审材料重复提交。")
	f.h.Deliver()
	q := f.request(t, "QY-2026-0001")
	// Before any answer the choices are refused.
	rateParams := func(rating string) map[string]string {
		p := params(q)
		p["rating"] = rating
		return p
	}
	r := f.click(t, zhangWei, "ereq.rate", rateParams(store.RatingSatisfied), nil)
	wantContains(t, "too early", r.Toast, "正在办理")
	f.click(t, wangJG, "ereq.reply.submit", params(q), cards.Values{"text": {"已协调。"}})
	f.h.Deliver()
	r = f.click(t, zhangWei, "ereq.rate", rateParams(store.RatingUnsatisfied), nil)
	wantContains(t, "仍未解决", cardText(r.Card), "继续办理")
	if got := f.request(t, "QY-2026-0001"); got.State != store.RequestOpen {
		t.Fatalf("after 仍未解决: %s", got.State)
	}
	f.h.Deliver()
	f.click(t, wangJG, "ereq.reply.submit", params(q), cards.Values{"text": {"已办好。"}})
	f.h.Deliver()
	r = f.click(t, zhangWei, "ereq.rate", rateParams(store.RatingBasically), nil)
	wantContains(t, "基本满意", cardText(r.Card), "感谢您的评价", "基本满意")
	if got := f.request(t, "QY-2026-0001"); got.State != store.RequestClosed || *got.Rating != store.RatingBasically {
		t.Fatalf("after 基本满意: %+v", got)
	}
	r = f.click(t, zhangWei, "ereq.rate", rateParams(store.RatingSatisfied), nil)
	wantContains(t, "twice", r.Toast, "已评价过")
}

// TestAnsweredRequestClosesItself: an answered request nobody rates or
// writes about closes itself after request_autoclose_days (7), once, with
// an audit row; the contact and the leader are told, and the contact can
// still rate it. A request still being written about stays answered.
func TestAnsweredRequestClosesItself(t *testing.T) {
	f := newEntFixture(t)
	f.text(t, zhangWei, "我公司两辆货车年审被要求重复提交材料。")
	f.h.Deliver()
	q := f.request(t, "QY-2026-0001")
	f.click(t, wangJG, "ereq.reply.submit", params(q), cards.Values{"text": {"已协调车管部门，材料只需提交一次。"}})
	f.h.Deliver()
	answeredAt := f.h.Clock.Now()
	sched := bot.NewScheduler(bot.SchedulerConfig{Bot: f.h.Bot, Planner: NewPlanner(Deps{}), ID: "test"})
	run := func(at time.Time) []bottest.Sent {
		t.Helper()
		f.h.Clock.Set(at)
		if _, err := sched.RunDue(f.ctx, at); err != nil {
			t.Fatal(err)
		}
		return f.h.Deliver()
	}
	// Six days on: still answered, nothing said.
	if sent := run(answeredAt.Add(6*24*time.Hour + time.Hour).Truncate(time.Hour)); len(sentTo(sent, zhangWei)) != 0 {
		t.Fatalf("closed early: %+v", sent)
	}
	if got := f.request(t, "QY-2026-0001"); got.State != store.RequestAnswered {
		t.Fatalf("after 6 days: %s", got.State)
	}
	sent := run(answeredAt.Add(7*24*time.Hour + time.Hour).Truncate(time.Hour))
	if len(sentTo(sent, zhangWei)) == 0 {
		t.Fatalf("contact not told; state %s; sent %+v", f.request(t, "QY-2026-0001").State, sent)
	}
	wantContains(t, "contact told", sentText(sentTo(sent, zhangWei)[0]), "QY-2026-0001", "7 天", "已自动办结", "满意")
	wantContains(t, "leader told", sentText(sentTo(sent, wangJG)[0]), "诉求已自动办结", "QY-2026-0001", "企业已收到通知")
	if got := f.request(t, "QY-2026-0001"); got.State != store.RequestClosed {
		t.Fatalf("after 7 days: %s", got.State)
	}
	var audits int
	if err := f.st.DB().QueryRow(f.ctx, `SELECT count(*) FROM audit_log WHERE entity = 'enterprise_request' AND action = 'autoclose'`).Scan(&audits); err != nil || audits != 1 {
		t.Fatalf("autoclose audit rows %d %v", audits, err)
	}
	// The next hour tells nobody again.
	if sent := run(answeredAt.Add(7*24*time.Hour + 2*time.Hour).Truncate(time.Hour)); len(sentTo(sent, zhangWei))+len(sentTo(sent, wangJG)) != 0 {
		t.Fatalf("told again: %+v", sent)
	}
	// The contact can still rate it.
	sent = f.say(t, zhangWei, "满意")
	wantContains(t, "late rating", sentText(sentTo(sent, zhangWei)[0]), "感谢")
	if got := f.request(t, "QY-2026-0001"); got.Rating == nil || *got.Rating != store.RatingSatisfied {
		t.Fatalf("rating after autoclose: %+v", got.Rating)
	}
}
