package handlers

import (
	"strings"
	"testing"

	"zhenggai/cards"
	"zhenggai/store"
)

// TestBulletin: the office composes 通报 2026-11 from the data, previews
// it (nothing reaches the units), edits the wording, sends it to the one
// unit it picks, and cannot send it twice; a liaison cannot publish.
func TestBulletin(t *testing.T) {
	f := newLgFixture(t)
	if _, err := f.st.DB().Exec(f.ctx, `INSERT INTO monthly_reports (campaign_id, unit_id, period, summary, on_time)
		VALUES ($1, $2, '2026-11', '按计划推进', true), ($1, $3, '2026-11', '补报', false)`,
		f.camp.ID, f.unit(t, "lingbao").ID, f.unit(t, "yima").ID); err != nil {
		t.Fatal(err)
	}
	f.addItem(t, "lushi", "执法记录仪未全程开启", "2026-11-20")
	lb := f.addItem(t, "lingbao", "罚款未开具票据", "2026-12-20")
	f.issueNotice(t, lb, store.NoticeBlue, "2026-12-04")
	f.h.Deliver()

	wantContains(t, "liaison", sentText(f.say(t, lgLiaison, "", "通报 2026-11")[0]), "只有市局专项整治办公室")
	wantContains(t, "bad month", sentText(f.say(t, lgOffice, "", "通报 十一月")[0]), "请写明月份")
	sent := f.say(t, lgOffice, "", "通报 2026-11")
	if len(sent) != 1 {
		t.Fatalf("preview sent %d messages", len(sent))
	}
	preview := sentText(sent[0])
	wantContains(t, "preview", preview, "关于2026年11月专项整治工作推进情况的通报", "草稿 · 尚未发送",
		"按时报送 1 个单位；逾期报送 1 个单位：义马市交通运输局；未报送 2 个单位：卢氏县交通运输局、市交通运输综合行政执法支队",
		"一、月报报送情况：截止 11月23日（周一），", "二、逾期未整改问题：截至 11月26日（周四），卢氏县交通运输局 1 项", "督办单未答复：灵宝市交通运输局（DB-2026-001）", "[编辑通报][发送通报][选择通报单位]")
	b, err := f.st.LatestDraftBulletin(f.ctx, f.camp.ID)
	if err != nil {
		t.Fatal(err)
	}

	r := f.click(t, lgOffice, "bulletin.edit.submit", bulletinParams(b), cards.Values{"text": {"关于2026年11月专项整治工作推进情况的通报（修改稿）"}})
	wantContains(t, "edited", r.Toast+cardText(r.Card), "已保存", "（修改稿）")
	if r := f.click(t, lgOffice, "bulletin.send", withParam(bulletinParams(b), "scope", "all"), nil); r.ToastKind != "warning" {
		t.Errorf("stale card sent: %s", r.Toast)
	}
	b, _ = f.st.LatestDraftBulletin(f.ctx, f.camp.ID)
	if r, _ := f.h.Click(lgOffice, "", "bulletin.send", withParam(bulletinParams(b), "scope", "some"), cards.Values{}); r == nil || r.ToastKind != "error" {
		t.Errorf("sent to nobody: %+v", r)
	}
	r = f.click(t, lgOffice, "bulletin.send", withParam(bulletinParams(b), "scope", "some"), cards.Values{"units": {"lingbao"}})
	wantContains(t, "sent", r.Toast+cardText(r.Card), "通报已发送到 1 个单位", "灵宝市交通运输局")
	sent = f.h.Deliver()
	var got []string
	for _, s := range sent {
		if strings.Contains(sentText(s), "（修改稿）") {
			got = append(got, s.To.ChatID+s.To.UserID)
		}
	}
	if strings.Join(got, ",") != lgGroup {
		t.Errorf("went to %v, want only %s", got, lgGroup)
	}
	if r := f.click(t, lgOffice, "bulletin.send", withParam(bulletinParams(b), "scope", "all"), nil); r.ToastKind != "warning" {
		t.Errorf("sent twice: %s", r.Toast)
	}
	if got := strings.Join(f.auditActions(t, "bulletin", b.ID), ","); got != "compose,edit,send" {
		t.Errorf("audit: %s", got)
	}
}
