package handlers

import (
	"testing"

	"zhenggai/bot/bottest"
	"zhenggai/store"
)

// TestTypedLabelsDoWhatButtonsDo: a liaison types 台帐 and a button's
// label with its item; a leader types 同意 (alone when unambiguous) and
// 回复 with the answer; bad inputs are refused in Chinese with nothing
// changed.
func TestTypedLabelsDoWhatButtonsDo(t *testing.T) {
	f := newLgFixture(t)
	a := f.addItem(t, "lingbao", "执法记录仪未全程开启", "2026-12-20")
	b := f.addItem(t, "lingbao", "罚款未开具票据", "2026-12-20")

	wantContains(t, "台帐", f.answer(t, lgLiaison, "台帐"), "灵宝市交通运输局", a.Number)
	wantContains(t, "办理", f.answer(t, lgLiaison, "办理 "+a.Number), a.Number, "执法记录仪未全程开启", "[更新进展]")
	wantContains(t, "full-width", f.answer(t, lgLiaison, "办理\u3000ＬＢ－２０２６－００２"), b.Number)
	wantContains(t, "unknown item", f.answer(t, lgLiaison, "办理 LB-2026-999"), "未找到问题 LB-2026-999")
	wantContains(t, "other unit", f.answer(t, lgYimaLiais, "申请销号 "+a.Number), "抱歉")

	// 申请销号 typed opens the form; its submit (a dialog on platforms
	// without forms) files the request.
	form := sentTo(f.say(t, lgLiaison, "", "申请销号 "+a.Number), lgLiaison)[0].Message.Card
	if form == nil || form.Form() == nil || form.Form().Submit.Action != "item.close.submit" {
		t.Fatalf("申请销号: %+v", form)
	}
	f.click(t, lgLiaison, "item.close.submit", ref(a), map[string][]string{"result": {"已整改到位"}})
	f.h.Deliver()

	// One pending request: 同意 alone decides it.
	got := f.answer(t, lgLeader, "同意")
	wantContains(t, "同意", got, "已同意")
	if it := f.item(t, a.Number); it.Status != store.ItemClosed {
		t.Fatalf("after 同意: %s", it.Status)
	}
	wantContains(t, "nothing pending", f.answer(t, lgLeader, "同意"), "目前没有等待您审批")
	wantContains(t, "liaison approves", f.answer(t, lgLiaison, "同意 "+b.Number), "只有单位领导")

	// Two pending: 驳回 alone lists them and asks for the number.
	c := f.addItem(t, "lingbao", "执法文书填写不规范", "2026-12-20")
	for _, it := range []*store.LedgerItem{b, c} {
		f.click(t, lgLiaison, "item.close.submit", ref(f.item(t, it.Number)), map[string][]string{"result": {"已规范"}})
	}
	f.h.Deliver()
	got = f.answer(t, lgLeader, "驳回")
	wantContains(t, "ambiguous", got, "您有 2 项待审批", "驳回 LB-2026-001", b.Number, c.Number)
	if it := f.item(t, b.Number); it.Status != store.ItemCloseRequested {
		t.Fatalf("ambiguous 驳回 changed %s: %s", b.Number, it.Status)
	}
	form = sentTo(f.say(t, lgLeader, "", "驳回 "+c.Number+"。"), lgLeader)[0].Message.Card
	if form == nil || form.Form() == nil || form.Form().Submit.Action != "approval.reject.submit" {
		t.Fatalf("驳回 %s: %+v", c.Number, form)
	}

	// Pages of the ledger.
	wantContains(t, "下一页", f.answer(t, lgLiaison, "下一页"), "灵宝市交通运输局")
}

// TestTypedReplyPicksTheRequest: a leader's typed 回复 answers the request
// he most recently got, and says which; with a number, that one.
func TestTypedReplyPicksTheRequest(t *testing.T) {
	f := newEntFixture(t)
	f.text(t, zhangWei, "我公司两辆货车年审被要求重复提交材料。")
	f.h.Deliver()
	wantContains(t, "no request", sentText(sentTo(f.say(t, chenHM, "回复 已安排专人联系"), chenHM)[0]), "没有待办的企业诉求")

	f.text(t, wangJG, "回复：已安排专人联系，明天上午到车管所办理。")
	sent := f.h.Deliver()
	wantContains(t, "leader told which", sentText(sentTo(sent, wangJG)[0]), "最近收到的诉求 QY-2026-0001", "答复已发送")
	mustContain(t, "contact gets it", sentTo(sent, zhangWei), "已安排专人联系")
	if q := f.request(t, "QY-2026-0001"); q.State != store.RequestAnswered {
		t.Fatalf("after typed reply: %s", q.State)
	}
	// With the number and no text: the form.
	sent = f.say(t, wangJG, "回复 QY-2026-0001")
	if c := sentTo(sent, wangJG)[0].Message.Card; c == nil || c.Form() == nil {
		t.Fatalf("回复 with a number: %+v", sent)
	}
	wantContains(t, "unknown request", sentText(sentTo(f.say(t, wangJG, "回复 QY-2026-0999 好的"), wangJG)[0]), "未找到诉求 QY-2026-0999")
}

// say sends text 1:1 and returns what the bot sent.
func (f *entFixture) say(t *testing.T, user, text string) []bottest.Sent {
	t.Helper()
	f.text(t, user, text)
	return f.h.Deliver()
}

// answer sends text 1:1 and returns the text of the bot's first message to
// user.
func (f *lgFixture) answer(t *testing.T, user, text string) string {
	t.Helper()
	to := sentTo(f.say(t, user, "", text), user)
	if len(to) == 0 {
		t.Fatalf("%s %q: no answer", user, text)
	}
	return sentText(to[0])
}
