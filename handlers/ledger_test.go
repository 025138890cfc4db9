package handlers

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"zhenggai/bot"
	"zhenggai/bot/bottest"
	"zhenggai/cards"
	"zhenggai/store"
	"zhenggai/store/storetest"
)

// Accounts of the demo campaign (sim platform).
const (
	lgLiaison   = "p:li-lb"   // 灵宝 liaison
	lgLeader    = "p:liu-lb"  // 灵宝 leader
	lgOffice    = "p:lu-xm"   // office liaison
	lgYimaLiais = "p:zhou-ym" // 义马 liaison
	lgYimaLead  = "p:sun-ym"  // 义马 leader
	lgOutsider  = "p:wang-jg" // a leader of enterprises, of no unit
	lgGroup     = "g:lingbao" // 灵宝's group chat
	lgZhidui    = "p:he-zd"   // 支队 liaison
	lgContact   = "c:smx-yunshu:张伟"
)

type lgFixture struct {
	ctx  context.Context
	st   *store.Store
	h    *bottest.Harness
	camp *store.Campaign
}

// newLgFixture applies the demo campaign on a rolled-back transaction and
// builds a bot with every handler, its clock on 2026-11-26 10:00 Shanghai.
func newLgFixture(t *testing.T) *lgFixture {
	t.Helper()
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	camp, _ := applyCampaignFile(t, ctx, st, demoFile, nil)
	h := newDemoHarness(t, st)
	h.Deliver()
	return &lgFixture{ctx: ctx, st: st, h: h, camp: camp}
}

// say sends text from user in chat ("" = 1:1) and returns what the bot sent.
func (f *lgFixture) say(t *testing.T, user, chat, text string) []bottest.Sent {
	t.Helper()
	if _, err := f.h.Text(user, chat, text); err != nil {
		t.Fatalf("%s %q: %v", user, text, err)
	}
	return f.h.Deliver()
}

// click sends a card action from user in a 1:1 chat.
func (f *lgFixture) click(t *testing.T, user, action string, params map[string]string, form cards.Values) *bot.Reply {
	t.Helper()
	r, err := f.h.Click(user, "", action, params, form)
	if err != nil {
		t.Fatalf("%s %s: %v", user, action, err)
	}
	if r == nil {
		t.Fatalf("%s %s: no reply", user, action)
	}
	return r
}

func (f *lgFixture) unit(t *testing.T, key string) *store.Unit {
	t.Helper()
	u, err := f.st.UnitByKey(f.ctx, f.camp.ID, key)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *lgFixture) item(t *testing.T, number string) *store.LedgerItem {
	t.Helper()
	it, err := f.st.LedgerItemByNumber(f.ctx, f.camp.ID, number)
	if err != nil {
		t.Fatalf("item %s: %v", number, err)
	}
	return it
}

// newItem creates an item of lingbao through the form and returns it.
func (f *lgFixture) newItem(t *testing.T, user, desc, due string) *store.LedgerItem {
	t.Helper()
	r := f.click(t, user, "item.new.submit", map[string]string{"unit": "lingbao"}, cards.Values{
		"source": {"s1"}, "category": {"c2"}, "description": {desc}, "measures": {"约谈并整改"}, "due": {due}})
	if r.Card == nil || r.ToastKind != "success" {
		t.Fatalf("new item: toast %q card %v", r.Toast, r.Card)
	}
	return f.item(t, strings.Fields(r.Card.Title)[0])
}

// addItem inserts an item directly (any deadline, even a past one).
func (f *lgFixture) addItem(t *testing.T, unit, desc, due string) *store.LedgerItem {
	t.Helper()
	d, _ := time.Parse(time.DateOnly, due)
	it := &store.LedgerItem{CampaignID: f.camp.ID, UnitID: f.unit(t, unit).ID, Source: "自查自纠", Category: "执法粗暴", Description: desc, DueOn: d}
	if err := f.st.CreateLedgerItem(f.ctx, it, 2026); err != nil {
		t.Fatal(err)
	}
	return it
}

func ref(it *store.LedgerItem) map[string]string { return itemRef(it) }

func cardText(c *cards.Card) string {
	if c == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(c.Title + "\n" + c.Subtitle + "\n")
	for _, blk := range c.Blocks {
		b.WriteString(blk.Markdown + blk.Note + "\n")
		for _, fl := range blk.Fields {
			b.WriteString(fl.Label + ":" + fl.Value + "\n")
		}
		for _, btn := range blk.Buttons {
			b.WriteString("[" + btn.Text + "]")
		}
		if blk.Table != nil {
			for _, row := range blk.Table.Rows {
				b.WriteString(strings.Join(row, "|") + "\n")
			}
		}
		if blk.Form != nil {
			for _, ff := range blk.Form.Fields {
				b.WriteString("<" + ff.Name + ">")
			}
		}
	}
	return b.String()
}

func sentTo(sent []bottest.Sent, user string) []bottest.Sent {
	var out []bottest.Sent
	for _, s := range sent {
		if s.To.UserID == user || s.To.ChatID == "d:"+user {
			out = append(out, s)
		}
	}
	return out
}

func sentText(s bottest.Sent) string {
	if s.Message.File != nil {
		return "[file] " + s.Message.File.Name
	}
	return s.Message.Text + "\n" + cardText(s.Message.Card)
}

func wantContains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s: %q not in:\n%s", what, w, got)
		}
	}
}

func (f *lgFixture) auditActions(t *testing.T, entity string, id int64) []string {
	t.Helper()
	es, err := f.st.AuditEntries(f.ctx, entity, strconv.FormatInt(id, 10))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Action)
	}
	return out
}

func (f *lgFixture) progressCount(t *testing.T, it *store.LedgerItem) int {
	t.Helper()
	n, err := f.st.CountProgress(f.ctx, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLedgerNewItemNumbersAndValidation(t *testing.T) {
	f := newLgFixture(t)
	// 新增问题 in the unit's group gives the form with the 9 sources and 6
	// categories.
	sent := f.say(t, lgLiaison, lgGroup, "新增问题")
	if len(sent) != 1 || sent[0].Message.Card == nil || sent[0].Message.Card.Form() == nil {
		t.Fatalf("新增问题: %+v", sent)
	}
	form := sent[0].Message.Card.Form()
	if n := len(form.Field("source").Options); n != 9 {
		t.Errorf("%d sources", n)
	}
	if n := len(form.Field("category").Options); n != 6 {
		t.Errorf("%d categories", n)
	}
	wantContains(t, "form", cardText(sent[0].Message.Card), "刘宝山", "李晓燕")

	a := f.newItem(t, lgLiaison, "路政人员随意拦车检查", "2026-12-20")
	b := f.newItem(t, lgLiaison, "超限站一次性下达多份告知书", "2026-12-30")
	if a.Number != "LB-2026-001" || b.Number != "LB-2026-002" {
		t.Errorf("numbers %s %s", a.Number, b.Number)
	}
	if a.Source != "12328热线" || a.Category != "执法不规范" || a.ResponsibleLeader != "刘宝山" || a.ResponsiblePerson != "李晓燕" ||
		a.ResponsibleUnit != "灵宝市交通运输局" || a.CreatedBy == nil {
		t.Errorf("item %+v", a)
	}
	if got := f.auditActions(t, "ledger_item", a.ID); len(got) != 1 || got[0] != "create" {
		t.Errorf("audit %v", got)
	}
	// Another unit has its own counter.
	r := f.click(t, lgYimaLiais, "item.new.submit", map[string]string{"unit": "yima"}, cards.Values{
		"source": {"其他"}, "category": {"执法粗暴"}, "description": {"x"}, "measures": {"y"}, "due": {"2026-12-01"}})
	if !strings.HasPrefix(r.Card.Title, "YM-2026-001") {
		t.Errorf("yima item %q (%s)", r.Card.Title, r.Toast)
	}

	// An empty form names every missing field and creates nothing.
	r = f.click(t, lgLiaison, "item.new.submit", map[string]string{"unit": "lingbao"}, cards.Values{})
	wantContains(t, "empty form", r.Toast, "问题来源", "问题类别", "问题描述", "整改时限")
	r = f.click(t, lgLiaison, "item.new.submit", map[string]string{"unit": "lingbao"}, cards.Values{
		"source": {"朋友圈"}, "category": {"c1"}, "description": {"x"}, "measures": {"y"}, "due": {"2026-11-01"}})
	wantContains(t, "bad source", r.Toast, "问题来源")
	r = f.click(t, lgLiaison, "item.new.submit", map[string]string{"unit": "lingbao"}, cards.Values{
		"source": {"s2"}, "category": {"c1"}, "description": {"x"}, "measures": {"y"}, "due": {"2026-11-01"}})
	wantContains(t, "past due", r.Toast, "整改时限不能早于今天")
	items, _ := f.st.OpenItemsOfUnit(f.ctx, f.unit(t, "lingbao").ID)
	if len(items) != 2 {
		t.Errorf("%d items after refusals", len(items))
	}
	// The number after the refusals is still gapless.
	if c := f.newItem(t, lgLeader, "第三项", "2026-12-31"); c.Number != "LB-2026-003" {
		t.Errorf("third number %s", c.Number)
	}
}

func TestLedgerCardOrderAndPaging(t *testing.T) {
	f := newLgFixture(t)
	later := f.addItem(t, "lingbao", "later", "2027-01-20")
	soon := f.addItem(t, "lingbao", "soon", "2026-11-30")
	overdue := f.addItem(t, "lingbao", "overdue", "2026-11-20")
	f.addItem(t, "lingbao", "later2", "2027-01-25")
	last := f.addItem(t, "lingbao", "later3", "2027-01-28")
	f.addItem(t, "yima", "not ours", "2026-11-01")

	sent := f.say(t, lgLiaison, lgGroup, "台账")
	if len(sent) != 1 || sent[0].Message.Card == nil {
		t.Fatalf("台账: %+v", sent)
	}
	c := sent[0].Message.Card
	text := cardText(c)
	wantContains(t, "ledger", text, "灵宝市交通运输局", "在办 5 项：逾期 1，7日内到期 1", "已逾期 6 天", "[下一页]")
	if strings.Contains(text, "not ours") || strings.Contains(text, last.Number) {
		t.Errorf("page 1 shows too much:\n%s", text)
	}
	io, is, il := strings.Index(text, overdue.Number), strings.Index(text, soon.Number), strings.Index(text, later.Number)
	if !(io >= 0 && io < is && is < il) {
		t.Errorf("order overdue %d soon %d later %d:\n%s", io, is, il, text)
	}
	if c.Tone != cards.ToneDanger {
		t.Errorf("tone %s", c.Tone)
	}
	if err := c.CheckLimits(cards.WeComLimits, nil); err != nil {
		t.Error(err)
	}
	r := f.click(t, lgLiaison, "ledger.show", map[string]string{"unit": "lingbao", "page": "2"}, nil)
	wantContains(t, "page 2", cardText(r.Card), last.Number, "[上一页]", "第 2/2 页")

	// The item card has the three actions with the item's version.
	r = f.click(t, lgLiaison, "item.show", ref(overdue), nil)
	var actions []string
	for _, b := range r.Card.Buttons() {
		actions = append(actions, b.Action)
		if b.Params["item"] != "" && b.Params["v"] != strconv.Itoa(overdue.Version) {
			t.Errorf("button %s carries v=%s", b.Text, b.Params["v"])
		}
	}
	if strings.Join(actions, ",") != "item.progress.form,item.close.form,item.extend.form,ledger.show" {
		t.Errorf("item actions %v", actions)
	}

	// The office without a unit named gets a picker; with one, the ledger.
	sent = f.say(t, lgOffice, "", "台账")
	wantContains(t, "office picker", sentText(sent[0]), "请选择单位", "[灵宝市交通运输局]")
	sent = f.say(t, lgOffice, "", "台账 义马")
	wantContains(t, "office ledger", sentText(sent[0]), "义马市交通运输局", "not ours")
}

func TestLedgerProgressAndStaleCard(t *testing.T) {
	f := newLgFixture(t)
	it := f.newItem(t, lgLiaison, "拦车检查", "2026-12-20")
	r := f.click(t, lgLiaison, "item.progress.form", ref(it), nil)
	if r.Card.Form() == nil || r.Card.Form().Submit.Params["v"] != "1" {
		t.Fatalf("progress form %+v", r.Card)
	}
	r = f.click(t, lgLiaison, "item.progress.submit", ref(it), cards.Values{"text": {"已约谈 2 人"}, "status": {"in_progress"}, "evidence": {"约谈记录"}})
	if r.ToastKind != "success" {
		t.Fatalf("progress: %q", r.Toast)
	}
	wantContains(t, "item card", cardText(r.Card), "已约谈 2 人", "李晓燕", "（附佐证）")
	got := f.item(t, it.Number)
	if got.Version != 2 || got.Progress != "已约谈 2 人" || got.ProgressAt == nil || got.Evidence != "约谈记录" {
		t.Errorf("after progress %+v", got)
	}

	// A click on the card drawn at version 1 is refused with the fresh card.
	r = f.click(t, lgLeader, "item.progress.submit", ref(it), cards.Values{"text": {"旧卡片上的进展"}, "status": {"in_progress"}})
	if r.Toast != msgStale || r.Card == nil || !strings.Contains(cardText(r.Card), "已约谈 2 人") {
		t.Errorf("stale submit: toast %q card %s", r.Toast, cardText(r.Card))
	}
	for _, action := range []string{"item.progress.form", "item.close.form", "item.extend.form", "item.close.submit"} {
		if r := f.click(t, lgLiaison, action, ref(it), cards.Values{"result": {"x"}}); r.Toast != msgStale {
			t.Errorf("stale %s: %q", action, r.Toast)
		}
	}
	if n := f.progressCount(t, it); n != 1 {
		t.Errorf("%d progress rows after stale clicks", n)
	}

	// 长期推进 needs 现阶段成效.
	r = f.click(t, lgLiaison, "item.progress.submit", ref(got), cards.Values{"text": {"持续推进"}, "status": {"long_term"}})
	wantContains(t, "long term without effect", r.Toast, "现阶段成效")
	r = f.click(t, lgLiaison, "item.progress.submit", ref(got), cards.Values{"text": {"持续推进"}, "status": {"long_term"}, "effect": {"已整改 12 处"}})
	got = f.item(t, it.Number)
	if got.Status != store.ItemLongTerm || got.Effect != "已整改 12 处" || got.Version != 3 {
		t.Errorf("long term %+v (%s)", got, r.Toast)
	}
	if acts := f.auditActions(t, "ledger_item", it.ID); strings.Join(acts, ",") != "create,progress,progress" {
		t.Errorf("audit %v", acts)
	}
	es, _ := f.st.AuditEntries(f.ctx, "ledger_item", strconv.FormatInt(it.ID, 10))
	last := es[len(es)-1]
	if last.Account != lgLiaison || last.Platform != "sim" || last.MessageID == "" ||
		!strings.Contains(string(last.Old), "已约谈 2 人") || !strings.Contains(string(last.New), "已整改 12 处") {
		t.Errorf("audit row %+v old=%s new=%s", last, last.Old, last.New)
	}
}

func TestLedgerProgressShortcut(t *testing.T) {
	f := newLgFixture(t)
	sent := f.say(t, lgLiaison, "", "进展：已整改")
	wantContains(t, "nothing yet", sentText(sent[0]), "请指明问题编号")
	a := f.newItem(t, lgLiaison, "第一项", "2026-12-20")
	b := f.newItem(t, lgLiaison, "第二项", "2026-12-21")
	sent = f.say(t, lgLiaison, "", "进展：已完成约谈")
	wantContains(t, "latest item", sentText(sent[0]), "已记入 "+b.Number)
	f.h.Clock.Advance(time.Minute)
	sent = f.say(t, lgLiaison, "", "进展 "+a.Number+" 已调取视频")
	f.h.Clock.Advance(time.Minute)
	wantContains(t, "named item", sentText(sent[0]), "已记入 "+a.Number)
	if got := f.item(t, a.Number); got.Progress != "已调取视频" {
		t.Errorf("a progress %q", got.Progress)
	}
	if got := f.item(t, b.Number); got.Progress != "已完成约谈" {
		t.Errorf("b progress %q", got.Progress)
	}
	// Now a is the latest acted on; an attachment is kept as evidence.
	ev := &bot.Event{ID: "file-1", Kind: bot.KindMessage, Platform: bot.Sim, Chat: bot.Chat{ID: "d:" + lgLiaison, Kind: bot.Direct},
		Sender: bot.User{ID: lgLiaison}, Text: "进展：补充现场照片", At: f.h.Clock.Now(),
		Files: []bot.File{{Name: "现场.jpg", MIME: "image/jpeg", Content: []byte("jpeg bytes")}}}
	if _, err := f.h.Bot.Dispatch(f.ctx, ev); err != nil {
		t.Fatal(err)
	}
	for _, s := range f.h.Deliver() {
		t.Log(sentText(s))
	}
	ups, err := f.st.ProgressOf(f.ctx, a.ID, 1)
	if err != nil || len(ups) != 1 || ups[0].FileID == nil || ups[0].Text != "补充现场照片" {
		t.Fatalf("file progress %+v %v", *ups[0], err)
	}
	file, err := f.st.FileByID(f.ctx, *ups[0].FileID)
	if err != nil || string(file.Content) != "jpeg bytes" || file.Name != "现场.jpg" || file.Sender != lgLiaison {
		t.Errorf("file %+v %v", file, err)
	}
	// Someone of another unit cannot write to it by number.
	sent = f.say(t, lgYimaLiais, "", "进展 "+a.Number+" 越权")
	wantContains(t, "other unit", sentText(sent[0]), "抱歉")
}

func TestLedgerCloseApproveReject(t *testing.T) {
	f := newLgFixture(t)
	it := f.newItem(t, lgLiaison, "随意拦车", "2026-12-20")
	r := f.click(t, lgLiaison, "item.close.form", ref(it), nil)
	if r.Card.Form() == nil || r.Card.Form().Field("result") == nil {
		t.Fatalf("close form %s", cardText(r.Card))
	}
	r = f.click(t, lgLiaison, "item.close.submit", ref(it), cards.Values{})
	wantContains(t, "no result", r.Toast, "整改结果")
	r = f.click(t, lgLiaison, "item.close.submit", ref(it), cards.Values{"result": {"已整改到位，涉事人员调离执法岗位"}, "evidence": {"处理决定.pdf"}})
	wantContains(t, "close submitted", r.Toast, "已提交销号申请", "刘宝山")
	got := f.item(t, it.Number)
	if got.Status != store.ItemCloseRequested || got.Version != 2 {
		t.Errorf("after close request %+v", got)
	}
	sent := f.h.Deliver()
	toLeader := sentTo(sent, lgLeader)
	if len(toLeader) != 1 || toLeader[0].Message.Card == nil {
		t.Fatalf("leader got %+v", sent)
	}
	ac := toLeader[0].Message.Card
	wantContains(t, "approval card", cardText(ac), "销号审批 · "+it.Number, "已整改到位", "李晓燕", "[同意][驳回]")
	reqParams := ac.Buttons()[0].Params
	// A second request while one is pending is refused.
	r = f.click(t, lgLiaison, "item.extend.form", ref(got), nil)
	wantContains(t, "second request", r.Toast, "待审批")

	// Only 灵宝's leader or the office decides.
	for _, who := range []string{lgLiaison, lgYimaLead, lgOutsider} {
		r = f.click(t, who, "approval.approve", reqParams, nil)
		wantContains(t, who+" approves", r.Toast, "抱歉")
	}
	if got := f.item(t, it.Number); got.Status != store.ItemCloseRequested {
		t.Fatalf("refused approval changed the item: %s", got.Status)
	}
	r = f.click(t, lgLeader, "approval.approve", reqParams, nil)
	if r.Toast != "已同意" {
		t.Fatalf("approve: %q", r.Toast)
	}
	wantContains(t, "decided card", cardText(r.Card), "刘宝山 于")
	got = f.item(t, it.Number)
	if got.Status != store.ItemClosed || got.ClosedAt == nil || !got.ClosedAt.Equal(f.h.Clock.Now()) {
		t.Errorf("after approval %+v", got)
	}
	sent = f.h.Deliver()
	toLiaison := sentTo(sent, lgLiaison)
	if len(toLiaison) != 1 {
		t.Fatalf("liaison got %+v", sent)
	}
	wantContains(t, "liaison told", sentText(toLiaison[0]), "刘宝山 同意了 "+it.Number+" 的销号申请", "已销号", "销号时间")
	// A second click shows the decision and changes nothing.
	r = f.click(t, lgLeader, "approval.approve", reqParams, nil)
	wantContains(t, "second approve", r.Toast, "已处理")
	if acts := f.auditActions(t, "ledger_item", it.ID); strings.Join(acts, ",") != "create,request_close,approve_close" {
		t.Errorf("item audit %v", acts)
	}
	q, _ := strconv.ParseInt(reqParams["request"], 10, 64)
	if acts := f.auditActions(t, "item_request", q); strings.Join(acts, ",") != "request_close,approve_close" {
		t.Errorf("request audit %v", acts)
	}
	// A closed item takes no more progress.
	r = f.click(t, lgLiaison, "item.progress.form", ref(got), nil)
	wantContains(t, "closed", r.Toast, "已销号")

	// A rejected 销号 puts the item back to 整改中 and tells the reason.
	b := f.newItem(t, lgLiaison, "第二项", "2026-12-20")
	f.click(t, lgLiaison, "item.close.submit", ref(b), cards.Values{"result": {"已整改"}})
	ac = sentTo(f.h.Deliver(), lgLeader)[0].Message.Card
	rp := ac.Buttons()[1].Params
	r = f.click(t, lgLeader, "approval.reject.form", rp, nil)
	if r.Card.Form() == nil {
		t.Fatalf("reject form %s", cardText(r.Card))
	}
	r = f.click(t, lgLeader, "approval.reject.submit", rp, cards.Values{})
	wantContains(t, "reject without reason", r.Toast, "驳回理由")
	r = f.click(t, lgLeader, "approval.reject.submit", rp, cards.Values{"reason": {"佐证材料不全"}})
	if r.Toast != "已驳回" {
		t.Fatalf("reject: %q", r.Toast)
	}
	if got := f.item(t, b.Number); got.Status != store.ItemInProgress || got.ClosedAt != nil {
		t.Errorf("after reject %+v", got)
	}
	wantContains(t, "liaison told reject", sentText(sentTo(f.h.Deliver(), lgLiaison)[0]), "驳回", "佐证材料不全")

	// The office may decide too; 待审批 lists what waits.
	b = f.item(t, b.Number)
	f.click(t, lgLiaison, "item.close.submit", ref(b), cards.Values{"result": {"补充材料后再次申请"}})
	f.h.Deliver()
	sent = f.say(t, lgOffice, "", "待审批")
	wantContains(t, "office pending", sentText(sent[0]), b.Number, "销号申请", "[审批 "+b.Number+"]")
	sent = f.say(t, lgLiaison, "", "待审批")
	wantContains(t, "liaison pending", sentText(sent[0]), "抱歉")
	pending, _ := f.st.PendingRequestOfItem(f.ctx, b.ID)
	r = f.click(t, lgOffice, "approval.approve", requestParams(pending), nil)
	if r.Toast != "已同意" || f.item(t, b.Number).Status != store.ItemClosed {
		t.Errorf("office approve %q", r.Toast)
	}
	if n, err := f.st.VerifyAudit(f.ctx); err != nil || n == 0 {
		t.Errorf("audit chain %d %v", n, err)
	}
}

func TestLedgerExtend(t *testing.T) {
	f := newLgFixture(t)
	it := f.newItem(t, lgLiaison, "标牌不规范", "2026-12-20")
	r := f.click(t, lgLiaison, "item.extend.submit", ref(it), cards.Values{"due": {"2026-12-10"}, "reason": {"x"}})
	wantContains(t, "earlier date", r.Toast, "须晚于原时限")
	r = f.click(t, lgLiaison, "item.extend.submit", ref(it), cards.Values{"due": {"2027-01-20"}})
	wantContains(t, "no reason", r.Toast, "延期理由")
	r = f.click(t, lgLiaison, "item.extend.submit", ref(it), cards.Values{"due": {"2027-01-20"}, "reason": {"需协调公路部门"}})
	wantContains(t, "extend", r.Toast, "已提交延期申请")
	wantContains(t, "item card shows pending", cardText(r.Card), "延期至 2027-01-20")
	ac := sentTo(f.h.Deliver(), lgLeader)[0].Message.Card
	wantContains(t, "extend approval", cardText(ac), "延期审批", "2026-12-20 → 2027-01-20", "需协调公路部门")
	r = f.click(t, lgLeader, "approval.approve", ac.Buttons()[0].Params, nil)
	if got := f.item(t, it.Number); civil(got.DueOn).Format(time.DateOnly) != "2027-01-20" || got.Status != store.ItemInProgress {
		t.Errorf("after extend %+v (%s)", got, r.Toast)
	}
	wantContains(t, "liaison told", sentText(sentTo(f.h.Deliver(), lgLiaison)[0]), "整改时限延至 2027-01-20")
}

func TestLedgerAuthorization(t *testing.T) {
	f := newLgFixture(t)
	it := f.newItem(t, lgLiaison, "拦车", "2026-12-20")
	lb := map[string]string{"unit": "lingbao", "page": "1"}
	cases := []struct {
		user, action string
		params       map[string]string
		form         cards.Values
	}{
		{lgYimaLiais, "ledger.show", lb, nil},
		{lgYimaLead, "ledger.show", lb, nil},
		{lgOutsider, "ledger.show", lb, nil},
		{lgYimaLiais, "item.show", ref(it), nil},
		{lgYimaLiais, "item.progress.submit", ref(it), cards.Values{"text": {"越权"}, "status": {"in_progress"}}},
		{lgOutsider, "item.close.submit", ref(it), cards.Values{"result": {"越权"}}},
		{lgYimaLiais, "item.extend.submit", ref(it), cards.Values{"due": {"2027-01-01"}, "reason": {"越权"}}},
		{lgYimaLiais, "item.new.submit", map[string]string{"unit": "lingbao"}, cards.Values{"source": {"s1"}, "category": {"c1"}, "description": {"x"}, "measures": {"y"}, "due": {"2026-12-01"}}},
		{lgYimaLiais, "report.form", map[string]string{"unit": "lingbao", "period": "2026-11"}, nil},
		{lgYimaLiais, "report.submit", map[string]string{"unit": "lingbao", "period": "2026-11"}, cards.Values{"summary": {"越权"}}},
		{lgYimaLiais, "milestone.submit", map[string]string{"unit": "lingbao", "milestone": "selfservice-all-cases"}, cards.Values{"note": {"越权"}}},
	}
	for _, c := range cases {
		r := f.click(t, c.user, c.action, c.params, c.form)
		if !strings.HasPrefix(r.Toast, "抱歉") || r.ToastKind != "error" {
			t.Errorf("%s %s: toast %q", c.user, c.action, r.Toast)
		}
	}
	if got := f.item(t, it.Number); got.Version != 1 || f.progressCount(t, it) != 0 {
		t.Errorf("refusals changed the item: %+v", got)
	}
	if _, err := f.st.MonthlyReportOf(f.ctx, f.unit(t, "lingbao").ID, "2026-11"); err == nil {
		t.Error("a refused report was saved")
	}
	sent := f.say(t, lgOutsider, "", "台账")
	wantContains(t, lgOutsider+" 台账", sentText(sent[0]), "抱歉")
	// An enterprise contact has no ledger: its words go to its contact
	// leader as a message, never refused and lost.
	sent = f.say(t, lgContact, "", "台账")
	wantContains(t, lgContact+" 台账", sentText(sent[0]), "诉求")
	sent = f.say(t, "p:nobody", "", "台账")
	wantContains(t, "stranger", sentText(sent[0]), "绑定")
	// In another unit's group, a liaison still sees only what he may.
	sent = f.say(t, lgYimaLiais, lgGroup, "台账")
	wantContains(t, "other group", sentText(sent[0]), "抱歉")
}

// TestLedgerConcurrentUpdates: two liaisons of one unit submit progress on
// the same card at the same moment; one wins, the other gets the fresh
// card. Concurrent new items get consecutive numbers.
func TestLedgerConcurrentUpdates(t *testing.T) {
	ctx := context.Background()
	pool := storetest.TestSchema(ctx, t)
	st := store.New(pool)
	camp, _ := applyCampaignFile(t, ctx, st, demoFile, nil)
	// A second liaison of 灵宝 (a unit member).
	var pid int64
	if err := pool.QueryRow(ctx, `INSERT INTO people (key, name) VALUES ('li2-lb', '王小二') RETURNING id`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO accounts (platform, external_id, person_id) VALUES ('sim', 'p:li2-lb', $1)`, pid); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO unit_members (unit_id, person_id) SELECT id, $1 FROM units WHERE key = 'lingbao'`, pid); err != nil {
		t.Fatal(err)
	}
	h := newDemoHarness(t, st)

	// Two new items at once: LB-2026-001 and LB-2026-002, no gap, no clash.
	type result struct {
		r   *bot.Reply
		err error
	}
	run := func(users []string, action string, params map[string]string, forms []cards.Values) []result {
		out := make([]result, len(users))
		done := make(chan int)
		start := make(chan struct{})
		for i := range users {
			go func() {
				<-start
				r, err := h.Click(users[i], "", action, params, forms[i])
				out[i] = result{r, err}
				done <- i
			}()
		}
		close(start)
		for range users {
			<-done
		}
		return out
	}
	form := func(desc string) cards.Values {
		return cards.Values{"source": {"s5"}, "category": {"c1"}, "description": {desc}, "measures": {"m"}, "due": {"2026-12-20"}}
	}
	res := run([]string{lgLiaison, "p:li2-lb"}, "item.new.submit", map[string]string{"unit": "lingbao"}, []cards.Values{form("a"), form("b")})
	var numbers []string
	for _, x := range res {
		if x.err != nil || x.r == nil || x.r.ToastKind != "success" {
			t.Fatalf("concurrent create: %+v %v", x.r, x.err)
		}
		numbers = append(numbers, strings.Fields(x.r.Card.Title)[0])
	}
	if !(numbers[0] == "LB-2026-001" && numbers[1] == "LB-2026-002" || numbers[0] == "LB-2026-002" && numbers[1] == "LB-2026-001") {
		t.Errorf("numbers %v", numbers)
	}

	it, err := st.LedgerItemByNumber(ctx, camp.ID, "LB-2026-001")
	if err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 3; round++ {
		it, _ = st.LedgerItemByID(ctx, it.ID)
		res = run([]string{lgLiaison, "p:li2-lb"}, "item.progress.submit", itemRef(it), []cards.Values{
			{"text": {"李的进展"}, "status": {"in_progress"}}, {"text": {"王的进展"}, "status": {"in_progress"}}})
		var won, told int
		for _, x := range res {
			switch {
			case x.err != nil:
				t.Fatal(x.err)
			case x.r.ToastKind == "success":
				won++
			case x.r.Toast == msgStale && x.r.Card != nil:
				told++
			default:
				t.Errorf("unexpected reply %+v", x.r)
			}
		}
		if won != 1 || told != 1 {
			t.Errorf("round %d: %d won, %d told", round, won, told)
		}
		after, _ := st.LedgerItemByID(ctx, it.ID)
		if after.Version != it.Version+1 {
			t.Errorf("round %d: version %d → %d", round, it.Version, after.Version)
		}
	}
	if n, _ := st.CountProgress(ctx, it.ID); n != 3 {
		t.Errorf("%d progress rows, want 3", n)
	}
}

func TestMonthlyReport(t *testing.T) {
	f := newLgFixture(t)
	lb := f.unit(t, "lingbao")
	stale := f.addItem(t, "lingbao", "本月未更新的问题", "2026-12-30")
	// A typed 月报 means the open period (2026-12, due 12-23) and offers
	// the owed ones (2026-08 to 2026-11) as 补报 buttons.
	sent := f.say(t, lgLiaison, lgGroup, "月报")
	wantContains(t, "月报", sentText(sent[0]), "月报 · 2026年12月", "还有 27 天", "另有 **4** 期月报尚未报送",
		"补报 2026年8月（逾期 97 天）", "补报 2026年11月（逾期 3 天）")
	form := sent[0].Message.Card.Form()
	if form.Submit.Params["period"] != "2026-12" || form.Submit.Params["unit"] != "lingbao" {
		t.Errorf("typed 月报 params %v", form.Submit.Params)
	}
	// A reminder's button carries its period; the form lists items not
	// updated this period and asks to confirm them.
	p := map[string]string{"unit": "lingbao", "period": "2026-11"}
	r := f.click(t, lgLiaison, "report.form", p, nil)
	wantContains(t, "form", cardText(r.Card), "月报 · 2026年11月", stale.Number, "<summary><confirm>")
	r = f.click(t, lgLiaison, "report.submit", p, cards.Values{"summary": {"本月评查案卷 32 卷"}})
	wantContains(t, "unconfirmed", r.Toast, "确认")
	r = f.click(t, lgLiaison, "report.submit", map[string]string{"unit": "lingbao", "period": "2031-01"}, cards.Values{"summary": {"x"}})
	wantContains(t, "bad period", r.Toast, "不是本次专项整治的报送期")

	// Submitted 2026-11-23 23:30 in Shanghai (15:30 UTC): on time.
	f.h.Clock.Set(at("2026-11-23", "23:30"))
	r = f.click(t, lgLiaison, "report.submit", p, cards.Values{"summary": {"本月评查案卷 32 卷"}, "confirm": {"confirmed"}})
	if r.Toast != "月报已按时报送" {
		t.Errorf("submit: %q", r.Toast)
	}
	m, err := f.st.MonthlyReportOf(f.ctx, lb.ID, "2026-11")
	if err != nil || !m.OnTime || m.Summary != "本月评查案卷 32 卷" {
		t.Fatalf("report %+v %v", m, err)
	}
	if acts := f.auditActions(t, "monthly_report", m.ID); len(acts) != 1 {
		t.Errorf("audit %v", acts)
	}
	r = f.click(t, lgLiaison, "report.submit", p, cards.Values{"summary": {"again"}, "confirm": {"confirmed"}})
	wantContains(t, "twice", r.Toast, "已报送")
	r = f.click(t, lgLiaison, "report.form", p, nil)
	wantContains(t, "form after submit", cardText(r.Card), "月报已报送", "按时报送")

	// 义马 submits at 00:30 on the 24th in Shanghai (still the 23rd in
	// UTC): late.
	f.h.Clock.Set(at("2026-11-24", "00:30"))
	r = f.click(t, lgYimaLiais, "report.submit", map[string]string{"unit": "yima", "period": "2026-11"}, cards.Values{"summary": {"义马月报"}})
	if r.Toast != "月报已报送（逾期）" {
		t.Errorf("late submit: %q", r.Toast)
	}

	// 报送情况 for the office: who has and has not submitted.
	sent = f.say(t, lgOffice, "", "报送情况 2026-11")
	wantContains(t, "status", sentText(sent[0]), "按时 1，逾期 1，未报 2", "灵宝市交通运输局|按时报送", "义马市交通运输局|逾期报送", "卢氏县交通运输局|逾期未报")
	sent = f.say(t, lgLiaison, "", "报送情况")
	wantContains(t, "liaison status", sentText(sent[0]), "抱歉")
	sent = f.say(t, lgOffice, "", "月报 市局专项整治办公室")
	wantContains(t, "office 月报", sentText(sent[0]), "无需报送")
}

func TestMilestoneDone(t *testing.T) {
	f := newLgFixture(t)
	p := map[string]string{"milestone": "selfservice-all-cases", "unit": "lingbao"}
	r := f.click(t, lgLiaison, "milestone.form", p, nil)
	if r.Card.Form() == nil {
		t.Fatalf("milestone form %s", cardText(r.Card))
	}
	r = f.click(t, lgLiaison, "milestone.submit", p, cards.Values{})
	wantContains(t, "empty note", r.Toast, "完成情况")
	r = f.click(t, lgLiaison, "milestone.submit", p, cards.Values{"note": {"实施方案已报送"}})
	if r.Toast != "已标记完成" {
		t.Fatalf("submit %q", r.Toast)
	}
	wantContains(t, "done card", cardText(r.Card), "节点已完成", "实施方案已报送", "李晓燕")
	r = f.click(t, lgLiaison, "milestone.submit", p, cards.Values{"note": {"again"}})
	wantContains(t, "twice", r.Toast, "已标记完成")
	// The counties' milestone is not the 支队's.
	r = f.click(t, lgZhidui, "milestone.form", map[string]string{"milestone": "selfservice-all-cases", "unit": "zhidui"}, nil)
	wantContains(t, "not addressed", r.Toast, "不是")
	subs, err := f.st.MilestoneSubmissions(f.ctx, mustMilestone(t, f, "selfservice-all-cases").ID)
	if err != nil || len(subs) != 1 || subs[f.unit(t, "lingbao").ID].Note != "实施方案已报送" {
		t.Errorf("submissions %+v %v", subs, err)
	}
}

func mustMilestone(t *testing.T, f *lgFixture, key string) *store.Milestone {
	t.Helper()
	m, err := f.st.MilestoneByKey(f.ctx, f.camp.ID, key)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sheetRows reads the first sheet of an .xlsx.
func sheetRows(t *testing.T, data []byte) [][]string {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows(x.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// seedLedger gives 灵宝 and 义马 items in every state through the handlers.
func seedLedger(t *testing.T, f *lgFixture) {
	t.Helper()
	a := f.newItem(t, lgLiaison, "路政人员随意拦车检查，\n群众投诉", "2026-12-20")
	b := f.newItem(t, lgLiaison, "标牌设置不规范", "2026-12-30")
	f.newItem(t, lgLiaison, "尚无进展的问题", "2027-01-10")
	f.click(t, lgLiaison, "item.progress.submit", ref(b), cards.Values{"text": {"已整改 12 处"}, "status": {"long_term"}, "effect": {"主干道全部规范"}})
	f.click(t, lgLiaison, "item.progress.submit", ref(a), cards.Values{"text": {"已约谈"}, "status": {"in_progress"}})
	a = f.item(t, a.Number)
	f.click(t, lgLiaison, "item.close.submit", ref(a), cards.Values{"result": {"已整改到位"}})
	q, _ := f.st.PendingRequestOfItem(f.ctx, a.ID)
	f.click(t, lgLeader, "approval.approve", requestParams(q), nil)
	f.click(t, lgYimaLiais, "item.new.submit", map[string]string{"unit": "yima"}, cards.Values{
		"source": {"s9"}, "category": {"c6"}, "description": {"义马的问题"}, "measures": {"m"}, "due": {"2026-12-01"}})
	f.h.Deliver()
}

func TestLedgerExportImportRoundTrip(t *testing.T) {
	f := newLgFixture(t)
	seedLedger(t, f)
	var buf bytes.Buffer
	n, err := ExportLedger(f.ctx, f.st, &buf, "")
	if err != nil || n != 4 {
		t.Fatalf("export: %d %v", n, err)
	}
	rows := sheetRows(t, buf.Bytes())
	if strings.Join(rows[0], ",") != strings.Join(append(slices.Clone(ledgerColumns), lightColumn, evidenceColumn), ",") {
		t.Errorf("header %v", rows[0])
	}
	if rows[1][15] != "绿灯（已销号）" {
		t.Errorf("light of the closed row %q", rows[1][15])
	}
	closed := rows[1]
	if closed[0] != "LB-2026-001" || closed[11] != "已销号" || closed[12] != "是" || closed[13] != "2026-11-26 10:00" || closed[10] != "已整改到位" {
		t.Errorf("closed row %q", closed)
	}
	if rows[2][10] != "已整改 12 处\n现阶段成效：主干道全部规范" || rows[2][11] != "长期推进" {
		t.Errorf("long-term row %q", rows[2])
	}
	var unitOnly bytes.Buffer
	if n, err := ExportLedger(f.ctx, f.st, &unitOnly, "yima"); err != nil || n != 1 {
		t.Errorf("yima export %d %v", n, err)
	}

	// Importing the export into the same ledger changes nothing.
	res, err := ImportLedger(f.ctx, f.st, bytes.NewReader(buf.Bytes()), store.System)
	if err != nil || res != (ImportResult{Unchanged: 4}) {
		t.Fatalf("re-import: %+v %v", res, err)
	}

	// Into a fresh database with the same campaign it rebuilds the ledger.
	st2 := store.New(storetest.TestSchema(f.ctx, t))
	camp2, _ := applyCampaignFile(t, f.ctx, st2, demoFile, nil)
	res, err = ImportLedger(f.ctx, st2, bytes.NewReader(buf.Bytes()), store.System)
	if err != nil || res != (ImportResult{Created: 4}) {
		t.Fatalf("import: %+v %v", res, err)
	}
	var again bytes.Buffer
	if _, err := ExportLedger(f.ctx, st2, &again, ""); err != nil {
		t.Fatal(err)
	}
	if a, b := sheetRows(t, buf.Bytes()), sheetRows(t, again.Bytes()); !equalRows(a, b) {
		t.Errorf("round trip differs:\n%q\n%q", a, b)
	}
	// New numbers continue after the imported ones.
	u, _ := st2.UnitByKey(f.ctx, camp2.ID, "lingbao")
	it := &store.LedgerItem{CampaignID: camp2.ID, UnitID: u.ID, Source: "其他", Category: "其他有关问题", Description: "x", DueOn: time.Now()}
	if err := st2.CreateLedgerItem(f.ctx, it, 2026); err != nil || it.Number != "LB-2026-004" {
		t.Errorf("next number %s %v", it.Number, err)
	}

	// An edited row updates its item, with an audit row.
	x, _ := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	_ = x.SetCellValue(ledgerSheet, "K4", "已排查 3 个站点")
	var edited bytes.Buffer
	_ = x.Write(&edited)
	res, err = ImportLedger(f.ctx, f.st, &edited, store.System)
	if err != nil || res != (ImportResult{Updated: 1, Unchanged: 3}) {
		t.Fatalf("edited import: %+v %v", res, err)
	}
	third := f.item(t, "LB-2026-003")
	if third.Progress != "已排查 3 个站点" || third.Version != 2 {
		t.Errorf("updated item %+v", third)
	}
	if acts := f.auditActions(t, "ledger_item", third.ID); acts[len(acts)-1] != "import_update" {
		t.Errorf("audit %v", acts)
	}
}

func equalRows(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.Join(a[i], "\x1f") != strings.Join(b[i], "\x1f") {
			return false
		}
	}
	return true
}

func TestLedgerImportBadRows(t *testing.T) {
	f := newLgFixture(t)
	x := excelize.NewFile()
	sh := x.GetSheetList()[0]
	put := func(row int, vals ...any) {
		cell, _ := excelize.CoordinatesToCellName(1, row)
		if err := x.SetSheetRow(sh, cell, &vals); err != nil {
			t.Fatal(err)
		}
	}
	hdr := make([]any, len(ledgerColumns))
	for i, c := range ledgerColumns {
		hdr[i] = c
	}
	put(1, hdr...)
	put(2, "", "灵宝市交通运输局", "12328热线", "执法不规范", "好的一行", "措施", "", "", "", "2026-12-20", "", "整改中", "否", "", "")
	put(3, "", "不存在的局", "12328热线", "执法不规范", "单位错", "", "", "", "", "2026-12-20", "", "", "", "", "")
	put(4, "", "yima", "朋友圈", "乱收费", "", "", "", "", "", "明天", "", "", "", "", "")
	put(5, "", "LS", "自查自纠", "执法粗暴", "状态错", "", "", "", "", "2026-12-20", "", "已销号", "否", "", "")
	put(6, "LB-2026-999", "灵宝市交通运输局", "自查自纠", "执法粗暴", "长期推进无成效", "", "", "", "", "2026-12-20", "在推进", "长期推进", "", "", "")
	put(8, "XX-1", "灵宝市交通运输局", "自查自纠", "执法粗暴", "编号错", "", "", "", "", "2026-12-20", "", "", "", "", "")
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		t.Fatal(err)
	}
	_, err := ImportLedger(f.ctx, f.st, &buf, store.System)
	ie, ok := err.(*ImportError)
	if !ok {
		t.Fatalf("import error %v", err)
	}
	msg := ie.Error()
	wantContains(t, "problems", msg, "第 3 行：单位“不存在的局”不存在",
		"第 4 行：问题来源“朋友圈”无效", "问题类别“乱收费”无效", "“问题描述”不能为空", "整改时限“明天”不是有效日期",
		"第 5 行：整改状态为“已销号”时“是否销号”应为“是”", "已销号的问题须填写有效的“销号时间”",
		"第 6 行：“长期推进”的问题须在整改进展中写明“现阶段成效：…”",
		"第 8 行：序号“XX-1”不是本系统的编号")
	if len(ie.Problems) != 5 || strings.Contains(msg, "第 2 行") || strings.Contains(msg, "第 7 行") {
		t.Errorf("problems %q", ie.Problems)
	}
	items, _ := f.st.LedgerItems(f.ctx, f.camp.ID, nil)
	if len(items) != 0 {
		t.Errorf("a bad import created %d items", len(items))
	}
	// A file that is not a spreadsheet, or has the wrong columns.
	if _, err := ImportLedger(f.ctx, f.st, strings.NewReader("not xlsx"), store.System); err == nil {
		t.Error("garbage imported")
	}
}

func TestExportsInChat(t *testing.T) {
	f := newLgFixture(t)
	seedLedger(t, f)
	f.h.Clock.Set(at("2026-11-20", "10:00"))
	f.click(t, lgLiaison, "report.submit", map[string]string{"unit": "lingbao", "period": "2026-11"}, cards.Values{"summary": {"灵宝月报"}, "confirm": {"confirmed"}})
	f.h.Clock.Set(at("2026-11-26", "10:00"))
	f.h.Deliver()

	file := func(sent []bottest.Sent, user string) []byte {
		t.Helper()
		for _, s := range sentTo(sent, user) {
			if s.Message.File != nil {
				if s.Message.File.MIME != XLSXMIME {
					t.Errorf("mime %s", s.Message.File.MIME)
				}
				return s.Message.File.Content
			}
		}
		t.Fatalf("no file to %s in %+v", user, sent)
		return nil
	}
	// The office gets every unit; the liaison only his.
	sent := f.say(t, lgOffice, "", "导出台账")
	if rows := sheetRows(t, file(sent, lgOffice)); len(rows) != 5 {
		t.Errorf("office export has %d rows", len(rows))
	}
	sent = f.say(t, lgLiaison, lgGroup, "导出台账")
	rows := sheetRows(t, file(sent, lgLiaison))
	if len(rows) != 4 || rows[3][1] != "灵宝市交通运输局" {
		t.Errorf("liaison export %q", rows)
	}
	sent = f.say(t, lgLiaison, "", "导出台账 义马")
	wantContains(t, "other unit export", sentText(sent[0]), "抱歉")

	sent = f.say(t, lgOffice, "", "导出月报 2026-11")
	rows = sheetRows(t, file(sent, lgOffice))
	if strings.Join(rows[0], ",") != strings.Join(monthlyColumns, ",") {
		t.Errorf("monthly header %v", rows[0])
	}
	// Units in campaign order (office left out), then the total row.
	want := [][]string{
		// 往期待补报: nobody reported August to October.
		{"1", "灵宝市交通运输局", "3", "1", "1", "1", "0", "按时", "2026-11-20 10:00", "8月、9月、10月"},
		{"2", "义马市交通运输局", "1", "0", "0", "1", "0", "逾期未报", "", "8月、9月、10月"},
		{"3", "卢氏县交通运输局", "0", "0", "0", "0", "0", "逾期未报", "", "8月、9月、10月"},
		{"4", "市交通运输综合行政执法支队", "0", "0", "0", "0", "0", "逾期未报", "", "8月、9月、10月"},
		{"合计", "4 个单位", "4", "1", "1", "2", "0", "按时 1 / 逾期 0 / 未报 3"},
	}
	for i, w := range want {
		if strings.Join(rows[i+1], ",") != strings.Join(w, ",") {
			t.Errorf("monthly row %d = %q, want %q", i+1, rows[i+1], w)
		}
	}
	sent = f.say(t, lgLeader, "", "导出月报")
	rows = sheetRows(t, file(sent, lgLeader))
	if len(rows) < 3 || rows[1][1] != "灵宝市交通运输局" || rows[2][0] != "合计" {
		t.Errorf("leader monthly %q", rows)
	}
	var cli bytes.Buffer
	if err := ExportMonthly(f.ctx, f.st, &cli, "2026-11", f.h.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	if rows := sheetRows(t, cli.Bytes()); rows[5][0] != "合计" {
		t.Errorf("cli monthly %q", rows)
	}
}

// TestLedgerFromReminderToExport walks the scenario through the
// handlers: a deadline reminder's button → progress update → 申请销号 →
// the leader approves → the export shows 已销号 with its 销号时间.
func TestLedgerFromReminderToExport(t *testing.T) {
	f := newLgFixture(t)
	it := f.newItem(t, lgLiaison, "超限站违规告知", "2026-11-28")
	due, err := f.st.ItemsDueOn(f.ctx, f.camp.ID, []time.Time{time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)})
	if err != nil || len(due) != 1 {
		t.Fatalf("due items %v %v", due, err)
	}
	reminder := itemReminderCard(due[0], f.unit(t, "lingbao"), stageSoon, at("2026-11-26", "09:00"))
	btn := reminder.Buttons()[0]
	r := f.click(t, lgLiaison, btn.Action, btn.Params, nil)
	form := r.Card.Form()
	r = f.click(t, lgLiaison, form.Submit.Action, form.Submit.Params, cards.Values{"text": {"已整改告知书"}, "status": {"in_progress"}})
	var closeBtn cards.Button
	for _, b := range r.Card.Buttons() {
		if b.Action == "item.close.form" {
			closeBtn = b
		}
	}
	r = f.click(t, lgLiaison, closeBtn.Action, closeBtn.Params, nil)
	form = r.Card.Form()
	f.h.Clock.Advance(time.Hour)
	f.click(t, lgLiaison, form.Submit.Action, form.Submit.Params, cards.Values{"result": {"告知书已全部撤回重发"}})
	ac := sentTo(f.h.Deliver(), lgLeader)[0]
	if ac.Message.Card == nil {
		t.Fatalf("no approval card")
	}
	f.h.Clock.Advance(time.Hour)
	f.click(t, lgLeader, "approval.approve", ac.Message.Card.Buttons()[0].Params, nil)
	var buf bytes.Buffer
	if _, err := ExportLedger(f.ctx, f.st, &buf, "lingbao"); err != nil {
		t.Fatal(err)
	}
	row := sheetRows(t, buf.Bytes())[1]
	if row[0] != it.Number || row[11] != "已销号" || row[12] != "是" || row[13] != "2026-11-26 12:00" {
		t.Errorf("export row %q", row)
	}
}

func TestLedgerSampleCardsValidate(t *testing.T) {
	for _, nc := range ledgerSampleCards() {
		if err := nc.Card.CheckLimits(cards.WeComLimits, nil); err != nil {
			t.Errorf("%s: %v", nc.Name, err)
		}
	}
}

// TestLedgerNoSelfApproval: a leader who files his unit's 销号 himself
// cannot approve it; the office can.
func TestLedgerNoSelfApproval(t *testing.T) {
	f := newLgFixture(t)
	it := f.newItem(t, lgLiaison, "执法记录仪未全程开启", "2026-12-20")
	r := f.click(t, lgLeader, "item.close.submit", ref(it), cards.Values{"result": {"已全程开启并抽查"}})
	wantContains(t, "leader files", r.Toast, "已提交销号申请")
	q, err := f.st.PendingRequestOfItem(f.ctx, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	r = f.click(t, lgLeader, "approval.approve", requestParams(q), nil)
	wantContains(t, "self-approval", r.Toast, "不能审批本人提交")
	if got := f.item(t, it.Number); got.Status == store.ItemClosed {
		t.Fatal("a leader closed an item on his own request")
	}
	r = f.click(t, lgOffice, "approval.approve", requestParams(q), nil)
	if r.Toast != "已同意" || f.item(t, it.Number).Status != store.ItemClosed {
		t.Errorf("office approve: %q", r.Toast)
	}
}
