package handlers

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"zhenggai/bot"
	"zhenggai/bot/bottest"
	"zhenggai/cards"
	"zhenggai/store"
	"zhenggai/store/storetest"
)

const (
	zhangWei = "c:smx-yunshu:张伟"
	yangG    = "c:ym-wuliu:杨光"
	wangJG   = "p:wang-jg"
	chenHM   = "p:chen-hm"
	luXM     = "p:lu-xm"
)

type entFixture struct {
	ctx  context.Context
	st   *store.Store
	h    *bottest.Harness
	camp *store.Campaign
	file *CampaignFile
	seq  int
}

// newEntFixture applies the demo campaign and builds a bot with every
// handler, its clock on Thursday 2026-11-26 10:00 in Shanghai.
func newEntFixture(t *testing.T) *entFixture {
	t.Helper()
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	camp, f := applyCampaignFile(t, ctx, st, demoFile, nil)
	h := newDemoHarness(t, st)
	return &entFixture{ctx: ctx, st: st, h: h, camp: camp, file: f}
}

func (f *entFixture) text(t *testing.T, user, text string) {
	t.Helper()
	if _, err := f.h.Text(user, "", text); err != nil {
		t.Fatalf("%s: %q: %v", user, text, err)
	}
}

func (f *entFixture) click(t *testing.T, user, action string, params map[string]string, form cards.Values) *bot.Reply {
	t.Helper()
	r, err := f.h.Click(user, "", action, params, form)
	if err != nil {
		t.Fatalf("%s: %s: %v", user, action, err)
	}
	return r
}

// event dispatches a message from another platform.
func (f *entFixture) event(t *testing.T, p bot.Platform, id, user, text string) {
	t.Helper()
	ev := &bot.Event{ID: id, Kind: bot.KindMessage, Platform: p, Chat: bot.Chat{Kind: bot.Direct}, Sender: bot.User{ID: user},
		Text: text, At: f.h.Clock.Now(), Message: bot.MessageRef{Platform: p, MessageID: id}}
	if _, err := f.h.Bot.Dispatch(f.ctx, ev); err != nil {
		t.Fatal(err)
	}
}

func (f *entFixture) request(t *testing.T, number string) *store.EnterpriseRequest {
	t.Helper()
	q, err := f.st.EnterpriseRequestByNumber(f.ctx, f.camp.ID, number)
	if err != nil {
		t.Fatalf("request %s: %v", number, err)
	}
	return q
}

func params(q *store.EnterpriseRequest) map[string]string {
	return map[string]string{"request": strconv.FormatInt(q.ID, 10)}
}

func mustContain(t *testing.T, what string, sent []bottest.Sent, want string) {
	t.Helper()
	for _, s := range sent {
		if strings.Contains(sentText(s), want) {
			return
		}
	}
	var got []string
	for _, s := range sent {
		got = append(got, sentText(s))
	}
	t.Fatalf("%s: no message contains %q; got %q", what, want, got)
}

func auditActions(t *testing.T, f *entFixture, number string) []string {
	t.Helper()
	es, err := f.st.AuditEntries(f.ctx, "enterprise_request", number)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Action)
	}
	return out
}

func TestEnterpriseRelayBothWays(t *testing.T) {
	f := newEntFixture(t)
	f.text(t, zhangWei, "我公司两辆货车年审被要求重复提交材料。")
	sent := f.h.Deliver()
	leader := sentTo(sent, wangJG)
	if len(leader) != 1 || leader[0].Message.Card == nil {
		t.Fatalf("leader got %d messages, want one card: %+v", len(leader), sent)
	}
	mustContain(t, "leader card", leader, "企业诉求 QY-2026-0001")
	mustContain(t, "leader card", leader, "重复提交材料")
	mustContain(t, "ack", sentTo(sent, zhangWei), "QY-2026-0001")
	if btns := leader[0].Message.Card.Buttons(); len(btns) < 3 || btns[0].Action != "ereq.reply.form" || btns[1].Action != "ereq.transfer.form" || btns[2].Action != "ereq.close" {
		t.Fatalf("buttons = %+v", btns)
	}
	q := f.request(t, "QY-2026-0001")
	if q.State != store.RequestOpen || q.OwnerKey != "wang-jg" {
		t.Fatalf("request = %+v", q)
	}

	form := f.click(t, wangJG, "ereq.reply.form", params(q), nil)
	if form.Card == nil || form.Card.Form() == nil || form.Card.Form().Submit.Action != "ereq.reply.submit" {
		t.Fatalf("reply form = %+v", form)
	}
	f.h.Clock.Set(at("2026-11-26", "11:00"))
	r := f.click(t, wangJG, "ereq.reply.submit", params(q), cards.Values{"text": {"已协调车管部门，材料只需提交一次。"}})
	if r.ToastKind != "success" {
		t.Fatalf("reply toast = %q %q", r.Toast, r.ToastKind)
	}
	sent = f.h.Deliver()
	mustContain(t, "answer", sentTo(sent, zhangWei), "王建国答复：\n已协调车管部门")
	q = f.request(t, "QY-2026-0001")
	if q.State != store.RequestAnswered || q.FirstAnswerAt == nil || q.WaitingSince != nil {
		t.Fatalf("after answer: %+v", q)
	}

	// A later message joins the request and restarts its clock.
	f.h.Clock.Set(at("2026-11-26", "14:00"))
	f.text(t, zhangWei, "谢谢，明天几点可以去办？")
	sent = f.h.Deliver()
	mustContain(t, "follow-up", sentTo(sent, wangJG), "明天几点")
	q = f.request(t, "QY-2026-0001")
	if q.State != store.RequestOpen || q.WaitingSince == nil || !q.WaitingSince.Equal(at("2026-11-26", "14:00")) {
		t.Fatalf("after follow-up: %+v", q)
	}
	if n, _ := f.st.RequestsOfEnterprise(f.ctx, q.EnterpriseID, false, 10); len(n) != 1 {
		t.Fatalf("requests = %d, want 1", len(n))
	}
	if got := strings.Join(auditActions(t, f, q.Number), ","); got != "open,reply,message_in" {
		t.Fatalf("audit = %s", got)
	}
	if _, err := f.st.VerifyAudit(f.ctx); err != nil {
		t.Fatal(err)
	}

	// The contact's commands.
	f.text(t, zhangWei, "联系人")
	f.text(t, zhangWei, "我的诉求")
	sent = sentTo(f.h.Deliver(), zhangWei)
	mustContain(t, "联系人", sent, "13800000002")
	mustContain(t, "我的诉求", sent, "我的诉求")
}

func TestEnterpriseDuplicateInbound(t *testing.T) {
	f := newEntFixture(t)
	for range 2 {
		f.event(t, bot.Sim, "sim-m42", zhangWei, "请问客运线路延期怎么申请？")
	}
	sent := f.h.Deliver()
	if n := len(sentTo(sent, wangJG)); n != 1 {
		t.Fatalf("leader got %d forwards, want 1", n)
	}
	msgs, err := f.st.RequestMessages(f.ctx, f.request(t, "QY-2026-0001").ID, 10)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("messages = %d, %v", len(msgs), err)
	}
}

func TestEnterpriseStrangerAndBinding(t *testing.T) {
	f := newEntFixture(t)
	f.text(t, "wx-unknown", "你好，我想反映问题")
	sent := f.h.Deliver()
	mustContain(t, "stranger", sentTo(sent, "wx-unknown"), "绑定")
	if len(sent) != 1 {
		t.Fatalf("stranger: %d messages sent, want only the explanation", len(sent))
	}
	code, _, err := IssueBindCode(f.ctx, f.st, "", "lb-keyun", "赵强", f.h.Clock.Now().Add(72*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	f.text(t, "wx-unknown", "绑定 "+code.Code)
	f.text(t, "wx-unknown", "站点门口的公交站牌被撤了")
	sent = f.h.Deliver()
	mustContain(t, "bound", sentTo(sent, "wx-unknown"), "绑定成功")
	mustContain(t, "forward", sentTo(sent, wangJG), "灵宝市通途客运有限公司 赵强")
}

func TestEnterpriseCrossPlatformAndKFWindow(t *testing.T) {
	f := newEntFixture(t)
	kf := bottest.NewFakeAdapter(bot.WeComKF)
	f.h.Bot.AddAdapter(kf)
	ct, err := f.st.EnterpriseByKey(f.ctx, f.camp.ID, "smx-yunshu")
	if err != nil {
		t.Fatal(err)
	}
	cts, _ := f.st.Contacts(f.ctx, ct.ID)
	if err := f.st.UpsertAccount(f.ctx, &store.Account{Platform: "wecom_kf", ExternalID: "wm_zhang", ContactID: &cts[0].ID}); err != nil {
		t.Fatal(err)
	}
	// The 微信客服 adapter counts what it sends in the window, as the real
	// one does.
	kf.FailFunc = func(to bot.Target, _ *bot.Message) error { return f.st.AddKFReply(f.ctx, to.UserID) }
	inbound := func(id, text string) {
		if err := f.st.NoteKFInbound(f.ctx, "kf1", "wm_zhang", f.h.Clock.Now()); err != nil {
			t.Fatal(err)
		}
		f.event(t, bot.WeComKF, id, "wm_zhang", text)
	}
	inbound("kf-1", "货车通行证办理需要多久？")
	f.h.Deliver()
	mustContain(t, "leader on sim", sentTo(f.h.Adapter.Sent(), wangJG), "货车通行证")
	mustContain(t, "ack on 微信客服", sentTo(kf.Sent(), "wm_zhang"), "QY-2026-0001")
	q := f.request(t, "QY-2026-0001")

	// The leader answers from the simulator: the answer goes to WeChat.
	f.click(t, wangJG, "ereq.reply.submit", params(q), cards.Values{"text": {"一般3个工作日。"}})
	f.h.Deliver()
	mustContain(t, "answer on 微信客服", sentTo(kf.Sent(), "wm_zhang"), "一般3个工作日")

	// Three more replies fill the window (ack + 4 = 5); the sixth is held
	// and the leader is told.
	for i := range 3 {
		f.click(t, wangJG, "ereq.reply.submit", params(q), cards.Values{"text": {fmt.Sprintf("补充说明 %d", i+1)}})
	}
	f.h.Deliver()
	if n := len(sentTo(kf.Sent(), "wm_zhang")); n != 5 {
		t.Fatalf("微信客服 got %d messages, want 5", n)
	}
	r := f.click(t, wangJG, "ereq.reply.submit", params(q), cards.Values{"text": {"第六条答复"}})
	if r.ToastKind != "warning" || !strings.Contains(r.Toast, "上限") {
		t.Fatalf("sixth reply toast = %q %q", r.Toast, r.ToastKind)
	}
	sent := f.h.Deliver()
	if n := len(sentTo(kf.Sent(), "wm_zhang")); n != 5 {
		t.Fatalf("微信客服 got %d messages after the sixth, want 5", n)
	}
	mustContain(t, "leader told", sentTo(sent, wangJG), "答复待发送")

	// Past 48 hours a reply is held too.
	f.h.Clock.Set(at("2026-11-28", "11:00"))
	r = f.click(t, wangJG, "ereq.reply.submit", params(q), cards.Values{"text": {"第七条答复"}})
	if !strings.Contains(r.Toast, "48 小时") {
		t.Fatalf("late reply toast = %q", r.Toast)
	}
	// The enterprise writes again: the held replies go out, oldest first.
	inbound("kf-2", "好的，收到")
	f.h.Deliver()
	got := sentTo(kf.Sent(), "wm_zhang")
	if len(got) != 7 || !strings.Contains(got[5].Message.Text, "第六条答复") || !strings.Contains(got[6].Message.Text, "第七条答复") {
		var texts []string
		for _, s := range got {
			texts = append(texts, s.Message.Text)
		}
		t.Fatalf("after the enterprise wrote again: %q", texts)
	}
}

func TestEnterpriseUndeliveredReplyTellsLeader(t *testing.T) {
	f := newEntFixture(t)
	f.text(t, zhangWei, "请问年审在哪里办？")
	f.h.Deliver()
	q := f.request(t, "QY-2026-0001")
	f.h.Adapter.FailFunc = func(to bot.Target, _ *bot.Message) error {
		if to.UserID == zhangWei {
			return fmt.Errorf("%w: 微信客服回复窗口已关闭：客户最后一条消息已超过48小时", bot.ErrPermanent)
		}
		return nil
	}
	f.click(t, wangJG, "ereq.reply.submit", params(q), cards.Values{"text": {"在市政务服务中心。"}})
	f.h.Deliver()
	f.h.Adapter.FailFunc = nil
	sched := bot.NewScheduler(bot.SchedulerConfig{Bot: f.h.Bot, Planner: NewPlanner(Deps{}), ID: "test"})
	if _, err := sched.RunDue(f.ctx, at("2026-11-26", "11:00")); err != nil {
		t.Fatal(err)
	}
	sent := f.h.Deliver()
	mustContain(t, "undelivered notice", sentTo(sent, wangJG), "答复待发送 · QY-2026-0001")
	held, err := f.st.HeldMessagesOfContact(f.ctx, q.ContactID)
	if err != nil || len(held) != 1 {
		t.Fatalf("held = %d, %v", len(held), err)
	}
	// A second planning does not tell him again.
	if _, err := sched.RunDue(f.ctx, at("2026-11-26", "12:00")); err != nil {
		t.Fatal(err)
	}
	if n := len(sentTo(f.h.Deliver(), wangJG)); n != 0 {
		t.Fatalf("told again: %d", n)
	}
}

// TestEnterpriseReplyHeldByHumanAgentTellsLeader: a 微信客服 session a
// human agent serves takes no API message; the leader is told why and how
// to reach the enterprise, and the reply is not promised for later.
func TestEnterpriseReplyHeldByHumanAgentTellsLeader(t *testing.T) {
	f := newEntFixture(t)
	f.text(t, zhangWei, "请问年审在哪里办？")
	f.h.Deliver()
	q := f.request(t, "QY-2026-0001")
	f.h.Adapter.FailFunc = func(to bot.Target, _ *bot.Message) error {
		if to.UserID == zhangWei {
			return fmt.Errorf("%w: 微信客服会话不由应用接待：该企业的微信客服会话正由人工客服（接待人员 zhangsan）接待，企业微信不允许应用在此期间代为回复；请接待人员在企业微信中转告答复，或电话联系企业", bot.ErrPermanent)
		}
		return nil
	}
	f.click(t, wangJG, "ereq.reply.submit", params(q), cards.Values{"text": {"在市政务服务中心。"}})
	f.h.Deliver()
	f.h.Adapter.FailFunc = nil
	sched := bot.NewScheduler(bot.SchedulerConfig{Bot: f.h.Bot, Planner: NewPlanner(Deps{}), ID: "test"})
	if _, err := sched.RunDue(f.ctx, at("2026-11-26", "11:00")); err != nil {
		t.Fatal(err)
	}
	told := sentTo(f.h.Deliver(), wangJG)
	mustContain(t, "undelivered notice", told, "答复未能送达 · QY-2026-0001")
	mustContain(t, "why", told, "人工客服（接待人员 zhangsan）接待")
	for _, s := range told {
		if s.Message.Card != nil && strings.Contains(fmt.Sprint(s.Message.Card), "将自动发出") {
			t.Errorf("the leader is promised a later delivery that will not happen: %v", s.Message.Card)
		}
	}
	if held, err := f.st.HeldMessagesOfContact(f.ctx, q.ContactID); err != nil || len(held) != 0 {
		t.Fatalf("held = %d, %v", len(held), err)
	}
}

func TestEnterprisePrivacyAndTransfer(t *testing.T) {
	f := newEntFixture(t)
	f.text(t, zhangWei, "执法人员检查时态度粗暴。")
	f.h.Deliver()
	q := f.request(t, "QY-2026-0001")

	// Another leader can neither read nor answer.
	for _, a := range []string{"ereq.show", "ereq.reply.form", "ereq.transfer.form", "ereq.close"} {
		if r := f.click(t, chenHM, a, params(q), nil); r.ToastKind != "error" || r.Card != nil {
			t.Fatalf("%s by chen-hm: %+v", a, r)
		}
	}
	if r := f.click(t, chenHM, "ereq.reply.submit", params(q), cards.Values{"text": {"越权答复"}}); r.ToastKind != "error" {
		t.Fatalf("reply by chen-hm: %+v", r)
	}
	f.text(t, chenHM, "诉求 QY-2026-0001")
	mustContain(t, "refusal", sentTo(f.h.Deliver(), chenHM), "仅限")
	if n := len(sentTo(f.h.Deliver(), zhangWei)); n != 0 {
		t.Fatalf("contact got %d messages from refused actions", n)
	}
	// An enterprise contact cannot read another enterprise's request.
	if r := f.click(t, yangG, "ereq.rate", map[string]string{"request": params(q)["request"], "rating": "satisfied"}, nil); r.ToastKind != "error" {
		t.Fatalf("rate by another enterprise: %+v", r)
	}
	// The office can.
	if r := f.click(t, luXM, "ereq.show", params(q), nil); r.Card == nil {
		t.Fatalf("office show: %+v", r)
	}

	// wang-jg hands it to chen-hm with a note.
	form := f.click(t, wangJG, "ereq.transfer.form", params(q), nil)
	if form.Card == nil || form.Card.Form().Field("to") == nil {
		t.Fatalf("transfer form = %+v", form)
	}
	r := f.click(t, wangJG, "ereq.transfer.submit", params(q), cards.Values{"to": {"chen-hm"}, "note": {"涉及义马执法，请陈局长协调"}})
	if r.ToastKind != "success" {
		t.Fatalf("transfer: %q", r.Toast)
	}
	sent := f.h.Deliver()
	mustContain(t, "new owner", sentTo(sent, chenHM), "涉及义马执法")
	mustContain(t, "enterprise told", sentTo(sent, zhangWei), "已转由陈红梅")
	if q = f.request(t, "QY-2026-0001"); q.OwnerKey != "chen-hm" {
		t.Fatalf("owner = %s", q.OwnerKey)
	}
	// Now chen-hm may answer.
	if r := f.click(t, chenHM, "ereq.reply.submit", params(q), cards.Values{"text": {"已责成义马市局调查。"}}); r.ToastKind != "success" {
		t.Fatalf("reply by new owner: %+v", r)
	}
	mustContain(t, "answer", sentTo(f.h.Deliver(), zhangWei), "陈红梅答复")
	if got := strings.Join(auditActions(t, f, q.Number), ","); got != "open,view,transfer,reply" {
		t.Fatalf("audit = %s", got)
	}
	// Transfer to the office.
	f.click(t, chenHM, "ereq.transfer.submit", params(q), cards.Values{"to": {"office"}, "note": {"请办公室督办"}})
	mustContain(t, "office", sentTo(f.h.Deliver(), luXM), "请办公室督办")
}

func TestEnterpriseAnswerClock(t *testing.T) {
	f := newEntFixture(t)
	f.text(t, zhangWei, "我公司车辆被扣，至今未处理。") // Thursday 10:00
	f.h.Deliver()
	sched := bot.NewScheduler(bot.SchedulerConfig{Bot: f.h.Bot, Planner: NewPlanner(Deps{}), ID: "test"})
	tick := func(day, hhmm string) []string {
		t.Helper()
		res, err := sched.RunDue(f.ctx, at(day, hhmm))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.st.DB().Query(f.ctx, `SELECT key FROM deliveries WHERE id = ANY($1) AND key LIKE 'ereq:%' ORDER BY key`, res.DeliveryIDs)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var keys []string
		for rows.Next() {
			var k string
			_ = rows.Scan(&k)
			keys = append(keys, k)
		}
		return keys
	}
	// 24 working hours: Thu 10:00 → Tue 10:00 (weekend off).
	if keys := tick("2026-11-30", "17:00"); len(keys) != 0 {
		t.Fatalf("Monday: %v", keys)
	}
	if keys := tick("2026-12-01", "09:00"); len(keys) != 0 {
		t.Fatalf("Tuesday 09:00: %v", keys)
	}
	since := at("2026-11-26", "10:00").Unix()
	keys := tick("2026-12-01", "10:00")
	if want := fmt.Sprintf("ereq:QY-2026-0001:w%d:late:p:wang-jg", since); len(keys) != 1 || keys[0] != want {
		t.Fatalf("Tuesday 10:00: %v, want %s", keys, want)
	}
	mustContain(t, "reminder", sentTo(f.h.Deliver(), wangJG), "超时未答复")
	// Twice the limit (Fri 12-04 10:00): the office.
	if keys := tick("2026-12-03", "10:00"); len(keys) != 0 {
		t.Fatalf("Thursday: %v", keys)
	}
	keys = tick("2026-12-04", "10:00")
	if len(keys) != 2 || !strings.Contains(keys[0], ":office:") {
		t.Fatalf("Friday: %v", keys)
	}
	mustContain(t, "office", sentTo(f.h.Deliver(), luXM), "两倍")

	// An answer stops the clock; a new message starts a new one.
	q := f.request(t, "QY-2026-0001")
	f.h.Clock.Set(at("2026-12-04", "11:00"))
	f.click(t, wangJG, "ereq.reply.submit", params(q), cards.Values{"text": {"已处理。"}})
	if keys := tick("2026-12-07", "10:00"); len(keys) != 0 {
		t.Fatalf("after the answer: %v", keys)
	}
}

func TestEnterpriseRatingAndReopen(t *testing.T) {
	f := newEntFixture(t)
	f.text(t, zhangWei, "道路施工占道，货车绕行困难。")
	f.h.Deliver()
	q := f.request(t, "QY-2026-0001")
	f.click(t, wangJG, "ereq.reply.submit", params(q), cards.Values{"text": {"已协调施工单位设置临时通道。"}})
	if r := f.click(t, wangJG, "ereq.close", params(q), nil); r.ToastKind != "success" {
		t.Fatalf("close: %+v", r)
	}
	sent := sentTo(f.h.Deliver(), zhangWei)
	var rating *cards.Card
	for _, s := range sent {
		if s.Message.Card != nil && strings.Contains(s.Message.Card.Title, "请评价") {
			rating = s.Message.Card
		}
	}
	if rating == nil || len(rating.Buttons()) != 3 {
		t.Fatalf("rating card: %+v", sent)
	}
	bad := rating.Buttons()[2]
	if bad.Params["rating"] != "unsatisfied" {
		t.Fatalf("third button = %+v", bad)
	}
	r := f.click(t, zhangWei, bad.Action, bad.Params, nil)
	if r.Card == nil || r.Card.Form() == nil {
		t.Fatalf("rate reply: %+v", r)
	}
	sent = f.h.Deliver()
	mustContain(t, "leader told", sentTo(sent, wangJG), "不满意")
	mustContain(t, "office told", sentTo(sent, luXM), "不满意")
	q = f.request(t, "QY-2026-0001")
	if q.State != store.RequestOpen || q.WaitingSince == nil {
		t.Fatalf("after 不满意: %+v", q)
	}
	// The comment goes to the leader.
	f.click(t, zhangWei, "ereq.rate.comment.submit", map[string]string{"request": params(q)["request"], "rating": "unsatisfied"},
		cards.Values{"comment": {"临时通道太窄"}})
	mustContain(t, "comment", sentTo(f.h.Deliver(), wangJG), "临时通道太窄")
	// Rating twice is refused: the request is open again.
	if r := f.click(t, zhangWei, bad.Action, bad.Params, nil); r.ToastKind != "error" {
		t.Fatalf("second rating: %+v", r)
	}
	// Closed again, rated by text (as from 微信客服).
	f.click(t, wangJG, "ereq.close", params(q), nil)
	f.h.Deliver()
	f.text(t, zhangWei, "满意")
	mustContain(t, "thanks", sentTo(f.h.Deliver(), zhangWei), "感谢您对诉求 QY-2026-0001 的评价：满意")
	q = f.request(t, "QY-2026-0001")
	if q.State != store.RequestClosed || q.Rating == nil || *q.Rating != store.RatingSatisfied {
		t.Fatalf("after 满意: %+v", q)
	}
	stats, err := f.st.RequestStats(f.ctx, f.camp.ID, at("2026-11-01", "00:00"), at("2026-12-01", "00:00"))
	if err != nil {
		t.Fatal(err)
	}
	var s *store.OwnerRequestStats
	for _, v := range stats {
		s = v
	}
	if s == nil || s.Opened != 1 || s.Answered != 1 || s.Unsatisfied != 1 || s.Satisfied != 1 {
		t.Fatalf("stats = %+v", s)
	}
	// A new message after closing opens a new request.
	f.text(t, zhangWei, "另有一事咨询")
	f.request(t, "QY-2026-0002")
}

func TestEnterpriseToItem(t *testing.T) {
	f := newEntFixture(t)
	f.text(t, zhangWei, "执法人员对同一违法行为重复罚款。")
	f.h.Deliver()
	q := f.request(t, "QY-2026-0001")
	if r := f.click(t, chenHM, "ereq.to_item", params(q), nil); r.ToastKind != "error" {
		t.Fatalf("to_item by another leader: %+v", r)
	}
	// wang-jg belongs to no unit: the office is asked to register it.
	r := f.click(t, wangJG, "ereq.to_item", params(q), nil)
	if r.ToastKind != "success" || r.Card != nil {
		t.Fatalf("to_item by wang-jg: %+v", r)
	}
	mustContain(t, "office asked", sentTo(f.h.Deliver(), luXM), "请办公室将企业诉求 QY-2026-0001 登记为台账问题")
	r = f.click(t, luXM, "ereq.to_item", params(q), nil)
	form := r.Card.Form()
	if form == nil || form.Submit.Action != "item.new.submit" || form.Submit.Params["request"] != params(q)["request"] || form.Submit.Params["unit"] != "city-office" {
		t.Fatalf("item form = %+v", r.Card)
	}
	if form.Field("source").Default != "企业反映" || !strings.Contains(form.Field("description").Default, "重复罚款") {
		t.Fatalf("prefill = %+v", form.Fields)
	}
	rt := bot.NewRouter()
	Register(rt, Deps{})
	if rt.HasAction("item.new.submit") {
		// The ledger's own submit keeps the link.
		vals := cards.Values{}
		for _, ff := range form.Fields {
			if ff.Default != "" {
				vals[ff.Name] = []string{ff.Default}
			}
		}
		vals["category"] = []string{"执法不规范"}
		if r := f.click(t, luXM, form.Submit.Action, form.Submit.Params, vals); r.ToastKind != "success" {
			t.Fatalf("item.new.submit: %+v", r)
		}
		if q = f.request(t, "QY-2026-0001"); q.LedgerItemID == nil {
			t.Fatal("request does not see its item")
		}
		if r := f.click(t, luXM, "ereq.to_item", params(q), nil); r.ToastKind != "error" {
			t.Fatalf("second conversion: %+v", r)
		}
		return
	}
	// The ledger creates the item with request_id: the request shows it.
	unit, _ := f.st.UnitByKey(f.ctx, f.camp.ID, "city-office")
	if _, err := f.st.DB().Exec(f.ctx, `INSERT INTO ledger_items (campaign_id, unit_id, number, source, category, description, due_on, request_id)
		VALUES ($1, $2, 'BGS-2026-001', '企业反映', '执法不规范', '重复罚款', '2026-12-26', $3)`, f.camp.ID, unit.ID, q.ID); err != nil {
		t.Fatal(err)
	}
	if q = f.request(t, "QY-2026-0001"); q.LedgerItemID == nil {
		t.Fatal("request does not see its item")
	}
	if r := f.click(t, wangJG, "ereq.to_item", params(q), nil); r.ToastKind != "error" {
		t.Fatalf("second conversion: %+v", r)
	}
}

func TestEnterpriseSuccession(t *testing.T) {
	f := newEntFixture(t)
	f.text(t, zhangWei, "年审预约系统无法登录。")
	f.h.Deliver()
	for i := range f.file.Enterprises {
		if f.file.Enterprises[i].Key == "smx-yunshu" {
			f.file.Enterprises[i].Leader = Ref{Key: "chen-hm"}
		}
	}
	if _, err := ApplyCampaign(f.ctx, f.st, f.file, store.System); err != nil {
		t.Fatal(err)
	}
	q := f.request(t, "QY-2026-0001")
	if q.OwnerKey != "chen-hm" {
		t.Fatalf("owner after succession = %s", q.OwnerKey)
	}
	// The CLI queued the notices at the real time.
	f.h.Clock.Set(time.Now().Add(time.Minute))
	sent := f.h.Deliver()
	mustContain(t, "enterprise told", sentTo(sent, zhangWei), "联系领导已调整为陈红梅")
	mustContain(t, "enterprise told", sentTo(sent, zhangWei), "QY-2026-0001")
	mustContain(t, "new leader told", sentTo(sent, chenHM), "QY-2026-0001")
	if got := strings.Join(auditActions(t, f, q.Number), ","); got != "open,transfer" {
		t.Fatalf("audit = %s", got)
	}
	// The new leader may answer, the old one no longer.
	if r := f.click(t, wangJG, "ereq.reply.submit", params(q), cards.Values{"text": {"旧领导答复"}}); r.ToastKind != "error" {
		t.Fatalf("old leader: %+v", r)
	}
	if r := f.click(t, chenHM, "ereq.reply.submit", params(q), cards.Values{"text": {"已联系系统运维。"}}); r.ToastKind != "success" {
		t.Fatalf("new leader: %+v", r)
	}
	// Applying the same file again changes nothing and sends nothing.
	if _, err := ApplyCampaign(f.ctx, f.st, f.file, store.System); err != nil {
		t.Fatal(err)
	}
	if n := len(sentTo(f.h.Deliver(), zhangWei)); n != 1 { // the answer only
		t.Fatalf("re-apply sent %d", n)
	}
}

func TestEnterpriseSampleCardsValidate(t *testing.T) {
	for _, nc := range enterpriseSampleCards() {
		if err := nc.Card.Validate(); err != nil {
			t.Errorf("%s: %v", nc.Name, err)
		}
	}
}

func TestRequestStatsTable(t *testing.T) {
	f := newEntFixture(t)
	f.text(t, zhangWei, "咨询年审")
	f.h.Deliver()
	q := f.request(t, "QY-2026-0001")
	f.h.Clock.Set(at("2026-11-26", "13:00"))
	f.click(t, wangJG, "ereq.reply.submit", params(q), cards.Values{"text": {"可直接办理。"}})
	f.click(t, wangJG, "ereq.close", params(q), nil)
	f.text(t, zhangWei, "基本满意")
	tb, err := RequestStatsTable(f.ctx, f.st, f.camp.ID, at("2026-11-01", "00:00"), at("2026-12-01", "00:00"))
	if err != nil || tb == nil {
		t.Fatalf("table = %v, %v", tb, err)
	}
	if got := strings.Join(tb.Rows[0], "|"); got != "王建国|1|1|3.0 小时|0|1|0" {
		t.Fatalf("row = %s", got)
	}
}

func TestEnterpriseFilesAndDialogReply(t *testing.T) {
	f := newEntFixture(t)
	// wang-jg answers from WeCom, whose cards hold no text input.
	wc := bottest.NewFakeAdapter(bot.WeCom)
	wc.NoForms = true
	f.h.Bot.AddAdapter(wc)
	lead, err := f.st.PersonByKey(f.ctx, "wang-jg")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.UpsertAccount(f.ctx, &store.Account{Platform: "wecom", ExternalID: "wangjg", PersonID: &lead.ID}); err != nil {
		t.Fatal(err)
	}
	ev := &bot.Event{ID: "sim-m7", Kind: bot.KindMessage, Platform: bot.Sim, Chat: bot.Chat{ID: "d:" + zhangWei, Kind: bot.Direct},
		Sender: bot.User{ID: zhangWei}, Text: "现场照片见附件", At: f.h.Clock.Now(),
		Files: []bot.File{{Name: "现场.jpg", MIME: "image/jpeg", Content: []byte("jpeg-bytes")}}}
	if _, err := f.h.Bot.Dispatch(f.ctx, ev); err != nil {
		t.Fatal(err)
	}
	f.h.Deliver()
	got := sentTo(f.h.Adapter.Sent(), wangJG)
	if len(got) != 2 || got[1].Message.File == nil || string(got[1].Message.File.Content) != "jpeg-bytes" {
		t.Fatalf("leader got %+v", got)
	}
	var n int
	if err := f.st.DB().QueryRow(f.ctx, `SELECT count(*) FROM files WHERE name = '现场.jpg'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("files kept = %d, %v", n, err)
	}
	q := f.request(t, "QY-2026-0001")
	// The reply form becomes a dialog on WeCom; the last answer submits it.
	click := &bot.Event{ID: "wc-1", Kind: bot.KindCardAction, Platform: bot.WeCom, Chat: bot.Chat{ID: "wangjg", Kind: bot.Direct},
		Sender: bot.User{ID: "wangjg"}, At: f.h.Clock.Now(), Action: &bot.Action{Name: "ereq.reply.form", Params: params(q)}}
	if _, err := f.h.Bot.Dispatch(f.ctx, click); err != nil {
		t.Fatal(err)
	}
	msg := &bot.Event{ID: "wc-2", Kind: bot.KindMessage, Platform: bot.WeCom, Chat: bot.Chat{ID: "wangjg", Kind: bot.Direct},
		Sender: bot.User{ID: "wangjg"}, Text: "照片收到，已安排核查。", At: f.h.Clock.Now()}
	if _, err := f.h.Bot.Dispatch(f.ctx, msg); err != nil {
		t.Fatal(err)
	}
	f.h.Deliver()
	mustContain(t, "answer", sentTo(f.h.Adapter.Sent(), zhangWei), "照片收到，已安排核查")
}

func TestParseRating(t *testing.T) {
	for _, c := range []struct{ in, rating, comment string }{
		{"满意", "satisfied", ""},
		{"基本满意", "basically", ""},
		{"不满意，问题没解决", "unsatisfied", "问题没解决"},
		{"不满意 临时通道太窄", "unsatisfied", "临时通道太窄"},
	} {
		r, cm, ok := parseRating(c.in)
		if !ok || r != c.rating || cm != c.comment {
			t.Errorf("%q → %q %q %v", c.in, r, cm, ok)
		}
	}
	if _, _, ok := parseRating("请问年审在哪里办"); ok {
		t.Error("a question read as a rating")
	}
}
