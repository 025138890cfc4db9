package dingtalk

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"zhenggai/bot"
	"zhenggai/handlers"
	"zhenggai/store"
	"zhenggai/store/storetest"
)

// The journeys walk the product as its users live it, on the fake
// DingTalk, in each of DingTalk's four configurations: no card templates
// or both, over HTTP or Stream. A real bot (handlers, outbox, scheduler)
// runs the demo campaign on its own schema; people click what the bot sent
// them: a template card's button (a card callback), or without templates a
// dtmd link in their 1:1 chat (its text, sent as their message), and fill
// forms on the card or, without templates, answer the dialog's questions.

// DingTalk ids of the demo's people.
const (
	jLiaison = "0420li"    // 李晓燕, 灵宝 liaison
	jLeader  = "0420liu"   // 刘宝山, 灵宝 leader
	jEntLead = "0420wang"  // 王建国, contact leader of 三门峡顺达运输
	jOffice  = "0420lu"    // 卢旭明, the office's liaison
	jContact = "0420zhang" // 张伟, contact of 三门峡顺达运输
	jGroup   = "cidLingbao=="
	// 义马 works its ledger item: each person gets no more in a minute
	// than DingTalk's 20 messages, which the outbox would wait for.
	jYimaLiaison = "0420zhou" // 周婷, 义马 liaison
	jYimaLeader  = "0420sun"  // 孙志强, 义马 leader
)

var jZone = time.FixedZone("CST", 8*3600)

// journey is the product on a fake DingTalk in one configuration.
type journey struct {
	t         *testing.T
	ctx       context.Context
	st        *store.Store
	camp      *store.Campaign
	b         *bot.Bot
	sched     *bot.Scheduler
	clock     *bot.FixedClock
	f         *fakeDingTalk
	a         *Adapter
	templates bool
	stream    bool
	mux       *http.ServeMux
	conn      *fakeConn
	seq       int
	// members are the people in the group chats, who see its cards.
	members map[string][]string
}

// demoStore is a store of its own with the demo campaign applied.
func demoStore(t *testing.T) *store.Store {
	t.Helper()
	st := storetest.TestStore(ctx, t)
	data, err := os.ReadFile("../../deploy/campaigns/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cf, err := handlers.ParseCampaignFile("demo.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := handlers.ApplyCampaign(ctx, st, cf, store.System); err != nil {
		t.Fatal(err)
	}
	return st
}

func newJourney(t *testing.T, templates, stream bool) *journey {
	t.Helper()
	ctx := context.Background()
	st := demoStore(t)
	camp, err := st.CurrentCampaign(ctx)
	if err != nil {
		t.Fatal(err)
	}
	j := &journey{t: t, ctx: ctx, st: st, camp: camp, templates: templates, stream: stream,
		members: map[string][]string{jGroup: {jLiaison, jLeader}}}
	for key, id := range map[string]string{"li-lb": jLiaison, "liu-lb": jLeader, "wang-jg": jEntLead, "lu-xm": jOffice,
		"zhou-ym": jYimaLiaison, "sun-ym": jYimaLeader} {
		p, err := st.PersonByKey(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.UpsertAccount(ctx, &store.Account{Platform: "dingtalk", ExternalID: id, PersonID: &p.ID}); err != nil {
			t.Fatal(err)
		}
	}
	ent, err := st.EnterpriseByKey(ctx, camp.ID, "smx-yunshu")
	if err != nil {
		t.Fatal(err)
	}
	contacts, err := st.Contacts(ctx, ent.ID)
	if err != nil || len(contacts) == 0 {
		t.Fatalf("contacts %v %v", contacts, err)
	}
	if err := st.UpsertAccount(ctx, &store.Account{Platform: "dingtalk", ExternalID: jContact, ContactID: &contacts[0].ID}); err != nil {
		t.Fatal(err)
	}
	lb, err := st.UnitByKey(ctx, camp.ID, "lingbao")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.UpsertChat(ctx, &store.Chat{Platform: "dingtalk", ExternalID: jGroup, Kind: "group", UnitID: &lb.ID, Title: "灵宝整改工作群", Active: true}); err != nil {
		t.Fatal(err)
	}

	// Three days before the November report is due, at the reminder hour.
	j.clock = bot.NewFixedClock(time.Date(2026, 11, 20, 9, 0, 0, 0, jZone))
	log := slog.New(slog.DiscardHandler)
	deps := handlers.Deps{Clock: j.clock, Logger: log}
	rt := bot.NewRouter()
	handlers.Register(rt, deps)
	if j.b, err = bot.New(bot.Config{Store: st, Router: rt, Clock: j.clock, Logger: log}); err != nil {
		t.Fatal(err)
	}
	j.sched = bot.NewScheduler(bot.SchedulerConfig{Bot: j.b, Logger: log, Planner: handlers.NewPlanner(deps)})
	mod := func(o *Options) {
		// The shared test machine is slow under -race; the 2 s deadline
		// is DingTalk's, not what this test is about.
		o.CardAnswerBudget = 20 * time.Second
		if templates {
			o.CardTemplateID, o.FormTemplateID = "tpl-card.schema", "tpl-form.schema"
		}
		if !stream {
			o.Mode = ModeHTTP
			o.CardCallbackSecret = "card-secret"
			o.PublicBaseURL = "https://zg.example.gov.cn"
		}
	}
	if stream {
		sb := setupStream(t, j.b, mod, nil)
		j.f, j.a = sb.fake, sb.adapter
		j.conn = j.f.nextConn(t)
	} else {
		hb := setupHTTP(t, mod)
		j.f, j.a = hb.fake, hb.adapter
		j.mux = http.NewServeMux()
		j.a.Mount(j.mux, j.b)
	}
	j.b.AddAdapter(j.a)
	return j
}

// settle delivers what is due and waits for the card updates that follow
// callbacks.
func (j *journey) settle() {
	j.t.Helper()
	for range 20 {
		j.a.Wait()
		n, err := j.b.DeliverDue(j.ctx)
		if err != nil {
			j.t.Fatal(err)
		}
		if n == 0 {
			j.a.Wait()
			return
		}
	}
	j.t.Fatal("deliveries never settle")
}

// tick runs the scheduler at now.
func (j *journey) tick(now time.Time) {
	j.t.Helper()
	j.clock.Set(now)
	if _, err := j.sched.RunDue(j.ctx, now); err != nil {
		j.t.Fatal(err)
	}
	j.settle()
}

// post delivers a robot message or a card callback (topic) the way the
// configuration receives them, and returns the card callback's answer.
func (j *journey) post(topic, id string, body []byte) map[string]any {
	j.t.Helper()
	var answer []byte
	if j.stream {
		j.conn.push(j.t, "CALLBACK", topic, id, body)
		ack := j.conn.nextAck(j.t)
		if ack.Code != 200 {
			j.t.Fatalf("ack %+v", ack)
		}
		if topic == topicCard {
			var wrapped struct {
				Response json.RawMessage `json:"response"`
			}
			if err := json.Unmarshal([]byte(ack.Data), &wrapped); err != nil {
				j.t.Fatalf("card ack %q: %v", ack.Data, err)
			}
			answer = wrapped.Response
		}
	} else {
		hb := &httpBundle{mux: j.mux}
		var code int
		if topic == topicCard {
			w := hb.postCard(j.t, body, testTS, cardSign("card-secret", testTS))
			code, answer = w.Code, w.Body.Bytes()
		} else {
			w := hb.postRobot(j.t, body, testTS, robotSign("client-secret", testTS))
			code = w.Code
		}
		if code != http.StatusOK {
			j.t.Fatalf("callback answered %d %s", code, answer)
		}
	}
	var out map[string]any
	if len(answer) > 0 {
		_ = json.Unmarshal(answer, &out)
	}
	return out
}

// say sends text from user in chat ("" for the 1:1 chat with the robot),
// with a picture when picture is set (a rich-text message).
func (j *journey) say(user, chat, text string, picture bool) {
	j.t.Helper()
	j.seq++
	m := map[string]any{"msgId": fmt.Sprintf("msgJ%03d==", j.seq), "senderStaffId": user, "senderNick": user,
		"conversationType": "1", "conversationId": "cidDirect" + user, "chatbotUserId": "$:LWCP_v1:$bot", "robotCode": "dingclient",
		"createAt": 1690362101894, "msgtype": "text", "text": map[string]string{"content": text}}
	if chat != "" {
		m["conversationType"], m["conversationId"], m["isInAtList"], m["conversationTitle"] = "2", chat, true, "灵宝整改工作群"
		m["text"] = map[string]string{"content": " " + text}
	}
	if picture {
		m["msgtype"] = "richText"
		delete(m, "text")
		m["content"] = map[string]any{"richText": []map[string]string{{"text": text}, {"downloadCode": "code-png", "type": "picture"}}}
	}
	body, _ := json.Marshal(m)
	j.post(topicBot, m["msgId"].(string), body)
	j.settle()
}

// click answers a click on a card: action ids and the params the template
// sends back; the answer is applied to the fake's card as DingTalk does.
func (j *journey) click(user, outTrackID string, actionIDs []string, params map[string]any) map[string]any {
	j.t.Helper()
	c := j.f.card(outTrackID)
	if c == nil {
		j.t.Fatalf("no card %s", outTrackID)
	}
	spaceType, spaceID, _ := strings.Cut(strings.TrimPrefix(c.Space, "dtv1.card//"), ".")
	content, _ := json.Marshal(map[string]any{"cardPrivateData": map[string]any{"actionIds": actionIDs, "params": params}})
	body, _ := json.Marshal(map[string]any{"type": "actionCallback", "outTrackId": outTrackID, "corpId": "dingcorp", "userId": user,
		"userIdType": 1, "spaceType": spaceType, "spaceId": spaceID, "content": string(content)})
	j.seq++
	answer := j.post(topicCard, fmt.Sprintf("card-%d", j.seq), body)
	if answer == nil {
		j.t.Fatalf("%s's click on %s got no answer", user, outTrackID)
	}
	j.f.applyUpdate(outTrackID, user, answer)
	j.settle()
	return answer
}

// sent is one message the bot sent, as the fake recorded it.
type sent struct {
	user, chat string
	text       string // a robot message's text or content
	card       string // a template card's outTrackId
}

// sent returns every message the bot sent, in order.
func (j *journey) sent() []sent {
	var out []sent
	for _, c := range j.f.callsTo("") {
		switch c.Path {
		case "/v1.0/robot/oToMessages/batchSend", "/v1.0/robot/groupMessages/send":
			var p map[string]string
			_ = json.Unmarshal([]byte(c.Body["msgParam"].(string)), &p)
			s := sent{text: p["text"] + p["content"]}
			if ids, ok := c.Body["userIds"].([]any); ok {
				s.user = ids[0].(string)
			} else {
				s.chat, _ = c.Body["openConversationId"].(string)
			}
			out = append(out, s)
		case "/v1.0/card/instances/createAndDeliver":
			typ, id, _ := strings.Cut(strings.TrimPrefix(c.Body["openSpaceId"].(string), "dtv1.card//"), ".")
			s := sent{card: c.Body["outTrackId"].(string)}
			if typ == "IM_GROUP" {
				s.chat = id
			} else {
				s.user = id
			}
			out = append(out, s)
		}
	}
	return out
}

// sees reports whether user sees s: his 1:1 chat, or a group he is in.
func (j *journey) sees(user string, s sent) bool {
	if s.user == user {
		return true
	}
	for _, m := range j.members[s.chat] {
		if m == user {
			return true
		}
	}
	return false
}

// shows is what s shows user now: the card as he sees it (all its
// variables), or the message's text.
func (j *journey) shows(user string, s sent) string {
	if s.card == "" {
		return s.text
	}
	v := j.f.card(s.card).view(user)
	parts := []string{v["title"], v["subtitle"]}
	for i := 1; i <= 10; i++ {
		parts = append(parts, v[fmt.Sprintf("content_%d", i)])
	}
	return strings.Join(parts, "\n")
}

// received returns what user was sent since mark (an index into sent()).
func (j *journey) received(user string, mark int) []sent {
	var out []sent
	all := j.sent()
	for _, s := range all[min(mark, len(all)):] {
		if j.sees(user, s) {
			out = append(out, s)
		}
	}
	return out
}

// mark is the index of the next message the bot sends.
func (j *journey) mark() int { return len(j.sent()) }

// wantSeen fails unless user was sent, since mark, something whose text
// holds every want; it returns the last such message.
func (j *journey) wantSeen(user string, mark int, wants ...string) sent {
	j.t.Helper()
	got := j.received(user, mark)
	for i := len(got) - 1; i >= 0; i-- {
		text := j.shows(user, got[i])
		ok := true
		for _, w := range wants {
			ok = ok && strings.Contains(text, w)
		}
		if ok {
			return got[i]
		}
	}
	var texts []string
	for _, s := range got {
		texts = append(texts, j.shows(user, s))
	}
	j.t.Fatalf("%s was not sent %q; got:\n%s", user, wants, strings.Join(texts, "\n---\n"))
	return sent{}
}

var dtmdLink = regexp.MustCompile(`\[([^\]]+)\]\(dtmd://dingtalkclient/sendMessage\?content=([^)]+)\)`)

// clickLabel clicks, as user, the newest button or link labelled label (or
// starting with it) of what he was sent: a template card's button, or a
// dtmd link in his 1:1 chat, whose text he then sends.
func (j *journey) clickLabel(user, label string) {
	j.t.Helper()
	all := j.sent()
	for i := len(all) - 1; i >= 0; i-- {
		s := all[i]
		if !j.sees(user, s) {
			continue
		}
		if s.card != "" {
			v := j.f.card(s.card).view(user)
			for n := 1; n <= 6; n++ {
				k := fmt.Sprintf("btn_%d_", n)
				if text := v[k+"text"]; text != "" && strings.HasPrefix(text, label) {
					j.click(user, s.card, []string{fmt.Sprintf("btn_%d", n)}, map[string]any{"action": v[k+"action"], "params": v[k+"params"], "rev": v["rev"]})
					return
				}
			}
			continue
		}
		if s.chat != "" {
			if strings.Contains(s.text, "dtmd://") {
				j.t.Errorf("a group message carries dtmd links, which the robot would not hear: %q", s.text)
			}
			continue
		}
		for _, m := range dtmdLink.FindAllStringSubmatch(s.text, -1) {
			if strings.HasPrefix(m[1], label) {
				text, err := url.QueryUnescape(m[2])
				if err != nil {
					j.t.Fatalf("link %s: %v", m[0], err)
				}
				j.say(user, "", text, false)
				return
			}
		}
	}
	j.t.Fatalf("%s has nothing labelled %q to click", user, label)
}

// formCard is the card with an open form that user touched last.
func (j *journey) formCard(user string) (string, map[string]string) {
	best, bestTouch := "", -1
	var view map[string]string
	for _, s := range j.sent() {
		if s.card == "" || !j.sees(user, s) {
			continue
		}
		c := j.f.card(s.card)
		v := c.view(user)
		if v["form_action"] != "" && v["form_status"] == "normal" && c.Touched > bestTouch {
			best, bestTouch, view = s.card, c.Touched, v
		}
	}
	return best, view
}

var dialogQuestion = regexp.MustCompile(`请回复“([^”]+)”`)

// fill fills the form user was last given, each field by the value whose
// key starts its label: on the card (a submit callback), or without
// templates by answering the dialog's questions in the 1:1 chat. It
// returns the submitted card and the view it was submitted from.
func (j *journey) fill(user string, values map[string]string) (string, map[string]string) {
	j.t.Helper()
	value := func(label string) (string, bool) {
		for k, v := range values {
			if strings.HasPrefix(label, k) {
				return v, true
			}
		}
		return "", false
	}
	if !j.templates {
		for range 12 {
			var last string
			for _, s := range j.sent() {
				if s.user == user {
					last = s.text
				}
			}
			m := dialogQuestion.FindAllStringSubmatch(last, -1)
			if len(m) == 0 {
				return "", nil
			}
			v, ok := value(m[len(m)-1][1])
			if !ok {
				v = bot.DialogSkip
			}
			j.say(user, "", v, false)
		}
		j.t.Fatalf("%s's dialog does not end", user)
	}
	id, view := j.formCard(user)
	if id == "" {
		j.t.Fatalf("%s has no open form", user)
	}
	var schema struct {
		Fields []struct {
			Name     string `json:"name"`
			Label    string `json:"label"`
			Type     string `json:"type"`
			Required bool   `json:"required"`
			Options  []struct {
				Value string `json:"value"`
				Text  string `json:"text"`
			} `json:"options"`
		} `json:"fields"`
	}
	if err := json.Unmarshal([]byte(view["form"]), &schema); err != nil {
		j.t.Fatal(err)
	}
	form := map[string]any{}
	for _, ff := range schema.Fields {
		v, ok := value(ff.Label)
		if !ok {
			if ff.Required {
				j.t.Fatalf("no value for the required field %s", ff.Label)
			}
			continue
		}
		if len(ff.Options) == 0 {
			form[ff.Name] = v
			continue
		}
		for i, o := range ff.Options {
			if o.Text == v {
				form[ff.Name] = map[string]any{"index": i, "value": o.Value}
			}
		}
		if form[ff.Name] == nil {
			j.t.Fatalf("%s has no option %q", ff.Label, v)
		}
	}
	j.click(user, id, []string{"form"}, map[string]any{"action": view["form_action"], "params": view["form_params"], "rev": view["rev"], "form": form})
	return id, view
}

// toast is the private result line user sees on a card.
func (j *journey) toast(user, outTrackID string) string {
	return j.f.card(outTrackID).toastShown(user)
}

func TestJourneys(t *testing.T) {
	for _, tc := range []struct {
		name              string
		templates, stream bool
	}{
		{"no templates over HTTP", false, false},
		{"no templates over Stream", false, true},
		{"templates over HTTP", true, false},
		{"templates over Stream", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := newJourney(t, tc.templates, tc.stream)
			j.remindersReachTheLiaison()
			j.monthlyReport()
			it := j.progressWithFile()
			if !tc.templates {
				j.commandInGroup()
			}
			j.requestClose(it)
			j.digest(it)
			j.approveClose(it)
			j.enterpriseRelay()
		})
	}
}

// remindersReachTheLiaison: at the reminder hour the monthly report
// reminder reaches the unit's group and the liaison. Without templates the
// group gets the notice, with no links (the robot would not hear them), and
// the liaison the links in her 1:1 chat.
func (j *journey) remindersReachTheLiaison() {
	m := j.mark()
	j.tick(j.clock.Now())
	j.wantSeen(jLiaison, m, "月报提醒")
	group := 0
	for _, s := range j.sent()[m:] {
		if s.chat != jGroup || !strings.Contains(j.shows(jLiaison, s), "月报提醒") {
			continue
		}
		group++
		if strings.Contains(s.text, "dtmd://") {
			j.t.Errorf("group notice with links %q", s.text)
		}
	}
	if group != 1 {
		j.t.Errorf("%d reminders in the unit's group, want 1", group)
	}
	if !j.templates {
		got := j.wantSeen(jLiaison, m, "月报提醒", "dtmd://")
		if got.user != jLiaison {
			j.t.Errorf("the links went to %+v, not the liaison's 1:1", got)
		}
	}
	// One message per person per chat: the group's copy and her own.
	direct := 0
	for _, s := range j.sent()[m:] {
		if s.user == jLiaison && strings.Contains(j.shows(jLiaison, s), "月报提醒") {
			direct++
		}
	}
	if direct != 1 {
		j.t.Errorf("the liaison got the reminder %d times in her 1:1 chat, want once", direct)
	}
}

// monthlyReport: the liaison opens the form from the reminder, submits it,
// the report is kept, and the same form cannot be submitted again.
func (j *journey) monthlyReport() {
	t := j.t
	m := j.mark()
	j.clickLabel(jLiaison, "填报月报")
	card, before := j.fill(jLiaison, map[string]string{"阶段性工作进展情况": "本月完成执法案卷自查 32 件，整改问题 3 个。"})
	lb, err := j.st.UnitByKey(j.ctx, j.camp.ID, "lingbao")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := j.st.MonthlyReportOf(j.ctx, lb.ID, "2026-11")
	if err != nil || !strings.Contains(rep.Summary, "自查 32 件") {
		t.Fatalf("report %+v %v", rep, err)
	}
	if !j.templates {
		j.wantSeen(jLiaison, m, "已报送")
		// The same link again: the period is reported, nothing reopens.
		m2 := j.mark()
		j.clickLabel(jLiaison, "填报月报")
		if got := j.wantSeen(jLiaison, m2, "已报送"); dialogQuestion.MatchString(got.text) {
			t.Errorf("a reported period opened a dialog again: %q", got.text)
		}
		return
	}
	v := j.f.card(card).view(jLiaison)
	if v["form_action"] != "" || v["form_status"] != "disabled" || !strings.Contains(v["title"], "已报送") {
		t.Errorf("the submitted form card still shows a form: %v", v)
	}
	if id, _ := j.formCard(jLiaison); id != "" {
		t.Errorf("%s still has an open form on %s", jLiaison, id)
	}
	// A client that still shows the old form submits it again: refused,
	// and the report is unchanged.
	j.click(jLiaison, card, []string{"form"}, map[string]any{"action": before["form_action"], "params": before["form_params"],
		"rev": before["rev"], "form": map[string]any{"summary": "第二次提交"}})
	if toast := j.toast(jLiaison, card); !strings.Contains(toast, "已报送") {
		t.Errorf("second submit answered %q", toast)
	}
	if again, _ := j.st.MonthlyReportOf(j.ctx, lb.ID, "2026-11"); again.Summary != rep.Summary || again.ID != rep.ID {
		t.Errorf("second submit changed the report: %+v", again)
	}
}

// newItem adds an open item of the unit, due in a month.
func (j *journey) newItem(unit, desc string) *store.LedgerItem {
	j.t.Helper()
	u, err := j.st.UnitByKey(j.ctx, j.camp.ID, unit)
	if err != nil {
		j.t.Fatal(err)
	}
	it := &store.LedgerItem{CampaignID: j.camp.ID, UnitID: u.ID, Source: "自查自纠", Category: "执法粗暴",
		Description: desc, Measures: "约谈并整改", DueOn: time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)}
	if err := j.st.CreateLedgerItem(j.ctx, it, 2026); err != nil {
		j.t.Fatal(err)
	}
	return it
}

// progressWithFile: 义马's liaison opens an item from the ledger, updates its
// progress with the form, then sends a photo with a caption.
func (j *journey) progressWithFile() *store.LedgerItem {
	t := j.t
	it := j.newItem("yima", "路政执法人员在G310线随意拦车检查")
	m := j.mark()
	j.say(jYimaLiaison, "", "台账", false)
	j.wantSeen(jYimaLiaison, m, "专项整治工作台账")
	j.clickLabel(jYimaLiaison, "办理 "+it.Number)
	j.wantSeen(jYimaLiaison, m, it.Number, "随意拦车")
	j.clickLabel(jYimaLiaison, "更新进展")
	j.fill(jYimaLiaison, map[string]string{"整改进展": "已约谈涉事执法人员并组织全员培训", "整改状态": "整改中"})
	if n, err := j.st.CountProgress(j.ctx, it.ID); err != nil || n != 1 {
		t.Fatalf("progress after the form: %d %v", n, err)
	}
	m = j.mark()
	j.say(jYimaLiaison, "", "进展 "+it.Number+" 培训现场照片", true)
	ps, err := j.st.ProgressOf(j.ctx, it.ID, 5)
	if err != nil || len(ps) != 2 {
		t.Fatalf("progress after the photo: %+v %v", ps, err)
	}
	withFile := 0
	for _, p := range ps {
		if p.FileID != nil {
			withFile++
		}
	}
	if withFile != 1 {
		t.Errorf("%d progress updates carry the photo, want 1: %+v", withFile, ps)
	}
	j.wantSeen(jYimaLiaison, m, it.Number)
	return it
}

// commandInGroup (no templates): the liaison @-mentions the robot in the
// unit's group with a command the notice lists; the form goes on as a
// dialog in her 1:1 chat, and the group is told where.
func (j *journey) commandInGroup() {
	t := j.t
	it := j.newItem("lingbao", "超限检测站对同一车辆一次性下达多份违法告知书")
	m := j.mark()
	j.say(jLiaison, jGroup, "更新进展 "+it.Number, false)
	pointer := j.wantSeen(jLiaison, m, "已在单聊中向李晓燕发送")
	if pointer.chat != jGroup {
		t.Errorf("the pointer went to %+v, not the group", pointer)
	}
	if intro := j.wantSeen(jLiaison, m, "请依次回复", "（1/"); intro.user != jLiaison {
		t.Errorf("the dialog went to %+v, not the liaison's 1:1", intro)
	}
	j.fill(jLiaison, map[string]string{"整改进展": "已撤销重复告知书并向当事人说明", "整改状态": "整改中"})
	if n, err := j.st.CountProgress(j.ctx, it.ID); err != nil || n != 1 {
		t.Fatalf("progress after the group command: %d %v", n, err)
	}
}

// requestClose: the liaison asks for 销号 from the item's card, and the
// leader is asked to decide.
func (j *journey) requestClose(it *store.LedgerItem) {
	t := j.t
	m := j.mark()
	j.say(jYimaLiaison, "", "台账", false)
	j.clickLabel(jYimaLiaison, "办理 "+it.Number)
	j.clickLabel(jYimaLiaison, "申请销号")
	j.fill(jYimaLiaison, map[string]string{"整改结果": "已整改到位，涉事人员调离执法岗位", "佐证材料": "处理决定.pdf"})
	got, err := j.st.LedgerItemByNumber(j.ctx, j.camp.ID, it.Number)
	if err != nil || got.Status != store.ItemCloseRequested {
		t.Fatalf("after the 销号 request: %+v %v", got, err)
	}
	j.wantSeen(jYimaLeader, m, "销号审批", it.Number)
}

// approveClose: the leader approves from what he was sent, and the
// liaison is told.
func (j *journey) approveClose(it *store.LedgerItem) {
	m := j.mark()
	j.clickLabel(jYimaLeader, "同意")
	got, _ := j.st.LedgerItemByNumber(j.ctx, j.camp.ID, it.Number)
	if got.Status != store.ItemClosed {
		j.t.Fatalf("after approval: %s", got.Status)
	}
	j.wantSeen(jYimaLiaison, m, "同意了 "+it.Number)
}

// enterpriseRelay: a contact writes, his contact leader answers from the
// request's card, and the contact gets the answer.
func (j *journey) enterpriseRelay() {
	m := j.mark()
	j.say(jContact, "", "营运证年审一直办不下来，请帮忙协调。", false)
	j.wantSeen(jEntLead, m, "营运证年审")
	j.clickLabel(jEntLead, "回复")
	j.fill(jEntLead, map[string]string{"答复内容": "已安排专人联系，明天上午回电。"})
	j.wantSeen(jContact, m, "已安排专人联系")
}

// digest: on the next workday, at the digest hour, the leader's digest
// shows the 销号 waiting for him, and the office gets the campaign's.
func (j *journey) digest(it *store.LedgerItem) {
	m := j.mark()
	j.tick(time.Date(2026, 11, 23, 8, 30, 0, 0, jZone))
	j.wantSeen(jYimaLeader, m, "每日摘要", "待审批")
	j.wantSeen(jOffice, m, "每日摘要")
}
