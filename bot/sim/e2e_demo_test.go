package sim_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"zhenggai/deploy/demo"
	"zhenggai/store"
)

// demoNow is a Monday two weeks after November's report was due: the demo's
// history (package demo) has 卢氏 owing it.
var demoNow = time.Date(2026, 12, 7, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))

// startDemo starts the simulator on the demo campaign with its history
// played up to demoNow.
func startDemo(t *testing.T) *simServer {
	t.Helper()
	srv := startServerWith(t, nil, func(ctx context.Context, st *store.Store) {
		if _, err := demo.Load(ctx, st, demoNow, nil); err != nil {
			t.Fatal(err)
		}
	})
	srv.Clock.Set(demoNow)
	return srv
}

// TestJourneyLiaisonLedgerPhotoAndOwedReport: 郑丽, liaison of 卢氏, opens
// her group and finds the months behind it; 台账 → 办理 → a photo without a
// caption lands on the item she picks → 月报 opens December and offers
// November as 补报, which she files, late, and is told so.
func TestJourneyLiaisonLedgerPhotoAndOwedReport(t *testing.T) {
	srv := startDemo(t)
	dir := t.TempDir()
	br := newBrowser(t, 1100, 1000)
	br.open(srv.URL, "p:zheng-lsh", "g:lushi")
	br.waitFor("the group's history", cardJS("月报已报送 · 2026年10月")+` !== undefined`)
	shotTo(t, br, dir, "liaison-group-history")

	// In a group the bot hears only what @-mentions it, so a photo goes to
	// the 1:1 chat with the bot.
	br.open(srv.URL, "p:zheng-lsh", "d:p:zheng-lsh")
	br.say("台帐")
	br.waitFor("the ledger card", cardJS("专项整治工作台账")+`?.querySelector('button[data-action="item.show"]') != null`)
	br.run("办理", chromedp.Click(chromedp.CSS(`#log .card:last-of-type button[data-action="item.show"]`)))
	br.waitFor("the item card", cardJS("LS-2026-00")+` !== undefined`)

	photo := filepath.Join(dir, "执法车辆封存.jpg")
	if err := os.WriteFile(photo, []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00 sealed vehicles"), 0o644); err != nil {
		t.Fatal(err)
	}
	br.run("send the photo", chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{photo}))
	br.waitFor("the question", cardJS("收到附件")+` !== undefined`)
	br.run("pick the item", chromedp.Click(chromedp.CSS(`#log .card button[data-action="evidence.attach"]`)))
	br.waitFor("the photo on the item", `[...document.querySelectorAll("#log .card")].some(c => c.textContent.includes("执法车辆封存.jpg"))`)

	br.say("月报")
	br.waitFor("December's form with November owed", cardJS("月报 · 2026年12月")+`?.textContent.includes("补报 2026年11月（逾期 14 天）")`)
	shotTo(t, br, dir, "liaison-report-owed")
	br.run("补报 November", chromedp.Click(chromedp.CSS(`#log .card button[data-action="report.form"][data-params*="2026-11"]`)))
	br.waitFor("November's form", cardJS("月报 · 2026年11月")+`?.querySelector("form.card-form textarea") != null`)
	form := "#msg-" + eval[string](br, `[...document.querySelectorAll("#log form.card-form")].pop().closest(".msg").dataset.id`) + " form.card-form"
	br.run("fill", chromedp.SendKeys(chromedp.CSS(form+" textarea"), "11月完成执法车辆定位加装，补报本期进展。"))
	if eval[bool](br, `document.querySelector(`+strconv.Quote(form+" select")+`) !== null`) {
		br.run("confirm the items without progress", chromedp.SetValue(chromedp.CSS(form+" select"), "confirmed"))
	}
	br.run("submit", chromedp.Click(chromedp.CSS(form+" button[type=submit]")))
	br.waitFor("filed late", cardJS("月报已报送 · 2026年11月")+`?.textContent.includes("逾期报送")`)
	shotTo(t, br, dir, "liaison-report-filed-late")
}

// TestJourneyOfficeStatusAndExport: 卢旭明 of the office asks 报送情况 and
// sees December open with 卢氏 owing November, then 导出台账 and gets the
// spreadsheet in his 1:1.
func TestJourneyOfficeStatusAndExport(t *testing.T) {
	srv := startDemo(t)
	dir := t.TempDir()
	br := newBrowser(t, 1100, 1000)
	br.open(srv.URL, "p:lu-xm", "d:p:lu-xm")
	br.say("报送情况")
	br.waitFor("the status card", cardJS("报送情况")+`?.textContent.includes("2026年12月")`)
	shotTo(t, br, dir, "office-report-status")
	if !eval[bool](br, cardJS("报送情况")+`.textContent.includes("卢氏县交通运输局（11月）")`) {
		t.Fatal("报送情况 does not show 卢氏 owing November")
	}
	shotTo(t, br, dir, "office-report-status")
	br.say("导出台账")
	br.waitFor("the spreadsheet", `[...document.querySelectorAll("#log .bubble.file a")].some(a => a.textContent.includes(".xlsx"))`)
	br.waitFor("the export's answer", logHas("已导出"))
	shotTo(t, br, dir, "office-export")
}
