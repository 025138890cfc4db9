package sim_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"zhenggai/store"
)

// The journeys of issue 15 as their users walk them in the simulator, each
// in a real page: what each person sees is asserted, and a screenshot of the
// end of each journey is kept in the test's temporary directory (-v prints
// where) for a person to look at.

// shotTo saves a screenshot of br as name.png under dir, or under
// $ZG_SCREENSHOT_DIR when set (to keep them for a look).
func shotTo(t *testing.T, br *browser, dir, name string) {
	t.Helper()
	if d := os.Getenv("ZG_SCREENSHOT_DIR"); d != "" {
		dir = d
	}
	ctx, cancel := context.WithTimeout(br.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", path)
}

// logHas is a JavaScript test that some bot message in the log contains s.
func logHas(s string) string {
	return fmt.Sprintf(`[...document.querySelectorAll("#log .msg-bot")].some(m => m.textContent.includes(%q))`, s)
}

// TestJourneyEnterpriseThanksAndRates: an enterprise contact asks, the
// leader answers; the contact sees the answer with its three choices,
// replies "谢谢" and is thanked (the request is not reopened: the leader is
// told it was not rated), then presses 已解决（满意） and is thanked for the
// rating.
func TestJourneyEnterpriseThanksAndRates(t *testing.T) {
	srv := startServer(t, nil)
	dir := t.TempDir()
	contact := newBrowser(t, 390, 844)
	contact.open(srv.URL, "c:smx-yunshu:张伟", "d:c:smx-yunshu:张伟")
	contact.say("我们公司的车辆年审一直办不下来，请帮忙协调")
	contact.waitFor("the receipt", `document.querySelectorAll("#log .msg-bot").length > 0`)

	leader := newBrowser(t, 1000, 800)
	leader.open(srv.URL, "p:wang-jg", "d:p:wang-jg")
	leader.waitFor("the request card", `document.querySelector('#log button[data-action="ereq.reply.form"]') !== null`)
	leader.run("reply", chromedp.Click(chromedp.CSS(`#log button[data-action="ereq.reply.form"]`)))
	leader.waitFor("the reply form", `document.querySelector("#log form.card-form textarea") !== null`)
	const answer = "已联系车管所，明天上午可以办理。"
	leader.run("answer",
		chromedp.SendKeys(chromedp.CSS("#log form.card-form textarea"), answer),
		chromedp.Click(chromedp.CSS("#log form.card-form button[type=submit]")),
	)

	contact.waitFor("the answer", logHas(answer))
	contact.waitFor("the answer's choices", `document.querySelector('#log button[data-action="ereq.rate"]') !== null`)
	contact.say("谢谢！")
	contact.waitFor("the thank-you's answer", logHas("不客气"))
	leader.waitFor("the leader told of the thank-you", logHas("未作评价"))
	q, err := srv.Store.EnterpriseRequestByNumber(context.Background(), campaignID(t, srv), "QY-2026-0001")
	if err != nil || q.State != store.RequestAnswered {
		t.Fatalf("after 谢谢 the request is %+v (%v), want still answered", q, err)
	}

	contact.run("rate 已解决（满意）", chromedp.Click(chromedp.CSS(`#log button[data-action="ereq.rate"]`)))
	contact.waitFor("thanks for the rating", logHas("感谢您的评价"))
	shotTo(t, contact, dir, "enterprise-thanks-and-rates")
	q, err = srv.Store.EnterpriseRequestByNumber(context.Background(), campaignID(t, srv), "QY-2026-0001")
	if err != nil || q.State != store.RequestClosed || q.Rating == nil || *q.Rating != store.RatingSatisfied {
		t.Fatalf("after the rating the request is %+v (%v)", q, err)
	}
}

// TestJourneyLeaderApprovesAndGroupCardChanges: in 灵宝's group the liaison
// opens an item by typing 办理 and its number, asks for its 销号 from the
// card; the leader approves in his 1:1 chat, and the card in the group
// changes: no longer 等待审批 but 已销号, and the group reads the decision.
func TestJourneyLeaderApprovesAndGroupCardChanges(t *testing.T) {
	srv := startServer(t, nil)
	dir := t.TempDir()
	ctx := context.Background()
	camp := campaignID(t, srv)
	u, err := srv.Store.UnitByKey(ctx, camp, "lingbao")
	if err != nil {
		t.Fatal(err)
	}
	it := &store.LedgerItem{CampaignID: camp, UnitID: u.ID, Source: "自查", Category: "执法不规范", Description: "执法记录仪未全程开启",
		Measures: "建立执法记录仪使用台账，每周抽查", DueOn: time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC), Status: store.ItemInProgress}
	if err := srv.Store.CreateLedgerItem(ctx, it, 2026); err != nil {
		t.Fatal(err)
	}

	liaison := newBrowser(t, 1100, 900)
	liaison.open(srv.URL, "p:li-lb", "g:lingbao")
	liaison.say("@整改助手 办理 " + it.Number)
	card := cardJS(it.Number)
	liaison.waitFor("the item card", card+` !== undefined`)
	liaison.run("申请销号", chromedp.Click(chromedp.CSS(`#log .card button[data-action="item.close.form"]`)))
	liaison.waitFor("the 销号 form", `document.querySelector("#log form.card-form textarea") !== null`)
	liaison.run("fill the result",
		chromedp.SendKeys(chromedp.CSS("#log form.card-form textarea"), "已建立使用台账，抽查 3 次均全程开启。"),
		chromedp.Click(chromedp.CSS("#log form.card-form button[type=submit]")),
	)
	liaison.waitFor("the card waits for approval", card+`?.textContent.includes("申请销号")`)

	leader := newBrowser(t, 1000, 800)
	leader.open(srv.URL, "p:liu-lb", "d:p:liu-lb")
	leader.waitFor("the approval card", `document.querySelector('#log button[data-action="approval.approve"]') !== null`)
	leader.run("同意", chromedp.Click(chromedp.CSS(`#log button[data-action="approval.approve"]`)))
	leader.waitFor("the confirmation", `document.querySelector("#confirm").open && document.querySelector("#confirm-text").textContent.includes("确认同意")`)
	leader.run("确定", chromedp.Click(chromedp.CSS(`#confirm button[value="ok"]`)))
	leader.waitFor("the decision in place", logHas("刘宝山 于"))

	liaison.waitFor("the group's card redrawn", card+`?.textContent.includes("已销号") && !`+card+`.textContent.includes("等待")`)
	liaison.waitFor("the group told", logHas("同意了 "+it.Number+" 的销号申请"))
	shotTo(t, liaison, dir, "group-card-after-approval")
}

// campaignID is the demo campaign's id.
func campaignID(t *testing.T, srv *simServer) int64 {
	t.Helper()
	c, err := srv.Store.CampaignByKey(context.Background(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// lingbaoItem makes an open item of 灵宝 directly.
func lingbaoItem(t *testing.T, srv *simServer, desc, measures string) *store.LedgerItem {
	t.Helper()
	ctx := context.Background()
	camp := campaignID(t, srv)
	u, err := srv.Store.UnitByKey(ctx, camp, "lingbao")
	if err != nil {
		t.Fatal(err)
	}
	it := &store.LedgerItem{CampaignID: camp, UnitID: u.ID, Source: "自查自纠", Category: "执法不规范", Description: desc,
		Measures: measures, DueOn: time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC), Status: store.ItemInProgress}
	if err := srv.Store.CreateLedgerItem(ctx, it, 2026); err != nil {
		t.Fatal(err)
	}
	return it
}

// TestJourneyLiaisonPhotoFindsItsItem: in her 1:1 chat the liaison opens the
// ledger, opens an item, and sends a photo of the rectified site with no
// caption; the bot asks which item it is for, she picks the item, and its
// card shows the photo as evidence.
func TestJourneyLiaisonPhotoFindsItsItem(t *testing.T) {
	srv := startServer(t, nil)
	dir := t.TempDir()
	ctx := context.Background()
	it := lingbaoItem(t, srv, "执法车辆停放不规范", "划定停放区域")
	photo := filepath.Join(dir, "停放区域整改后.jpg")
	if err := os.WriteFile(photo, []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00 site photo"), 0o644); err != nil {
		t.Fatal(err)
	}

	br := newBrowser(t, 1100, 900)
	br.open(srv.URL, "p:li-lb", "d:p:li-lb")
	br.say("台帐")
	br.waitFor("the ledger card", `document.querySelector('#log .card button[data-action="item.show"]') !== null`)
	br.run("办理", chromedp.Click(chromedp.CSS(`#log .card button[data-action="item.show"]`)))
	br.waitFor("the item card", cardJS(it.Number)+` !== undefined`)

	br.run("send the photo", chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{photo}))
	br.waitFor("the question", cardJS("收到附件")+` !== undefined`)
	if eval[bool](br, logHas("没有理解")) {
		t.Fatal("a caption-less photo was not understood")
	}
	br.run("pick the item", chromedp.Click(chromedp.CSS(`#log .card button[data-action="evidence.attach"]`)))
	br.waitFor("the item's card with the photo", cardJS(it.Number)+`?.textContent.includes("停放区域整改后.jpg")`)
	shotTo(t, br, dir, "liaison-photo-evidence")
	ups, err := srv.Store.ProgressOf(ctx, it.ID, 5)
	if err != nil || len(ups) != 1 || ups[0].FileID == nil {
		t.Fatalf("progress after the photo: %+v %v", ups, err)
	}
}

// TestJourneyEvidenceOpenedFromTheItem: the liaison sends a photo with
// "进展：<编号> …" as its caption; the item's card comes back listing the
// photo (name, size, who, when) with 查看佐证; she presses it and the photo
// arrives in her 1:1 chat as a link the simulator serves, with the bytes
// she sent. The office opens the item and asks for the photo by its number
// (his card's buttons are full); another
// unit's liaison asking for it by number is refused.
func TestJourneyEvidenceOpenedFromTheItem(t *testing.T) {
	srv := startServer(t, nil)
	dir := t.TempDir()
	ctx := context.Background()
	it := lingbaoItem(t, srv, "执法车辆停放不规范", "划定停放区域")
	content := "\xff\xd8\xff\xe0\x00\x10JFIF\x00 parking area after"
	photo := filepath.Join(dir, "停放区域整改后.jpg")
	if err := os.WriteFile(photo, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	fileLink := `[...document.querySelectorAll("#log .bubble.file a")].filter(a => a.textContent.includes("停放区域整改后.jpg")).pop()`
	fetched := fileLink + `.href`

	br := newBrowser(t, 1100, 900)
	br.open(srv.URL, "p:li-lb", "d:p:li-lb")
	br.run("caption and photo",
		chromedp.SendKeys(chromedp.CSS("#composer-input"), "进展："+it.Number+" 已划定停放区域"),
		chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{photo}))
	br.waitFor("the item card with its evidence", cardJS(it.Number)+`?.textContent.includes("佐证材料")`)
	card := eval[string](br, cardJS(it.Number)+`.textContent`)
	for _, want := range []string{"停放区域整改后.jpg", "李晓燕", "查看佐证"} {
		if !strings.Contains(card, want) {
			t.Fatalf("item card lacks %q: %s", want, card)
		}
	}
	shotTo(t, br, dir, "evidence-liaison-item-card")
	br.run("查看佐证", chromedp.Click(chromedp.CSS(`#log .card button[data-action="evidence.open"]`)))
	br.waitFor("the photo in her chat", fileLink+` !== undefined`)
	got := eval[string](br, `fetch(`+fetched+`).then(r => r.arrayBuffer()).then(b => String.fromCharCode(...new Uint8Array(b)))`,
		chromedp.EvalAwaitPromise)
	if got != latin1(content) {
		t.Fatalf("the served photo is %q, want %q", got, content)
	}
	shotTo(t, br, dir, "evidence-liaison-opened")

	ups, err := srv.Store.ProgressOf(ctx, it.ID, 5)
	if err != nil || len(ups) != 1 || ups[0].FileID == nil {
		t.Fatalf("progress: %+v %v", ups, err)
	}
	// The office's card also has 督办 and 挂牌督办; with six buttons at
	// most on WeCom and DingTalk, it says how to ask by number instead.
	br.open(srv.URL, "p:lu-xm", "d:p:lu-xm")
	br.say("查看 " + it.Number)
	open := fmt.Sprintf("查看佐证 %d", *ups[0].FileID)
	br.waitFor("the office's item card", cardJS(it.Number)+`?.textContent.includes("`+open+`")`)
	br.say(open)
	br.waitFor("the photo in the office's chat", fileLink+` !== undefined`)
	shotTo(t, br, dir, "evidence-office-opened")

	br.open(srv.URL, "p:zhou-ym", "d:p:zhou-ym")
	br.say(fmt.Sprintf("查看佐证 %d", *ups[0].FileID))
	br.waitFor("the refusal", logHas("您无权查看文件"))
	if eval[bool](br, fileLink+` !== undefined`) {
		t.Fatal("another unit's liaison got the photo")
	}
	shotTo(t, br, dir, "evidence-other-unit-refused")
}

// latin1 is s as String.fromCharCode reads its bytes.
func latin1(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteRune(rune(s[i]))
	}
	return b.String()
}
