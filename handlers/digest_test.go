package handlers

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"zhenggai/bot"
	"zhenggai/bot/bottest"
	"zhenggai/store/storetest"
)

// digestsOf returns, by recipient (the person's key), the text of the
// digest cards among a tick's delivery keys.
func (f *planFixture) digestsOf(t *testing.T, keys []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, k := range keys {
		if !strings.HasPrefix(k, "digest") {
			continue
		}
		var payload []byte
		if err := f.st.DB().QueryRow(context.Background(), `SELECT payload FROM deliveries WHERE key = $1`, k).Scan(&payload); err != nil {
			t.Fatal(err)
		}
		var m bot.Message
		if err := json.Unmarshal(payload, &m); err != nil {
			t.Fatal(err)
		}
		out[k[strings.LastIndex(k, ":")+1:]] = cardText(m.Card)
	}
	return out
}

func recipients(d map[string]string) string {
	var who []string
	for k := range d {
		who = append(who, k)
	}
	slices.Sort(who)
	return strings.Join(who, ",")
}

// TestDigestLateUnits is the case: September 2023's report is due
// on Saturday the 23rd, moved to Friday the 22nd; 卢氏 and 渑池 have not
// sent it. Their leaders and the office get a digest on Friday, again on
// Monday (a digest like the last one is still sent while something waits),
// each saying what changed since the last one; after 渑池 reports, its
// leader falls quiet and the office reads 已补报 1 个单位. The National Day
// holiday sends nothing and the 调休 Saturday (10-07) does.
func TestDigestLateUnits(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	f := newPlanFixture(t, ctx, st, "../deploy/campaigns/sanmenxia-2023.yaml")
	units, err := st.Units(ctx, f.camp.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range units {
		for _, p := range []string{"2023-05", "2023-06", "2023-07", "2023-08", "2023-09"} {
			if !u.IsOffice && (p != "2023-09" || (u.Key != "lushi" && u.Key != "mianchi")) {
				f.submitReport(t, u.Key, p)
			}
		}
	}
	late := "lu-xm,lushi-leader,mianchi-leader,office-leader"
	fri := f.digestsOf(t, f.tick(t, at("2023-09-22", "08:30")))
	if got := recipients(fri); got != late {
		t.Errorf("Friday 09-22: digests to %s, want %s", got, late)
	}
	wantContains(t, "Friday", fri["lushi-leader"], "2023年9月月报", "9月22日（周五）截止，今天截止", "未报 1 个")
	if strings.Contains(fri["lushi-leader"], "较上次") {
		t.Errorf("first digest has a change line:\n%s", fri["lushi-leader"])
	}
	if d := f.digestsOf(t, f.tick(t, at("2023-09-23", "08:30"))); len(d) != 0 {
		t.Errorf("Saturday: digests to %s", recipients(d))
	}
	mon := f.digestsOf(t, f.tick(t, at("2023-09-25", "08:30")))
	if got := recipients(mon); got != late {
		t.Fatalf("Monday 09-25: digests to %s, want %s", got, late)
	}
	wantContains(t, "Monday, 卢氏", mon["lushi-leader"], "往期月报待补报", "卢氏县交通运输局（9月）",
		"**较上次**（9月22日（周五））：新增逾期未报 1 个单位")
	wantContains(t, "Monday, office", mon["office-leader"], "**较上次**（9月22日（周五））：新增逾期未报 2 个单位",
		"卢氏县交通运输局（9月）", "渑池县交通运输局（9月）")
	tue := f.digestsOf(t, f.tick(t, at("2023-09-26", "08:30")))
	if got := recipients(tue); got != late {
		t.Errorf("Tuesday 09-26: digests to %s, want %s", got, late)
	}
	wantContains(t, "Tuesday", tue["mianchi-leader"], "**较上次**（9月25日（周一））：无变化")
	f.submitReport(t, "mianchi", "2023-09")
	wed := f.digestsOf(t, f.tick(t, at("2023-09-27", "08:30")))
	if got := recipients(wed); got != "lu-xm,lushi-leader,office-leader" {
		t.Errorf("Wednesday 09-27: digests to %s", got)
	}
	wantContains(t, "Wednesday, office", wed["lu-xm"], "**较上次**（9月26日（周二））：已补报 1 个单位")
	// 摘要 on demand compares with the digest of the morning.
	h := bottest.NewHarness(t, st, at("2023-09-27", "10:00"), func(rt *bot.Router, c bot.Clock) { Register(rt, Deps{Clock: c}) })
	if _, err := h.Text("p:lushi-leader", "", "摘要"); err != nil {
		t.Fatal(err)
	}
	var shown string
	for _, s := range sentTo(h.Deliver(), "p:lushi-leader") {
		shown += sentText(s)
	}
	wantContains(t, "摘要", shown, "**较上次**（9月27日（周三））：无变化", "卢氏县交通运输局（9月）")
	for _, day := range []string{"2023-09-29", "2023-10-02", "2023-10-06"} {
		if d := f.digestsOf(t, f.tick(t, at(day, "08:30"))); len(d) != 0 {
			t.Errorf("holiday %s: digests to %s", day, recipients(d))
		}
	}
	sat := f.digestsOf(t, f.tick(t, at("2023-10-07", "08:30")))
	if got := recipients(sat); got != "lu-xm,lushi-leader,office-leader" {
		t.Errorf("调休 Saturday 10-07: digests to %s", got)
	}
	// The last digest was the one of 27 September: the holiday sent none.
	wantContains(t, "调休 Saturday", sat["lushi-leader"], "**较上次**（9月27日（周三））：无变化")
	// October's due day passes: 卢氏 owes a second period.
	for _, day := range []string{"2023-10-23", "2023-10-24"} {
		sat = f.digestsOf(t, f.tick(t, at(day, "08:30")))
	}
	wantContains(t, "10-24", sat["lushi-leader"], "**较上次**（10月23日（周一））：新增逾期未报 1 期", "卢氏县交通运输局（9月、10月）")
}

// TestDigestMonth walks October 2023 day by day at digest.at: 卢氏 never
// reports, 灵宝 always does (October's on Friday the 20th, before its due
// day, Monday the 23rd), every other unit reported ahead. 卢氏's leader gets
// one digest on each of October's 19 working days (the National Day
// holiday off, the 调休 weekend 10-07/08 on, weekends off), and so does the
// office; 灵宝's leader only on the days October's report was due within
// a week and not yet sent; the others none.
func TestDigestMonth(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	f := newPlanFixture(t, ctx, st, "../deploy/campaigns/sanmenxia-2023.yaml")
	units, err := st.Units(ctx, f.camp.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range units {
		if u.IsOffice || u.Key == "lushi" {
			continue
		}
		for _, p := range []string{"2023-05", "2023-06", "2023-07", "2023-08", "2023-09", "2023-10"} {
			if u.Key != "lingbao" || p != "2023-10" {
				f.submitReport(t, u.Key, p)
			}
		}
	}
	got := map[string][]string{} // recipient → days
	for day := time.Date(2023, 10, 1, 0, 0, 0, 0, time.UTC); day.Month() == time.October; day = day.AddDate(0, 0, 1) {
		ds := day.Format(time.DateOnly)
		for who := range f.digestsOf(t, f.tick(t, at(ds, "08:30"))) {
			got[who] = append(got[who], ds[5:])
		}
		if ds == "2023-10-20" {
			f.submitReport(t, "lingbao", "2023-10")
		}
	}
	workdays := "10-07,10-08,10-09,10-10,10-11,10-12,10-13,10-16,10-17,10-18,10-19,10-20,10-23,10-24,10-25,10-26,10-27,10-30,10-31"
	for _, who := range []string{"lushi-leader", "lu-xm", "office-leader"} {
		if days := strings.Join(got[who], ","); days != workdays {
			t.Errorf("%s got %d digests on %s, want one each working day (%s)", who, len(got[who]), days, workdays)
		}
	}
	if days := strings.Join(got["lingbao-leader"], ","); days != "10-16,10-17,10-18,10-19,10-20" {
		t.Errorf("lingbao-leader got digests on %s, want 10-16…10-20", days)
	}
	for who, days := range got {
		if !slices.Contains([]string{"lushi-leader", "lu-xm", "office-leader", "lingbao-leader"}, who) {
			t.Errorf("%s got digests on %v with nothing to act on", who, days)
		}
	}
}

// TestDigestNotice: an open 督办单 is something to act on: 灵宝's leader,
// with nothing else waiting, gets a digest listing it on each working day
// until it is closed; then nobody has anything to act on and nobody gets
// one, unless digest.quiet, when each says what changed.
func TestDigestNotice(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	f := newPlanFixture(t, ctx, st, "../deploy/campaigns/sanmenxia-2023.yaml")
	units, err := st.Units(ctx, f.camp.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range units {
		for _, p := range []string{"2023-05", "2023-06"} {
			if !u.IsOffice {
				f.submitReport(t, u.Key, p)
			}
		}
	}
	var id int64
	if err := st.DB().QueryRow(ctx, `INSERT INTO supervision_notices (campaign_id, number, unit_id, colour, text, reply_due, issued_at)
		VALUES ($1, 'DB-2023-001', $2, 'yellow', '请加快整改进度', '2023-07-07', $3) RETURNING id`,
		f.camp.ID, f.unitID(t, "lingbao"), at("2023-07-03", "10:00")).Scan(&id); err != nil {
		t.Fatal(err)
	}
	d := f.digestsOf(t, f.tick(t, at("2023-07-04", "08:30")))
	if got := recipients(d); got != "lingbao-leader,lu-xm,office-leader" {
		t.Errorf("07-04: digests to %s", got)
	}
	wantContains(t, "leader", d["lingbao-leader"], "**督办单未办结 1 份**", "DB-2023-001 灵宝市交通运输局 黄色督办 · 待签收（答复期限 7月7日（周五），还有 3 天）")
	if d := f.digestsOf(t, f.tick(t, at("2023-07-05", "08:30"))); recipients(d) != "lingbao-leader,lu-xm,office-leader" {
		t.Errorf("07-05: digests to %s", recipients(d))
	}
	if _, err := st.DB().Exec(ctx, `UPDATE supervision_notices SET state = 'closed', closed_at = $2 WHERE id = $1`, id, at("2023-07-05", "15:00")); err != nil {
		t.Fatal(err)
	}
	if d := f.digestsOf(t, f.tick(t, at("2023-07-06", "08:30"))); len(d) != 0 {
		t.Errorf("07-06, the notice closed: digests to %s", recipients(d))
	}
	if _, err := st.DB().Exec(ctx, `UPDATE campaigns SET settings = jsonb_set(settings, '{digest,quiet}', 'true') WHERE id = $1`, f.camp.ID); err != nil {
		t.Fatal(err)
	}
	d = f.digestsOf(t, f.tick(t, at("2023-07-07", "08:30")))
	if len(d) != 10 {
		t.Errorf("07-07, quiet: digests to %s", recipients(d))
	}
	wantContains(t, "quiet", d["lingbao-leader"], "**较上次**（7月5日（周三））：办结督办单 1 份", "今日暂无需要您处理的事项。")
}

// TestDigestKey: the counts a digest's key carries read back; a key of
// another shape (the fingerprint keys before them) reads as no previous
// digest.
func TestDigestKey(t *testing.T) {
	n := digestCounts{Period: "2023-10", Missing: 2, Owed: 1, OwedPer: 3, Overdue: 4, Soon: 5, Approvals: 6, Requests: 7, Notices: 8}
	day := time.Date(2023, 9, 25, 0, 0, 0, 0, time.UTC)
	key := digestKey("digest", "smx-2023", day, n) + ":p:lushi-leader"
	got, ok := parseDigestKey(key)
	if !ok || got.counts != n || !got.day.Equal(day) {
		t.Fatalf("%s read back as %+v, %v", key, got, ok)
	}
	if _, ok := parseDigestKey("digest:smx-2023:2023-09-25:fp:ab12cd:p:lushi-leader"); ok {
		t.Errorf("a fingerprint key read as counts")
	}
	old, ok := parseDigestKey("digest:smx-2023:2023-09-25:n:p2023-10.m1.w1.o0.s0.a0.r0.d0:p:x")
	if !ok {
		t.Fatal("a key without q unread")
	}
	cur := old.counts
	cur.OwedPer = 2
	if line := changeLine(old, cur); line != "**较上次**（9月25日（周一））：无变化" {
		t.Errorf("unknown period count compared: %s", line)
	}
	cur.Overdue, cur.Approvals, cur.Owed = 1, 1, 0
	if line := changeLine(old, cur); line != "**较上次**（9月25日（周一））：已补报 1 个单位，新增逾期 1 条，新增待审批 1 项" {
		t.Errorf("changes: %s", line)
	}
}
