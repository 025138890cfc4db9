package handlers

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"zhenggai/bot"
	"zhenggai/bot/bottest"
	"zhenggai/store"
	"zhenggai/store/storetest"
)

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

// at returns a wall-clock time in Shanghai.
func at(day, hhmm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", day+" "+hhmm, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

type planFixture struct {
	st    *store.Store
	h     *bottest.Harness
	sched *bot.Scheduler
	camp  *store.Campaign
}

// newPlanFixture applies the seed's campaign file to a test transaction.
func newPlanFixture(t *testing.T, ctx context.Context, st *store.Store, file string) *planFixture {
	t.Helper()
	camp, _ := applyCampaignFile(t, ctx, st, file, nil)
	h := bottest.NewHarness(t, st, at("2023-04-28", "08:00"), nil)
	sched := bot.NewScheduler(bot.SchedulerConfig{Bot: h.Bot, Planner: NewPlanner(Deps{}), ID: "test"})
	return &planFixture{st: st, h: h, sched: sched, camp: camp}
}

func (f *planFixture) unitID(t *testing.T, key string) int64 {
	t.Helper()
	u, err := f.st.UnitByKey(context.Background(), f.camp.ID, key)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func (f *planFixture) submitReport(t *testing.T, unit, period string) {
	t.Helper()
	if _, err := f.st.DB().Exec(context.Background(), `INSERT INTO monthly_reports (campaign_id, unit_id, period, summary, on_time)
		VALUES ($1, $2, $3, '按计划推进', true)`, f.camp.ID, f.unitID(t, unit), period); err != nil {
		t.Fatal(err)
	}
}

func (f *planFixture) submitMilestone(t *testing.T, milestone, unit string) {
	t.Helper()
	if _, err := f.st.DB().Exec(context.Background(), `INSERT INTO milestone_submissions (milestone_id, unit_id)
		SELECT id, $3 FROM milestones WHERE campaign_id = $1 AND key = $2`, f.camp.ID, milestone, f.unitID(t, unit)); err != nil {
		t.Fatal(err)
	}
}

func (f *planFixture) addItem(t *testing.T, unit, number, due, responsible string) int64 {
	t.Helper()
	var id int64
	if err := f.st.DB().QueryRow(context.Background(), `INSERT INTO ledger_items
		(campaign_id, unit_id, number, source, category, description, due_on, responsible_person)
		VALUES ($1, $2, $3, '自查', '执法不规范', '执法记录仪使用不规范', $4, $5) RETURNING id`,
		f.camp.ID, f.unitID(t, unit), number, due, responsible).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// tick runs the scheduler at now and returns the keys it queued.
func (f *planFixture) tick(t *testing.T, now time.Time) []string {
	t.Helper()
	ctx := context.Background()
	res, err := f.sched.RunDue(ctx, now)
	if err != nil {
		t.Fatalf("tick %s: %v", now, err)
	}
	rows, err := f.st.DB().Query(ctx, `SELECT key FROM deliveries WHERE id = ANY($1) ORDER BY key`, res.DeliveryIDs)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	return keys
}

// normalize folds a reminder key to its reminder without unit and
// recipient: monthly:2023-06:lingbao:T-3:p:x → monthly:2023-06:T-3.
func normalize(key string) string {
	p := strings.Split(key, ":")
	switch p[0] {
	case "monthly", "milestone":
		if p[2] == "overdue" && p[3] == "office" {
			return p[0] + ":" + p[1] + ":overdue-office"
		}
		return p[0] + ":" + p[1] + ":" + p[3]
	case "item":
		return "item:" + p[3]
	case "item-escalation":
		return "item:office"
	}
	return p[0]
}

func summarize(keys []string, skipDigests bool) string {
	counts := map[string]int{}
	for _, k := range keys {
		n := normalize(k)
		if skipDigests && (strings.HasPrefix(n, "digest") || n == scheduleAuditAnchor) {
			continue
		}
		counts[n]++
	}
	var out []string
	for k, n := range counts {
		out = append(out, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// TestPlannerSeedCalendar walks the seed's calendar day by day at 09:00 and
// checks every reminder of every day: the monthly reports (20th/22nd/23rd on
// weekends and the 端午 holiday move to the workday before; T-0 supersedes
// T-1 on the same day), the milestones (a reminder on the 2023-05-06 and
// 2023-10-07 调休 Saturdays), and an item's deadline across National Day.
func TestPlannerSeedCalendar(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	f := newPlanFixture(t, ctx, st, "../deploy/campaigns/sanmenxia-2023.yaml")
	if err := st.UpsertPerson(ctx, &store.Person{Key: "zhang-wei", Name: "张伟"}); err != nil {
		t.Fatal(err)
	}
	zw, _ := st.PersonByKey(ctx, "zhang-wei")
	if err := st.UpsertAccount(ctx, &store.Account{Platform: "sim", ExternalID: "p:zhang-wei", PersonID: &zw.ID}); err != nil {
		t.Fatal(err)
	}

	// State changes, applied at 08:00 of their day, before that day's plan.
	events := map[string]func(){
		"2023-05-08": func() { f.submitMilestone(t, "plan", "lingbao") },
		"2023-05-23": func() {
			for _, u := range []string{"hubin", "shanzhou", "yima", "lingbao", "mianchi", "zhidui", "fagui"} {
				f.submitReport(t, u, "2023-05")
			}
		},
		"2023-06-19": func() { f.submitReport(t, "lingbao", "2023-06") },
		"2023-06-20": func() { f.submitMilestone(t, "selfservice-enabled", "yima") },
		"2023-09-01": func() { f.addItem(t, "lingbao", "LB-2023-001", "2023-09-28", "张伟") },
	}
	// Reminders per day (digests excluded): reminder=deliveries. Each unit
	// reminder goes to the unit's group and its liaison (2); overdue notices
	// go to the leader (reports) or liaison and leader (milestones); the
	// office gets one summary in its group and to its liaison (2).
	want := map[string]string{
		"2023-04-28": "milestone:plan:T-7=12", // T-7 is 05-03, a May Day holiday
		"2023-05-06": "milestone:plan:T-3=12", // T-3 is Sunday 05-07: the 调休 Saturday before
		"2023-05-09": "milestone:plan:T-1=10", // lingbao submitted
		"2023-05-11": "milestone:plan:overdue=10 milestone:plan:overdue-office=2",
		"2023-05-19": "monthly:2023-05:T-3=16", // 05-20 is a Saturday
		"2023-05-22": "monthly:2023-05:T-1=16",
		"2023-05-23": "monthly:2023-05:T-0=2", // only lushi has not reported
		"2023-05-24": "monthly:2023-05:overdue=1 monthly:2023-05:overdue-office=2",
		"2023-06-20": "monthly:2023-06:T-3=14",
		// 06-22/23 are 端午 holidays: T-1 and T-0 move to 06-21, T-0 alone is sent.
		"2023-06-21": "milestone:selfservice-enabled:T-7=10 monthly:2023-06:T-0=14",
		"2023-06-25": "monthly:2023-06:overdue=7 monthly:2023-06:overdue-office=2", // a 调休 Sunday
		"2023-06-27": "milestone:selfservice-enabled:T-3=10",
		"2023-06-29": "milestone:selfservice-enabled:T-1=10",
		"2023-07-03": "milestone:selfservice-enabled:overdue=10 milestone:selfservice-enabled:overdue-office=2",
		"2023-07-20": "monthly:2023-07:T-3=16",
		"2023-07-21": "monthly:2023-07:T-0=16", // 22nd and 23rd are a weekend
		"2023-07-24": "monthly:2023-07:overdue=8 monthly:2023-07:overdue-office=2",
		"2023-08-18": "monthly:2023-08:T-3=16", // 20th is a Sunday
		"2023-08-22": "monthly:2023-08:T-1=16",
		"2023-08-23": "monthly:2023-08:T-0=16",
		"2023-08-24": "milestone:selfservice-all-cases:T-7=12 monthly:2023-08:overdue=8 monthly:2023-08:overdue-office=2",
		"2023-08-28": "milestone:selfservice-all-cases:T-3=12",
		"2023-08-30": "milestone:selfservice-all-cases:T-1=12",
		"2023-09-01": "milestone:selfservice-all-cases:overdue=12 milestone:selfservice-all-cases:overdue-office=2",
		"2023-09-20": "monthly:2023-09:T-3=16",
		"2023-09-22": "monthly:2023-09:T-0=16", // 23rd is a Saturday
		"2023-09-25": "item:soon=2 monthly:2023-09:overdue=8 monthly:2023-09:overdue-office=2",
		"2023-10-07": "item:overdue=2 milestone:summary:T-10=16", // 调休 Saturday after National Day
		"2023-10-08": "item:leader=1",                            // 调休 Sunday
		"2023-10-10": "item:office=2",
		"2023-10-12": "milestone:summary:T-5=16",
		"2023-10-13": "milestone:summary:T-3=16",
		"2023-10-16": "milestone:summary:T-1=16",
		"2023-10-18": "milestone:summary:overdue=16 milestone:summary:overdue-office=2",
		"2023-10-20": "monthly:2023-10:T-1=16", // T-1 (Sunday 22nd) and T-3 both land on Friday: T-1 wins
		"2023-10-23": "monthly:2023-10:T-0=16",
		"2023-10-24": "milestone:rectification-end:T-7=16 monthly:2023-10:overdue=8 monthly:2023-10:overdue-office=2",
		"2023-10-27": "milestone:rectification-end:T-3=16",
		"2023-10-30": "milestone:rectification-end:T-1=16",
		"2023-11-01": "milestone:rectification-end:overdue=16 milestone:rectification-end:overdue-office=2",
	}
	for d := at("2023-04-28", "09:00"); !d.After(at("2023-11-01", "09:00")); d = d.AddDate(0, 0, 1) {
		day := d.Format(time.DateOnly)
		if ev := events[day]; ev != nil {
			ev()
		}
		got := summarize(f.tick(t, d), true)
		if got != sortFields(want[day]) {
			t.Errorf("%s: got  %q\n            want %q", day, got, want[day])
		}
		if again := f.tick(t, d.Add(30*time.Minute)); len(again) != 0 {
			t.Errorf("%s: a second tick queued %v", day, again)
		}
	}
}

func sortFields(s string) string {
	f := strings.Fields(s)
	sort.Strings(f)
	return strings.Join(f, " ")
}

// TestPlannerRecipients checks who a reminder goes to: the unit's group with
// the liaison @-mentioned, and the liaison 1:1, with the button that answers.
func TestPlannerRecipients(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	f := newPlanFixture(t, ctx, st, "../deploy/campaigns/sanmenxia-2023.yaml")
	keys := f.tick(t, at("2023-06-20", "09:00"))
	sent := f.h.Deliver()
	if len(sent) != len(keys) {
		t.Fatalf("sent %d of %d", len(sent), len(keys))
	}
	var group, direct *bottest.Sent
	for i, s := range sent {
		if s.Message.Card == nil || !strings.Contains(s.Message.Card.Subtitle, "灵宝") {
			continue
		}
		if s.To.ChatID == "g:lingbao" {
			group = &sent[i]
		}
		if s.To.UserID == "p:lingbao-liaison" {
			direct = &sent[i]
		}
	}
	if group == nil || direct == nil {
		t.Fatalf("lingbao's group or liaison got nothing: %+v", sent)
	}
	if len(group.Message.Mentions) != 1 || group.Message.Mentions[0] != "p:lingbao-liaison" {
		t.Errorf("group card mentions %v", group.Message.Mentions)
	}
	b := group.Message.Card.Buttons()
	// The period's own button, then 补报 for May, which 灵宝 still owes.
	if len(b) != 2 || b[0].Action != "report.form" || b[0].Params["unit"] != "lingbao" || b[0].Params["period"] != "2023-06" ||
		b[1].Params["period"] != "2023-05" || !strings.HasPrefix(b[1].Text, "补报 2023年5月") {
		t.Errorf("buttons %+v", b)
	}
	for _, c := range reminderSampleCards() {
		if err := c.Card.Validate(); err != nil {
			t.Errorf("%s: %v", c.Name, err)
		}
	}
}

// TestPlannerCatchUp: after downtime, a tick plans only the latest
// occurrence, and never one whose day has passed: the T-3 of 06-20 found on
// 06-21 is not sent; the 06-21 plan sends T-0.
func TestPlannerCatchUp(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	f := newPlanFixture(t, ctx, st, "../deploy/campaigns/sanmenxia-2023.yaml")
	if keys := f.tick(t, at("2023-06-21", "08:00")); len(keys) != 0 {
		t.Fatalf("stale occurrences planned: %v", keys)
	}
	got := summarize(f.tick(t, at("2023-06-21", "09:01")), true)
	if got != sortFields("milestone:selfservice-enabled:T-7=12 monthly:2023-06:T-0=16") {
		t.Errorf("got %q", got)
	}
}

// TestDigest: a leader gets a digest on each working day something waits
// for him, however like the last one it is; 摘要 shows it on demand.
func TestDigest(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	f := newPlanFixture(t, ctx, st, "../deploy/campaigns/sanmenxia-2023.yaml")
	digests := func(keys []string) (n int, who []string) {
		for _, k := range keys {
			if strings.HasPrefix(k, "digest") {
				n++
				who = append(who, k[strings.LastIndex(k, ":")+1:])
			}
		}
		sort.Strings(who)
		return n, who
	}
	// May is reported by every unit: nothing owed (a unit owing a past
	// period is something to act on; TestDigestOwed).
	units, err := st.Units(ctx, f.camp.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range units {
		if !u.IsOffice {
			f.submitReport(t, u.Key, "2023-05")
		}
	}
	// 06-12: June's report is 11 days away, nothing to act on: no digests.
	if n, who := digests(f.tick(t, at("2023-06-12", "08:30"))); n != 0 {
		t.Errorf("06-12: %d digests to %v", n, who)
	}
	// 06-16: within a week of the due date, every leader and the office.
	if n, who := digests(f.tick(t, at("2023-06-16", "08:30"))); n != 10 {
		t.Errorf("06-16: %d digests to %v", n, who)
	}
	// 06-19: nothing changed, but the report is still owed: every one again.
	if n, who := digests(f.tick(t, at("2023-06-19", "08:30"))); n != 10 {
		t.Errorf("06-19: %d digests to %v", n, who)
	}
	// 06-20: lingbao reported (its leader has nothing left to act on) and
	// an item of lushi is overdue: everyone but lingbao's leader.
	f.submitReport(t, "lingbao", "2023-06")
	f.addItem(t, "lushi", "LS-2023-001", "2023-06-15", "")
	if n, who := digests(f.tick(t, at("2023-06-20", "08:30"))); n != 9 || slices.Contains(who, "lingbao-leader") {
		t.Errorf("06-20: %d digests to %v", n, who)
	}
	// Saturday: no digest.
	if n, _ := digests(f.tick(t, at("2023-06-24", "08:30"))); n != 0 {
		t.Errorf("Saturday: %d digests", n)
	}
	// 摘要 on demand (the plan fixture's bot has no handlers: one that has).
	h := bottest.NewHarness(t, st, at("2023-06-20", "10:00"), func(rt *bot.Router, c bot.Clock) { Register(rt, Deps{Clock: c}) })
	if _, err := h.Text("p:lushi-leader", "", "摘要"); err != nil {
		t.Fatal(err)
	}
	var card string
	for _, s := range h.Deliver() {
		if s.To.UserID == "p:lushi-leader" || s.To.ChatID == "d:p:lushi-leader" {
			if s.Message.Card != nil {
				for _, b := range s.Message.Card.Blocks {
					card += b.Markdown + "\n"
				}
			}
		}
	}
	if !strings.Contains(card, "LS-2023-001") || !strings.Contains(card, "逾期问题 1 条") {
		t.Errorf("摘要 card: %s", card)
	}
}

// TestReminderCardsTurnGreen: when the report arrives, the reminder cards
// sent about it are redrawn as done, once.
func TestReminderCardsTurnGreen(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	f := newPlanFixture(t, ctx, st, "../deploy/campaigns/sanmenxia-2023.yaml")
	f.tick(t, at("2023-06-20", "09:00"))
	f.h.Deliver()
	h2 := bottest.NewHarness(t, st, at("2023-06-20", "10:00"), func(rt *bot.Router, _ bot.Clock) {
		rt.Command(func(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
			u, err := r.Store.UnitByKey(ctx, r.Campaign.ID, "lingbao")
			if err != nil {
				return nil, err
			}
			return nil, ReportRemindersDone(ctx, r, u, "2023-06")
		}, "测试已报")
	})
	for range 2 {
		if _, err := h2.Text("p:lingbao-liaison", "", "测试已报"); err != nil {
			t.Fatal(err)
		}
	}
	h2.Deliver()
	up := h2.Adapter.Updated()
	if len(up) != 2 {
		t.Fatalf("%d cards updated, want 2 (group and liaison): %+v", len(up), up)
	}
	for _, u := range up {
		if u.Card.Tone != "success" || len(u.Card.Buttons()) != 0 || u.Ref.MessageID == "" {
			t.Errorf("update %+v", u)
		}
	}
}

// TestDigestOwed: a unit that has not reported a past period (May) owes
// it; its leader's digest says so beside the open period (June) and is
// sent although June is far off.
func TestDigestOwed(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	f := newPlanFixture(t, ctx, st, "../deploy/campaigns/sanmenxia-2023.yaml")
	f.submitReport(t, "lingbao", "2023-05")
	var who []string
	for _, k := range f.tick(t, at("2023-06-12", "08:30")) {
		if strings.HasPrefix(k, "digest") {
			who = append(who, k[strings.LastIndex(k, ":")+1:])
		}
	}
	if !slices.Contains(who, "lushi-leader") || slices.Contains(who, "lingbao-leader") {
		t.Errorf("digests to %v", who)
	}
	h := bottest.NewHarness(t, st, at("2023-06-12", "10:00"), func(rt *bot.Router, c bot.Clock) { Register(rt, Deps{Clock: c}) })
	if _, err := h.Text("p:lushi-leader", "", "摘要"); err != nil {
		t.Fatal(err)
	}
	var text string
	for _, s := range sentTo(h.Deliver(), "p:lushi-leader") {
		if s.Message.Card != nil {
			text += cardText(s.Message.Card)
		}
	}
	wantContains(t, "digest", text, "2023年6月月报", "往期月报待补报", "卢氏县交通运输局（5月）")
}
