package handlers

import (
	"strconv"
	"strings"
	"testing"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store"
)

const supervisor = "p:qian-jd" // 钱建东, 社会义务监督员 of the demo campaign

// TestSupervisorClue runs a clue from a 监督员 to a ledger item and back:
// 线索：… from him is numbered and reaches the office; he sees only his
// own clues; the office assigns it, 灵宝's liaison signs and converts it,
// and he is told the outcome in his chat. 义马 cannot see or sign it.
func TestSupervisorClue(t *testing.T) {
	f := newLgFixture(t)
	other := f.registerClue(t, "12328", "别人反映的线索", "lingbao")

	sent := f.say(t, supervisor, "", "线索：灵宝某治超站夜间收费不开票")
	reply := sentText(sentTo(sent, supervisor)[0])
	wantContains(t, "reply", reply, "XS-2026-002", "办理结果将通知您")
	c := f.clueByNumber(t, "XS-2026-002")
	if c.Source != "监督员" || c.ReporterID == nil || c.ContactName != "钱建东" {
		t.Fatalf("clue: %+v", c)
	}
	if got := sentTo(sent, lgOffice); len(got) != 1 || !strings.Contains(sentText(got[0]), "社会义务监督员 钱建东") {
		t.Errorf("office not told: %v", got)
	}

	// His list has his clue only; another's is refused, as is a bad number.
	list := lastText(f.say(t, supervisor, "", "线索"))
	if !strings.Contains(list, c.Number) || strings.Contains(list, other.Number) {
		t.Errorf("supervisor's list: %s", list)
	}
	if txt := lastText(f.say(t, supervisor, "", "线索 "+other.Number)); !strings.Contains(txt, "无权") {
		t.Errorf("supervisor saw another's clue: %s", txt)
	}
	// A liaison's 线索：… is no registration.
	if txt := lastText(f.say(t, lgLiaison, "", "线索：随便说说")); !strings.Contains(txt, "未找到线索") {
		t.Errorf("liaison registered a clue: %s", txt)
	}

	f.click(t, lgOffice, "clue.assign.submit", clueParams(c), cards.Values{"unit": {"lingbao"}, "due": {"2026-12-10"}})
	c = f.clue(t, c)
	if r := f.click(t, "p:zhou-ym", "clue.sign", clueParams(c), nil); r.ToastKind != "error" {
		t.Errorf("义马 signed: %s", r.Toast)
	}
	if txt := lastText(f.say(t, "p:zhou-ym", "", "线索 "+c.Number)); !strings.Contains(txt, "无权") {
		t.Errorf("义马 saw it: %s", txt)
	}
	f.click(t, lgLiaison, "clue.sign", clueParams(c), nil)
	c = f.clue(t, c)
	f.h.Deliver()
	r := f.click(t, lgLiaison, "clue.convert.submit", clueParams(c), cards.Values{"category": {itemCategories[0]}, "description": {"夜间收费不开票"},
		"measures": {"约谈"}, "due": {"2026-12-20"}})
	if r.ToastKind != "success" {
		t.Fatalf("convert: %s", r.Toast)
	}
	told := sentTo(f.h.Deliver(), supervisor)
	if len(told) != 1 || !strings.Contains(sentText(told[0]), "已办结：转为台账问题") {
		t.Fatalf("supervisor not told: %v", told)
	}
}

// TestEnterpriseRequestToClue: the office turns an enterprise's request
// into a clue; only the office may; it is not done twice; when the office
// accepts the unit's answer the enterprise reads the outcome in its chat.
func TestEnterpriseRequestToClue(t *testing.T) {
	f := newLgFixture(t)
	contact := "c:lb-keyun:马丽"
	f.say(t, contact, "", "灵宝某站执法人员要求我司车辆重复检查")
	acc, err := f.st.AccountByExternal(f.ctx, string(bot.Sim), contact)
	if err != nil {
		t.Fatal(err)
	}
	q, err := f.st.OpenRequestOfContact(f.ctx, *acc.ContactID)
	if err != nil {
		t.Fatal(err)
	}
	p := map[string]string{"request": strconv.FormatInt(q.ID, 10)}
	if r := f.click(t, "p:wang-jg", "ereq.to_clue", p, nil); r.ToastKind != "error" {
		t.Errorf("the leader turned it into a clue: %s", r.Toast)
	}
	r := f.click(t, lgOffice, "ereq.to_clue", p, nil)
	if r.ToastKind != "success" {
		t.Fatalf("to clue: %s", r.Toast)
	}
	c, err := f.st.ClueOfRequest(f.ctx, q.ID)
	if err != nil || c.Source != "企业" || !strings.Contains(c.Content, "重复检查") {
		t.Fatalf("clue: %+v %v", c, err)
	}
	if r := f.click(t, lgOffice, "ereq.to_clue", p, nil); r.ToastKind != "error" || !strings.Contains(r.Toast, c.Number) {
		t.Errorf("twice: %s", r.Toast)
	}
	f.click(t, lgOffice, "clue.assign.submit", clueParams(c), cards.Values{"unit": {"lingbao"}, "due": {"2026-12-10"}})
	f.click(t, lgLiaison, "clue.sign", clueParams(f.clue(t, c)), nil)
	f.click(t, lgLiaison, "clue.answer.submit", clueParams(f.clue(t, c)), cards.Values{"kind": {"不属实"}, "text": {"经核查系正常抽检"}})
	f.h.Deliver()
	f.click(t, lgOffice, "clue.accept", clueParams(f.clue(t, c)), nil)
	told := sentTo(f.h.Deliver(), contact)
	if len(told) != 1 || !strings.Contains(sentText(told[0]), "核查办结：不属实（经核查系正常抽检）") {
		t.Fatalf("enterprise not told: %v", told)
	}
}

// TestClueBadInput: a clue for a unit the campaign does not have is
// refused and nothing is registered; a supervisor's over-long clue too.
func TestClueBadInput(t *testing.T) {
	f := newLgFixture(t)
	r := f.click(t, lgOffice, "clue.new.submit", nil, cards.Values{"source": {"12328"}, "content": {"某站乱罚款"}, "unit": {"nowhere"}})
	if r.ToastKind != "error" {
		t.Errorf("unknown unit: %s %s", r.ToastKind, r.Toast)
	}
	if txt := lastText(f.say(t, supervisor, "", "线索："+strings.Repeat("长", clueContentMax+1))); !strings.Contains(txt, "过长") {
		t.Errorf("long clue: %s", txt)
	}
	n, err := f.st.CountClues(f.ctx, f.camp.ID, f.h.Clock.Now())
	if err != nil || n.Received != 0 {
		t.Errorf("registered: %+v %v", n, err)
	}
}

// TestMonthlyCountsClues: the monthly summary counts the period's clues
// received, assigned, converted and closed.
func TestMonthlyCountsClues(t *testing.T) {
	f := newLgFixture(t)
	a := f.registerClue(t, "12328", "线索一", "lingbao")
	f.registerClue(t, "信访", "线索二", "")
	b := f.registerClue(t, "媒体", "线索三", "")
	f.click(t, lgOffice, "clue.assign.submit", clueParams(a), cards.Values{"unit": {"lingbao"}, "due": {"2026-12-10"}})
	f.click(t, lgOffice, "clue.close.submit", clueParams(b), cards.Values{"kind": {"重复"}, "reason": {"重复"}})
	wb, err := monthlyWorkbook(f.ctx, f.st, f.camp, "2026-11", nil, f.h.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	data, err := workbookBytes(wb)
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, row := range sheetRows(t, data) {
		all = append(all, strings.Join(row, "|"))
	}
	wantContains(t, "monthly", strings.Join(all, "\n"), "收到线索 3 条，分办 1 条，转为台账问题 0 条，办结（不属实、已处理、重复、不属于本次整治）1 条")
	_ = store.ClueNew
}
