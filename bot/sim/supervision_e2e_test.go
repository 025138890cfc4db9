package sim_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"zhenggai/store"
)

// clickLast clicks the last button of the chat log with action, answering
// its confirmation with OK when it asks one.
func (br *browser) clickLast(action string) {
	br.t.Helper()
	sel := fmt.Sprintf(`[...document.querySelectorAll('#log button[data-action=%q]')].filter(b => !b.disabled).pop()`, action)
	br.waitFor("a "+action+" button", sel+` !== undefined`)
	eval[bool](br, sel+`.click() || true`)
	if br.try(`document.querySelector("#confirm").open`, 2*time.Second) {
		br.run("confirm "+action, chromedp.Click(chromedp.CSS(`#confirm button[value="ok"]`)))
	}
}

// submitLastForm types text into the last form's first text area (when
// text is set) and submits it.
func (br *browser) submitLastForm(text string) {
	br.t.Helper()
	const form = `[...document.querySelectorAll("#log form.card-form")].filter(f => !f.closest(".card").classList.contains("is-submitted")).pop()`
	br.waitFor("a form", form+` !== undefined`)
	if text != "" {
		id := eval[string](br, form+`.querySelector("textarea").id`)
		br.run("type into the form", chromedp.SendKeys(chromedp.CSS("#"+id), text))
	}
	eval[bool](br, form+`.querySelector("button[type=submit]").click() || true`)
	if br.try(`document.querySelector("#confirm").open`, 2*time.Second) {
		br.run("confirm the form", chromedp.Click(chromedp.CSS(`#confirm button[value="ok"]`)))
	}
}

// logHas waits until the chat log's text contains each of wants.
func (br *browser) logHas(what string, wants ...string) {
	br.t.Helper()
	var conds []string
	for _, w := range wants {
		conds = append(conds, fmt.Sprintf(`document.querySelector("#log").innerText.includes(%q)`, w))
	}
	br.waitFor(what, strings.Join(conds, " && "))
}

// TestSimulatorSupervision walks the office's supervision tools in the
// browser: a 督办单 issued from a typed 督办, signed and answered by the
// liaison, closed by the office; a second one ignored and escalated when
// the clock runs; then a 挂牌督办 item whose 销号, approved by the unit's
// leader, waits for the office's 复核 and closes on it.
func TestSimulatorSupervision(t *testing.T) {
	srv := startServer(t, nil)
	ctx := context.Background()
	camp, err := srv.Store.CampaignByKey(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	lb, err := srv.Store.UnitByKey(ctx, camp.ID, "lingbao")
	if err != nil {
		t.Fatal(err)
	}
	it := &store.LedgerItem{CampaignID: camp.ID, UnitID: lb.ID, Source: "12328热线", Category: "执法粗暴",
		Description: "执法人员在G310线随意拦车检查", DueOn: time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)}
	if err := srv.Store.CreateLedgerItem(ctx, it, 2026); err != nil {
		t.Fatal(err)
	}
	br := newBrowser(t, 1100, 900)

	// The office issues a 督办单: the form comes prefilled red (the item is
	// overdue), and the answer is the notice's card.
	br.open(srv.URL, "p:lu-xm", "d:p:lu-xm")
	br.say("督办 " + it.Number)
	br.logHas("the issue form", "签发督办单", "红灯")
	br.submitLastForm("")
	br.logHas("the issued notice", "督办单 DB-2026-001 · 红色督办", "待签收")

	// The liaison gets it, signs it (the time shows), answers it.
	br.open(srv.URL, "p:li-lb", "d:p:li-lb")
	br.logHas("the notice", "督办单 DB-2026-001")
	br.clickLast("notice.sign")
	br.logHas("the signed notice", "已签收，待答复", "李晓燕 2026-11-20 09:00")
	br.clickLast("notice.answer.form")
	br.submitLastForm("已约谈当事执法人员，G310线检查点已撤除。")
	br.logHas("the answered notice", "已答复，待办结")

	// The office is told, and closes it.
	br.open(srv.URL, "p:lu-xm", "d:p:lu-xm")
	br.logHas("the answer", "已答复督办单 DB-2026-001", "G310线检查点已撤除")
	br.clickLast("notice.close")
	br.logHas("the closed notice", "已办结")

	// A second notice nobody signs: on Monday the clock's 09:00 run
	// reminds the liaison.
	br.say("督办 灵宝")
	br.submitLastForm("")
	br.logHas("the second notice", "督办单 DB-2026-002")
	br.run("run the clock",
		chromedp.Click(chromedp.CSS("#clock summary")),
		chromedp.SetValue(chromedp.CSS("#clock-at"), "2026-11-23T09:00"),
		chromedp.Click(chromedp.CSS("#clock-run")),
	)
	br.waitFor("the tick's summary", `document.querySelector("#clock-out").textContent.includes("运行结果")`)
	br.open(srv.URL, "p:li-lb", "d:p:li-lb")
	br.logHas("the escalation", "督办单提醒 · DB-2026-002", "尚未签收")

	// 挂牌督办: the office flags the item; the liaison asks for 销号; the
	// leader's approval leaves it waiting for 复核; the office's 复核 closes it.
	br.open(srv.URL, "p:lu-xm", "d:p:lu-xm")
	br.say("挂牌督办 " + it.Number)
	br.logHas("the flag", "已挂牌督办 "+it.Number)
	br.open(srv.URL, "p:li-lb", "d:p:li-lb")
	br.logHas("the liaison told", "已将问题 "+it.Number+" 挂牌督办")
	br.say("申请销号 " + it.Number)
	br.submitLastForm("已约谈当事执法人员，检查点已撤除。")
	br.logHas("the request", "申请销号，等待审批")
	br.open(srv.URL, "p:liu-lb", "d:p:liu-lb")
	br.logHas("the approval card", "销号审批 · "+it.Number)
	br.clickLast("approval.approve")
	br.logHas("waiting for 复核", "已提交市局专项整治办公室复核")
	if got, _ := srv.Store.LedgerItemByID(ctx, it.ID); got.Status != store.ItemCloseRequested {
		t.Fatalf("closed before 复核: %s", got.Status)
	}
	br.open(srv.URL, "p:lu-xm", "d:p:lu-xm")
	br.logHas("the review card", "销号复核 · "+it.Number)
	br.clickLast("flag.review.approve")
	br.logHas("the 复核", "已销号")
	if got, _ := srv.Store.LedgerItemByID(ctx, it.ID); got.Status != store.ItemClosed {
		t.Fatalf("after 复核: %s", got.Status)
	}
}
