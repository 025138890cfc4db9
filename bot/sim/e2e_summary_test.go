package sim_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"zhenggai/store"
)

// The clue and 总结 journeys of issue 22 in real pages: a 社会义务监督员's
// clue goes from his chat to a ledger item of 灵宝 and its outcome back to
// him; 灵宝's liaison fills the 总结 package from empty to complete, seeing
// what is still missing at each step.

// clickLast clicks the last element matching sel (cards replace each
// other in the log; the newest is the one to act on).
func clickLast(br *browser, sel string) {
	br.t.Helper()
	if !eval[bool](br, fmt.Sprintf(`(() => { const b = [...document.querySelectorAll(%q)].pop(); if (b) b.click(); return !!b })()`, sel)) {
		br.t.Fatalf("nothing to click: %s", sel)
	}
}

// fillLast sets field of the newest form to value.
func fillLast(br *browser, field, value string) {
	br.t.Helper()
	eval[bool](br, fmt.Sprintf(`(() => { const f = [...document.querySelectorAll("#log form.card-form")].pop();
		const c = f.querySelector('.form-field[data-field="%s"] input, .form-field[data-field="%s"] select, .form-field[data-field="%s"] textarea');
		c.value = %q; return true })()`, field, field, field, value))
}

const submitLast = `#log form.card-form button[type=submit]`

func has(sel string) string { return fmt.Sprintf(`document.querySelector(%q) !== null`, sel) }

func TestJourneySupervisorClueToItemAndBack(t *testing.T) {
	srv := startServer(t, nil)
	dir := t.TempDir()
	sup := newBrowser(t, 390, 844)
	sup.open(srv.URL, "p:qian-jd", "d:p:qian-jd")
	sup.say("线索：灵宝某治超站夜间对货车收费不开票")
	sup.waitFor("the clue's number", logHas("编号 XS-2026-001"))
	shotTo(t, sup, dir, "supervisor-clue-sent")

	office := newBrowser(t, 1100, 900)
	office.open(srv.URL, "p:lu-xm", "d:p:lu-xm")
	office.waitFor("the clue card", has(`#log button[data-action="clue.assign.form"]`))
	clickLast(office, `#log button[data-action="clue.assign.form"]`)
	office.waitFor("the assign form", has(`#log .form-field[data-field="unit"] select`))
	fillLast(office, "unit", "lingbao")
	clickLast(office, submitLast)
	office.waitFor("the confirmation", `document.querySelector("#confirm").open`)
	office.run("确定", chromedp.Click(chromedp.CSS(`#confirm button[value="ok"]`)))
	office.waitFor("assigned", `[...document.querySelectorAll("#log .card")].pop().textContent.includes("已分办")`)
	shotTo(t, office, dir, "office-clue-assigned")

	liaison := newBrowser(t, 1100, 900)
	liaison.open(srv.URL, "p:li-lb", "d:p:li-lb")
	liaison.waitFor("the clue to sign", has(`#log button[data-action="clue.sign"]`))
	clickLast(liaison, `#log button[data-action="clue.sign"]`)
	liaison.waitFor("signed", has(`#log button[data-action="clue.convert.form"]`))
	clickLast(liaison, `#log button[data-action="clue.convert.form"]`)
	liaison.waitFor("the convert form", has(`#log .form-field[data-field="measures"] textarea`))
	fillLast(liaison, "category", "逐利执法")
	fillLast(liaison, "measures", "约谈站长，全面清查收费票据")
	clickLast(liaison, submitLast)
	liaison.waitFor("converted", logHas("已转为台账问题"))
	shotTo(t, liaison, dir, "liaison-clue-converted")

	sup.waitFor("the outcome", logHas("已办结：转为台账问题"))
	shotTo(t, sup, dir, "supervisor-clue-outcome")
	c, err := srv.Store.ClueByNumber(context.Background(), campaignID(t, srv), "XS-2026-001")
	if err != nil || c.State != store.ClueConverted || c.ItemID == nil {
		t.Fatalf("clue after the journey: %+v %v", c, err)
	}
}

func TestJourneyLiaisonFillsSummary(t *testing.T) {
	srv := startServer(t, nil)
	dir := t.TempDir()
	files := map[string]string{}
	for _, n := range []string{"案例一处罚决定书.jpg", "案例二整改前后.jpg"} {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00 "+n), 0o644); err != nil {
			t.Fatal(err)
		}
		files[n] = p
	}
	br := newBrowser(t, 1100, 1000)
	br.open(srv.URL, "p:li-lb", "d:p:li-lb")
	last := `[...document.querySelectorAll("#log .card")].pop()`
	br.say("总结")
	br.waitFor("the checklist", has(`#log button[data-action="summary.submit"]`))
	shotTo(t, br, dir, "summary-empty")
	clickLast(br, `#log button[data-action="summary.submit"]`)
	br.waitFor("the refusal names what is missing", `!document.querySelector("#toast").hidden && document.querySelector("#toast").textContent.includes("尚缺")`)

	part := func(name, sel string, fill map[string]string) {
		t.Helper()
		clickLast(br, sel)
		br.waitFor(name+" form", has(`#log .form-field[data-field="body"] textarea`))
		for k, v := range fill {
			fillLast(br, k, v)
		}
		clickLast(br, submitLast)
		br.waitFor(name+" saved", has(`#log button[data-action="summary.submit"]`))
	}
	part("总结报告", `#log button[data-action="summary.part.form"][data-params*='"part":"report"']`,
		map[string]string{"body": "一、工作情况：……二、工作成效：……三、发现的主要问题和有关建议：……"})
	clickLast(br, `#log button[data-action="summary.ledger.confirm"]`)
	br.waitFor("the confirmation", `document.querySelector("#confirm").open`)
	br.run("确定", chromedp.Click(chromedp.CSS(`#confirm button[value="ok"]`)))
	br.waitFor("ledger confirmed", last+`.textContent.includes("已确认（共")`)
	for i, n := range []string{"案例一处罚决定书.jpg", "案例二整改前后.jpg"} {
		part(fmt.Sprintf("典型案例%d", i+1), `#log button[data-action="summary.part.form"][data-params*='"part":"case"']`,
			map[string]string{"title": fmt.Sprintf("典型案例%d", i+1), "body": "案例经过、整改措施和成效。"})
		br.waitFor("the case lacks a file", last+fmt.Sprintf(`.textContent.includes("典型案例%d的附件")`, i+1))
		if i == 0 {
			shotTo(t, br, dir, "summary-case-without-file")
		}
		br.run("send the case's file", chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{files[n]}))
		br.waitFor("the file attached to the case", logHas(fmt.Sprintf("记入灵宝市交通运输局的“典型案例%d”", i+1)))
	}
	part("专题报告", `#log button[data-action="summary.part.form"][data-params*='"part":"accountability"']`,
		map[string]string{"body": "追责问责 2 人，容错免责 1 人。"})
	br.waitFor("complete, ready to submit", last+`.textContent.includes("各部分材料已齐全")`)
	clickLast(br, `#log button[data-action="summary.submit"]`)
	br.waitFor("the confirmation", `document.querySelector("#confirm").open`)
	br.run("确定", chromedp.Click(chromedp.CSS(`#confirm button[value="ok"]`)))
	br.waitFor("submitted", last+`.textContent.includes("材料齐全")`)
	shotTo(t, br, dir, "summary-complete")
	br.say("总结")
	br.waitFor("the card again", logHas("提交，材料齐全"))
}
