package handlers

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store"
	"zhenggai/store/storetest"
)

// registerClue has the office register a clue through the form and
// returns it.
func (f *lgFixture) registerClue(t *testing.T, source, content, unit string) *store.Clue {
	t.Helper()
	r := f.click(t, lgOffice, "clue.new.submit", nil, cards.Values{"source": {source}, "content": {content}, "unit": {unit},
		"contact": {"王女士"}, "phone": {"13800001234"}})
	if r.ToastKind != "success" {
		t.Fatalf("register: %s %s", r.ToastKind, r.Toast)
	}
	return f.clueByNumber(t, strings.Fields(r.Toast)[1])
}

func (f *lgFixture) clueByNumber(t *testing.T, number string) *store.Clue {
	t.Helper()
	c, err := f.st.ClueByNumber(f.ctx, f.camp.ID, number)
	if err != nil {
		t.Fatalf("clue %s: %v", number, err)
	}
	return c
}

func (f *lgFixture) clue(t *testing.T, c *store.Clue) *store.Clue {
	t.Helper()
	x, err := f.st.ClueByID(f.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// clickWithFile is a card action carrying an attachment.
func (f *lgFixture) clickWithFile(t *testing.T, user, action string, params map[string]string, form cards.Values, name string) *bot.Reply {
	t.Helper()
	ev := &bot.Event{ID: "ev-file-" + action + user, Kind: bot.KindCardAction, Platform: bot.Sim, Chat: bot.Chat{ID: "d:" + user, Kind: bot.Direct},
		Sender: bot.User{ID: user}, At: f.h.Clock.Now(), Files: []bot.File{{Name: name, MIME: "application/pdf", Content: []byte("%PDF-1.4 " + name)}},
		Action: &bot.Action{Name: action, Params: params, Form: form}}
	ev.Message = bot.MessageRef{Platform: bot.Sim, ChatID: ev.Chat.ID, MessageID: "card-" + ev.ID}
	r, err := f.h.Bot.Dispatch(context.Background(), ev)
	if err != nil || r == nil {
		t.Fatalf("%s %s: %+v %v", user, action, r, err)
	}
	return r
}

// TestClueToLedgerItem walks a clue as its users do: the office registers
// it (numbered XS-2026-001, the file kept), assigns it to 灵宝 with a
// deadline; 灵宝's liaison and leader get its card with the contact
// details, 义马 cannot see or sign it; the liaison signs and converts it
// into a ledger item whose 问题来源 is the clue's; the office is told;
// every step and every view of the contact details is audited.
func TestClueToLedgerItem(t *testing.T) {
	f := newLgFixture(t)

	form := sentText(f.say(t, lgOffice, "", "登记线索")[0])
	wantContains(t, "form", form, "登记线索", "<source><content><unit><contact><phone>")
	if txt := sentText(f.say(t, lgLiaison, "", "登记线索")[0]); !strings.Contains(txt, "只有市局专项整治办公室") {
		t.Errorf("liaison registered: %s", txt)
	}
	r := f.clickWithFile(t, lgOffice, "clue.new.submit", nil, cards.Values{"source": {"12328"}, "content": {"灵宝某站执法人员随意拦车罚款"},
		"unit": {"lingbao"}, "contact": {"王女士"}, "phone": {"13800001234"}}, "录音.pdf")
	if r.ToastKind != "success" || !strings.Contains(r.Toast, "XS-2026-001") {
		t.Fatalf("register: %s %s", r.ToastKind, r.Toast)
	}
	c := f.clueByNumber(t, "XS-2026-001")
	if c.State != store.ClueNew || c.FileID == nil || c.UnitHintID == nil || c.ContactPhone != "13800001234" {
		t.Fatalf("registered: %+v", c)
	}
	wantContains(t, "office card", cardText(r.Card), "王女士 13800001234", "涉及单位", "灵宝市交通运输局", "[分办]", "[不予分办]")

	// 分办: the form defaults to the 涉及单位; a past deadline is refused.
	af := f.click(t, lgOffice, "clue.assign.form", clueParams(c), nil).Card
	if ff := af.Form().Field("unit"); ff == nil || ff.Default != "lingbao" {
		t.Fatalf("assign default: %+v", ff)
	}
	if r, _ := f.h.Click(lgOffice, "", "clue.assign.submit", clueParams(c), cards.Values{"unit": {"lingbao"}, "due": {"2026-11-01"}}); r == nil || !strings.Contains(r.Toast, "不能早于今天") {
		t.Errorf("past deadline: %+v", r)
	}
	if r, _ := f.h.Click(lgOffice, "", "clue.assign.submit", clueParams(c), cards.Values{"unit": {"nowhere"}, "due": {"2026-12-10"}}); r == nil || r.ToastKind != "error" || !strings.Contains(r.Toast, "承办单位") {
		t.Errorf("unknown unit: %+v", r)
	}
	if got := f.clue(t, c); got.State != store.ClueNew || got.Version != c.Version {
		t.Fatalf("bad assign changed the clue: %+v", got)
	}
	r = f.click(t, lgOffice, "clue.assign.submit", clueParams(c), cards.Values{"unit": {"lingbao"}, "due": {"2026-12-10"}})
	wantContains(t, "assign", r.Toast, "已分办至灵宝市交通运输局", "已发送给")
	sent := f.h.Deliver()
	liaison := sentTo(sent, lgLiaison)
	if len(liaison) != 1 || len(sentTo(sent, lgLeader)) != 1 {
		t.Fatalf("unit got %d/%d", len(liaison), len(sentTo(sent, lgLeader)))
	}
	wantContains(t, "unit's card", sentText(liaison[0]), "分办线索 XS-2026-001", "王女士 13800001234", "[签收线索]", "2026-12-10")

	// Another unit neither sees nor signs it; a stale card changes nothing.
	c = f.clue(t, c)
	if r, _ := f.h.Click(lgYimaLiais, "", "clue.show", clueParams(c), nil); r == nil || !strings.Contains(r.Toast+r.Text, "无权查看") {
		t.Errorf("义马 saw: %+v", r)
	}
	if r, _ := f.h.Click(lgYimaLead, "", "clue.sign", clueParams(c), nil); r == nil || !strings.Contains(r.Toast+r.Text, "灵宝市交通运输局") {
		t.Errorf("义马 signed: %+v", r)
	}
	if txt := sentText(f.say(t, lgYimaLiais, "", "线索")[0]); strings.Contains(txt, "XS-2026-001") {
		t.Errorf("义马's pool lists 灵宝's clue: %s", txt)
	}
	if r, _ := f.h.Click(lgLiaison, "", "clue.sign", map[string]string{"clue": strconv.FormatInt(c.ID, 10), "v": "1"}, nil); r == nil || r.ToastKind != "warning" {
		t.Errorf("stale sign: %+v", r)
	}
	f.h.Clock.Advance(60 * 60e9)
	r = f.click(t, lgLiaison, "clue.sign", clueParams(c), nil)
	wantContains(t, "sign", r.Toast+cardText(r.Card), "已签收线索", "签收:李晓燕 2026-11-26 11:00", "[转为台账问题]", "[答复线索]")

	// 转为台账问题.
	c = f.clue(t, c)
	cf := f.click(t, lgLiaison, "clue.convert.form", clueParams(c), nil).Card
	wantContains(t, "convert form", cardText(cf), "12328热线", "<category><description><measures><due>")
	r = f.click(t, lgLiaison, "clue.convert.submit", clueParams(c), cards.Values{"category": {"逐利执法"},
		"description": {c.Content}, "measures": {"约谈执法人员，退还罚款"}, "due": {"2026-12-20"}})
	if r.ToastKind != "success" {
		t.Fatalf("convert: %s", r.Toast)
	}
	c = f.clue(t, c)
	if c.State != store.ClueConverted || c.ItemID == nil || c.Outcome != clueToItem {
		t.Fatalf("converted: %+v", c)
	}
	it, err := f.st.LedgerItemByID(f.ctx, *c.ItemID)
	if err != nil || it.Source != "12328热线" || it.UnitID != f.unit(t, "lingbao").ID || !strings.HasPrefix(it.Number, "LB-2026-") {
		t.Fatalf("item: %+v %v", it, err)
	}
	wantContains(t, "converted card", cardText(r.Card), "已转为台账问题", it.Number)
	wantContains(t, "office told", sentText(sentTo(f.h.Deliver(), lgOffice)[0]), "已将线索 XS-2026-001 转为台账问题 "+it.Number)
	if r, _ := f.h.Click(lgLiaison, "", "clue.convert.submit", clueParams(c), cards.Values{"category": {"逐利执法"},
		"description": {"x"}, "measures": {"y"}, "due": {"2026-12-20"}}); r == nil || r.ToastKind != "warning" || !strings.Contains(r.Toast, "已转为台账问题") {
		t.Errorf("second convert: %+v", r)
	}

	got := strings.Join(f.auditActions(t, "clue", c.ID), ",")
	for _, want := range []string{"create", "view", "assign", "sign", "convert"} {
		if !strings.Contains(got, want) {
			t.Errorf("audit %s lacks %s", got, want)
		}
	}
}

// TestClueAnswerReturnAccept: the unit answers 不属实 with a file; the office
// sends it back with a note; the unit answers 已处理; the office accepts and
// the clue ends with the unit's answer. A clue closed as 重复 needs a reason.
func TestClueAnswerReturnAccept(t *testing.T) {
	f := newLgFixture(t)
	c := f.registerClue(t, "媒体", "义马某治超站收费不开票", "")
	f.click(t, lgOffice, "clue.assign.submit", clueParams(c), cards.Values{"unit": {"yima"}, "due": {"2026-12-10"}})
	c = f.clue(t, c)
	f.click(t, lgYimaLiais, "clue.sign", clueParams(c), nil)
	c = f.clue(t, c)
	if r, _ := f.h.Click(lgYimaLiais, "", "clue.answer.submit", clueParams(c), cards.Values{"kind": {"查无此事"}, "text": {""}}); r == nil || r.ToastKind != "error" {
		t.Errorf("bad answer: %+v", r)
	}
	r := f.clickWithFile(t, lgYimaLiais, "clue.answer.submit", clueParams(c), cards.Values{"kind": {clueUntrue}, "text": {"经核查，该站均开具票据"}}, "核查记录.pdf")
	if r.ToastKind != "success" {
		t.Fatalf("answer: %s", r.Toast)
	}
	f.h.Deliver()
	c = f.clue(t, c)
	if c.State != store.ClueAnswered || c.AnswerFileID == nil {
		t.Fatalf("answered: %+v", c)
	}
	if r, _ := f.h.Click(lgYimaLiais, "", "clue.accept", clueParams(c), nil); r == nil || !strings.Contains(r.Toast+r.Text, "只有市局专项整治办公室") {
		t.Errorf("unit accepted its own answer: %+v", r)
	}
	oc := f.click(t, lgOffice, "clue.show", clueParams(c), nil).Card
	wantContains(t, "office review", cardText(oc), "不属实", "佐证材料已存档", "[审核通过]", "[退回重办]")
	r = f.click(t, lgOffice, "clue.return.submit", clueParams(c), cards.Values{"reason": {"请附票据存根照片"}})
	wantContains(t, "return", r.Toast, "已退回")
	wantContains(t, "unit told", sentText(sentTo(f.h.Deliver(), lgYimaLiais)[0]), "退回线索", "请附票据存根照片", "[答复线索]")
	c = f.clue(t, c)
	if c.State != store.ClueSigned || c.Answer != "" {
		t.Fatalf("returned: %+v", c)
	}
	f.click(t, lgYimaLiais, "clue.answer.submit", clueParams(c), cards.Values{"kind": {clueHandled}, "text": {"已督促开票，并退还多收费用"}})
	c = f.clue(t, c)
	r = f.click(t, lgOffice, "clue.accept", clueParams(c), nil)
	c = f.clue(t, c)
	if c.State != store.ClueClosed || c.Outcome != clueHandled {
		t.Fatalf("accepted: %+v", c)
	}
	wantContains(t, "accepted card", cardText(r.Card), "办理结果", "已处理")

	// 不予分办 as 重复 needs a reason; the pool counts and lists.
	d := f.registerClue(t, "信访", "同上", "")
	if r, _ := f.h.Click(lgOffice, "", "clue.close.submit", clueParams(d), cards.Values{"kind": {clueDuplicate}, "reason": {""}}); r == nil || r.ToastKind != "error" {
		t.Errorf("close without reason: %+v", r)
	}
	r = f.click(t, lgOffice, "clue.close.submit", clueParams(d), cards.Values{"kind": {clueDuplicate}, "reason": {"与 XS-2026-001 重复"}})
	wantContains(t, "close", r.Toast, "已办结（重复）")
	n, err := f.st.CountClues(f.ctx, f.camp.ID, f.h.Clock.Now())
	if err != nil || n != (store.ClueCounts{Received: 2, Assigned: 1, Closed: 2}) {
		t.Errorf("counts %+v %v", n, err)
	}
}

// TestCluePoolOrderAndVisibility: the office's pool lists overdue clues
// first, with counts by state and unit; a unit sees only clues assigned
// to it, without the unassigned ones; contact details are not on another
// unit's cards.
func TestCluePoolOrderAndVisibility(t *testing.T) {
	f := newLgFixture(t)
	late := f.registerClue(t, "12328", "甲", "")
	soon := f.registerClue(t, "门户网站", "乙", "")
	f.registerClue(t, "其他", "丙", "")
	f.click(t, lgOffice, "clue.assign.submit", clueParams(soon), cards.Values{"unit": {"lingbao"}, "due": {"2026-12-20"}})
	f.click(t, lgOffice, "clue.assign.submit", clueParams(late), cards.Values{"unit": {"lingbao"}, "due": {"2026-11-27"}})
	f.h.Clock.Advance(3 * 24 * 3600e9) // 11-29: late is overdue
	f.h.Deliver()
	pool := sentText(f.say(t, lgOffice, "", "线索")[0])
	wantContains(t, "pool", pool, "共 3 条", "待分办 1", "已分办，待签收 2", "灵宝市交通运输局 2", "已逾期")
	if strings.Index(pool, late.Number) > strings.Index(pool, soon.Number) {
		t.Errorf("overdue not first:\n%s", pool)
	}
	unit := sentText(f.say(t, lgLiaison, "", "线索")[0])
	if !strings.Contains(unit, late.Number) || strings.Contains(unit, "XS-2026-003") {
		t.Errorf("unit pool: %s", unit)
	}
	if txt := sentText(f.say(t, lgYimaLiais, "", "线索 "+late.Number)[0]); !strings.Contains(txt, "无权查看") || strings.Contains(txt, "13800001234") {
		t.Errorf("other unit: %s", txt)
	}
	if txt := sentText(f.say(t, lgOffice, "", "线索 XS-2026-099")[0]); !strings.Contains(txt, "未找到线索") {
		t.Errorf("unknown: %s", txt)
	}
}

// TestClueConcurrentSign: two people of the unit sign at once; one wins.
func TestClueConcurrentSign(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.TestSchema(ctx, t))
	camp, _ := applyCampaignFile(t, ctx, st, demoFile, nil)
	f := &lgFixture{ctx: ctx, st: st, h: newDemoHarness(t, st), camp: camp}
	c := f.registerClue(t, "12328", "并发签收", "")
	f.click(t, lgOffice, "clue.assign.submit", clueParams(c), cards.Values{"unit": {"lingbao"}, "due": {"2026-12-20"}})
	c = f.clue(t, c)
	var wg sync.WaitGroup
	kinds := make([]string, 2)
	for i, u := range []string{lgLiaison, lgLeader} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := f.h.Click(u, "", "clue.sign", clueParams(c), nil)
			if err == nil && r != nil {
				kinds[i] = r.ToastKind
			}
		}()
	}
	wg.Wait()
	if !(kinds[0] == "success") != (kinds[1] == "success") {
		t.Errorf("both or neither signed: %v", kinds)
	}
	got := f.clue(t, c)
	if got.State != store.ClueSigned || got.Version != c.Version+1 {
		t.Errorf("after race: %+v", got)
	}
}
