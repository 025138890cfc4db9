package handlers

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// scoreWorld makes November 2026 of the demo campaign by hand: 灵宝 sends
// its report two days late, has two items overdue in November (one still
// open, one closed late within it; one closed on time and one closed late
// in October do not count), a 督办单 signed late, one answered late, one
// never signed, and an enterprise request answered after the 24-hour
// clock (and one within it); 义马 and 支队 report on time; 卢氏 never.
func scoreWorld(t *testing.T) *lgFixture {
	t.Helper()
	f := newLgFixture(t)
	db := f.st.DB()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(f.ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	report := func(unit, at string, onTime bool) {
		exec(`INSERT INTO monthly_reports (campaign_id, unit_id, period, summary, on_time, submitted_at) VALUES ($1, $2, '2026-11', '按计划推进', $3, $4)`,
			f.camp.ID, f.unit(t, unit).ID, onTime, atTime(at))
	}
	report("lingbao", "2026-11-25 10:00", false)
	report("yima", "2026-11-20 16:00", true)
	report("zhidui", "2026-11-23 09:00", true)
	closeItem := func(number, at string) {
		exec(`UPDATE ledger_items SET status = 'closed', closed_at = $2 WHERE campaign_id = $1 AND number = $3`, f.camp.ID, atTime(at), number)
	}
	f.addItem(t, "lingbao", "执法记录仪未全程开启", "2026-11-10") // LB-2026-001: open, overdue
	f.addItem(t, "lingbao", "罚款未开具票据", "2026-10-20")    // LB-2026-002: closed 11-05, late
	closeItem("LB-2026-002", "2026-11-05 15:00")
	f.addItem(t, "lingbao", "执法文书不规范", "2026-11-15") // LB-2026-003: closed on its deadline
	closeItem("LB-2026-003", "2026-11-15 17:00")
	f.addItem(t, "lingbao", "案卷归档不及时", "2026-10-01") // LB-2026-004: closed late, in October
	closeItem("LB-2026-004", "2026-10-30 10:00")
	f.addItem(t, "lingbao", "整改台账未更新", "2026-11-30") // LB-2026-005: due on the last day: not overdue in November
	notice := func(number, issued, signed, due, answered string) {
		var s, a any
		if signed != "" {
			s = atTime(signed)
		}
		if answered != "" {
			a = atTime(answered)
		}
		state := "issued"
		switch {
		case answered != "":
			state = "answered"
		case signed != "":
			state = "signed"
		}
		exec(`INSERT INTO supervision_notices (campaign_id, number, unit_id, colour, text, reply_due, state, issued_at, signed_at, answered_at)
			VALUES ($1, $2, $3, 'yellow', '请加快整改', $4, $5, $6, $7, $8)`, f.camp.ID, number, f.unit(t, "lingbao").ID, due, state, atTime(issued), s, a)
	}
	notice("DB-2026-101", "2026-11-02 10:00", "2026-11-04 09:00", "2026-11-10", "2026-11-09 17:00") // signed late (by 11-03)
	notice("DB-2026-102", "2026-11-16 10:00", "2026-11-16 11:00", "2026-11-20", "2026-11-23 09:00") // answered late
	notice("DB-2026-103", "2026-11-24 10:00", "", "2026-12-04", "")                                 // never signed (by 11-25)
	var ent, contact, owner int64
	if err := db.QueryRow(f.ctx, `SELECT e.id, c.id FROM enterprises e JOIN contacts c ON c.enterprise_id = e.id WHERE e.campaign_id = $1 LIMIT 1`,
		f.camp.ID).Scan(&ent, &contact); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(f.ctx, `SELECT id FROM people WHERE key = 'liu-lb'`).Scan(&owner); err != nil {
		t.Fatal(err)
	}
	request := func(number, opened, answered string) {
		exec(`INSERT INTO enterprise_requests (campaign_id, number, enterprise_id, contact_id, owner_id, state, opened_at, first_answer_at, closed_at)
			VALUES ($1, $2, $3, $4, $5, 'closed', $6, $7, $7)`, f.camp.ID, number, ent, contact, owner, atTime(opened), atTime(answered))
	}
	request("Q-2026-0101", "2026-11-10 10:00", "2026-11-16 10:00") // the clock ran out on 11-13 10:00
	request("Q-2026-0102", "2026-11-17 10:00", "2026-11-17 11:00")
	f.h.Clock.Set(at("2026-12-02", "10:00"))
	return f
}

func atTime(s string) time.Time {
	d, hm, _ := strings.Cut(s, " ")
	return at(d, hm)
}

// TestScoreArithmetic: 考评 2026-11 ranks the units by the campaign
// file's weights, and each unit's lines add up to its score.
func TestScoreArithmetic(t *testing.T) {
	f := scoreWorld(t)
	rank := sentText(f.say(t, lgOffice, "", "考评 2026-11")[0])
	wantContains(t, "rank", rank, "考评 · 2026年11月", "统计期 11月1日至11月30日",
		"1|义马市交通运输局|100|无", "1|市交通运输综合行政执法支队|100|无", "3|卢氏县交通运输局|90|月报未报送 −10",
		"4|灵宝市交通运输局|83|月报逾期 2 天 −5；逾期问题 2 条 −4；督办单未按时签收 2 份 −4；督办单未按期答复 1 份 −3；企业诉求超时答复 1 件 −1",
		"计分办法：基础分 100；月报逾期每期 −5", "[灵宝市交通运输局]")
	lb := sentText(f.say(t, lgOffice, "", "考评 2026-11 灵宝")[0])
	wantContains(t, "灵宝", lb, "考评明细 · 灵宝市交通运输局", "基础分 100",
		"- 月报逾期 2 天（11月25日报送） −5",
		"- 逾期问题 2 条 −4（LB-2026-001、LB-2026-002）",
		"- 督办单未按时签收 2 份 −4（DB-2026-101、DB-2026-103）",
		"- 督办单未按期答复 1 份 −3（DB-2026-102）",
		"- 企业诉求超时答复 1 件 −1（Q-2026-0101）",
		"**得分 83**（第 4 名，共 4 个单位）")
	for _, not := range []string{"LB-2026-003", "LB-2026-004", "LB-2026-005", "Q-2026-0102"} {
		if strings.Contains(lb, not) {
			t.Errorf("%s counted:\n%s", not, lb)
		}
	}
	// The unit's button does what the typed command does.
	r := f.click(t, lgOffice, "score.unit", map[string]string{"period": "2026-11", "unit": "lushi"}, nil)
	wantContains(t, "卢氏 button", cardText(r.Card), "- 月报未报送 −10", "**得分 90**")
	wantContains(t, "义马", sentText(f.say(t, lgOffice, "", "考评 11月 义马")[0]), "- 月报按时报送（11月20日） 不扣分", "**得分 100**")
	// Typed another way, and by default the last finished month.
	wantContains(t, "考核", sentText(f.say(t, lgOffice, "", "考核 2026年11月")[0]), "考评 · 2026年11月")
	wantContains(t, "default", sentText(f.say(t, lgOffice, "", "考评")[0]), "考评 · 2026年11月")
	// The weights are the campaign file's: an overdue item costing 3, a
	// late report 5 and 1 a day.
	if _, err := f.st.DB().Exec(f.ctx, `UPDATE campaigns SET settings = jsonb_set(jsonb_set(settings, '{supervision,score,item_overdue}', '3'),
		'{supervision,score,report_late_day}', '1') WHERE id = $1`, f.camp.ID); err != nil {
		t.Fatal(err)
	}
	wantContains(t, "weights", sentText(f.say(t, lgOffice, "", "考评 2026-11 灵宝")[0]),
		"- 月报逾期 2 天（11月25日报送） −7", "- 逾期问题 2 条 −6", "**得分 79**", "逾期每天再 −1", "逾期问题每条 −3")
}

// TestScoreRefusals: only the office sees scores; a month outside the
// campaign, a bad month or an unknown unit is refused; early in the
// campaign, with no month finished, the command asks for one; within the
// month the card says the month is still running.
func TestScoreRefusals(t *testing.T) {
	f := scoreWorld(t)
	for _, who := range []string{lgLeader, lgLiaison, lgYimaLead} {
		wantContains(t, who, sentText(f.say(t, who, "", "考评 2026-11")[0]), "抱歉，只有市局专项整治办公室可以查看考评。")
	}
	if r, _ := f.h.Click(lgLeader, "", "score.unit", map[string]string{"period": "2026-11", "unit": "lingbao"}, nil); r == nil || !strings.Contains(r.Toast+r.Text, "只有市局专项整治办公室") {
		t.Errorf("leader's click: %+v", r)
	}
	wantContains(t, "2030-01", sentText(f.say(t, lgOffice, "", "考评 2030-01")[0]), "2030年1月不是本次专项整治的报送期。本次专项整治的报送期为2026年8月至2027年1月。")
	wantContains(t, "2026-13", sentText(f.say(t, lgOffice, "", "考评 2026-13")[0]), "“2026-13”不是有效的月份")
	wantContains(t, "unit", sentText(f.say(t, lgOffice, "", "考评 2026-11 火星")[0]), "未找到单位“火星”。")
	if r, _ := f.h.Click(lgOffice, "", "score.show", map[string]string{"period": "2030-01"}, nil); r == nil || !strings.Contains(r.Toast+r.Text, "卡片参数有误") {
		t.Errorf("forged period: %+v", r)
	}
	f.h.Clock.Set(at("2026-11-26", "10:00"))
	wantContains(t, "running", sentText(f.say(t, lgOffice, "", "考评 2026-11")[0]), "截至 11月26日，本月尚未结束")
	wantContains(t, "default in November", sentText(f.say(t, lgOffice, "", "考评")[0]), "考评 · 2026年10月")
	f.h.Clock.Set(at("2026-08-20", "10:00"))
	wantContains(t, "early", sentText(f.say(t, lgOffice, "", "考评")[0]), "本次专项整治还没有已结束的考评月份。请写明月份，例如“考评 2026-08”。")
}

// TestScoreSheet: the office's monthly export carries a 考评 sheet with the
// card's lines; a unit's own export does not.
func TestScoreSheet(t *testing.T) {
	f := scoreWorld(t)
	read := func(user string) *excelize.File {
		t.Helper()
		for _, s := range f.say(t, user, "", "导出月报 2026-11") {
			if s.Message.File != nil {
				x, err := excelize.OpenReader(bytes.NewReader(s.Message.File.Content))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { x.Close() })
				return x
			}
		}
		t.Fatalf("%s got no file", user)
		return nil
	}
	x := read(lgOffice)
	rows, err := x.GetRows(scoreSheet)
	if err != nil {
		t.Fatal(err)
	}
	var text []string
	for _, r := range rows {
		text = append(text, strings.Join(r, "|"))
	}
	all := strings.Join(text, "\n")
	wantContains(t, "sheet", all, "名次|单位|得分|计分明细", "1|义马市交通运输局|100|基础分 100\n月报按时报送（11月20日） 不扣分",
		"4|灵宝市交通运输局|83|基础分 100\n月报逾期 2 天（11月25日报送） −5\n逾期问题 2 条 −4（LB-2026-001、LB-2026-002）\n督办单未按时签收 2 份 −4（DB-2026-101、DB-2026-103）",
		"2026年11月考评（统计期 11月1日至11月30日）。计分办法：基础分 100")
	if idx, _ := read(lgLeader).GetSheetIndex(scoreSheet); idx >= 0 {
		t.Errorf("the leader's export has a 考评 sheet")
	}
	// zhenggai report monthly writes the same sheet.
	var buf bytes.Buffer
	if err := ExportMonthly(f.ctx, f.st, &buf, "2026-11", at("2026-12-02", "10:00")); err != nil {
		t.Fatal(err)
	}
	cli, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	cliRows, err := cli.GetRows(scoreSheet)
	if err != nil || len(cliRows) != len(rows) || strings.Join(cliRows[4], "|") != strings.Join(rows[4], "|") {
		t.Errorf("report monthly's 考评 sheet: %v %v", cliRows, err)
	}
}
