package sim_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"zhenggai/bot"
	"zhenggai/handlers"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "write deploy/screenshots/*.png from the simulator")

// TestScreenshots writes small PNGs of the simulator's main views into
// deploy/screenshots/ for the README:
//
//	go test ./bot/sim -run TestScreenshots -update-screenshots
//
// It is skipped without the flag.
func TestScreenshots(t *testing.T) {
	if !*updateScreenshots {
		t.Skip("run with -update-screenshots to write deploy/screenshots/")
	}
	dir := filepath.Join("..", "..", "deploy", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	fb := &formBot{}
	srv := startServer(t, func(rt *bot.Router, d handlers.Deps) {
		handlers.Register(rt, d)
		fb.register(rt, d) // a form with every field kind, for the form view when the product has none yet
	})
	shot := func(br *browser, name string) {
		t.Helper()
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
		t.Logf("wrote %s (%d KB)", path, len(png)/1024)
		if len(png) > 150*1024 {
			t.Errorf("%s is %d KB; keep screenshots under 150 KB", name, len(png)/1024)
		}
	}
	settle := func(br *browser) {
		// Let the toast fade and the log scroll to the end.
		br.run("settle", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			select {
			case <-time.After(4500 * time.Millisecond):
			case <-ctx.Done():
			}
			return nil
		}))
		br.eval0(`document.querySelector("#log").scrollTop = 1e9`)
	}

	// 1. Desktop: the liaison in the unit's group, with the help card, the
	// clock panel run at the reminder hour and the monthly reminder card.
	desk := newBrowser(t, 1200, 820)
	desk.open(srv.URL, "p:li-lb", "g:lingbao")
	desk.say("@整改助手 帮助")
	desk.waitFor("the help card", cardJS("使用帮助")+` !== undefined`)
	desk.run("run the clock",
		chromedp.Click(chromedp.CSS("#clock summary")),
		chromedp.SetValue(chromedp.CSS("#clock-at"), "2026-11-20T09:00"),
		chromedp.Click(chromedp.CSS("#clock-run")),
	)
	desk.waitFor("the monthly reminder", `document.querySelector('`+reminderButton+`') !== null`)
	settle(desk)
	shot(desk, "sim-desktop-group")

	// 2. Phone: a form in a card (the monthly report form when the ledger
	// answers report.form, else the test form with every field kind).
	phone := newBrowser(t, 390, 780)
	phone.open(srv.URL, "p:li-lb", "g:lingbao")
	phone.run("open the report form", chromedp.Click(chromedp.CSS(reminderButton)))
	if !phone.try(`document.querySelector("#log form.card-form") !== null`, 5*time.Second) {
		phone.open(srv.URL, "p:li-lb", "d:p:li-lb")
		phone.say("表单")
		phone.waitFor("the test card", cardJS("表单测试")+` !== undefined`)
		phone.run("open the form", chromedp.Click(chromedp.CSS(`#log button[data-action="t.form"]`)))
		phone.waitFor("the form", `document.querySelector("#log form.card-form") !== null`)
	}
	phone.run("try an empty submit", chromedp.Click(chromedp.CSS(`#log form.card-form button[type=submit]`)))
	phone.waitFor("the required-field errors", `document.querySelector("#log .field-error:not(:empty)") !== null`)
	settle(phone)
	phone.eval0(`document.querySelector("#log form.card-form").closest(".msg").scrollIntoView({block: "start"})`)
	shot(phone, "sim-phone-form")

	// 3. Phone: the leader's daily digest in the 1:1 chat.
	phone.open(srv.URL, "p:liu-lb", "d:p:liu-lb")
	phone.say("摘要")
	phone.waitFor("the digest", cardJS("摘要")+` !== undefined`)
	settle(phone)
	shot(phone, "sim-phone-digest")
}

// eval0 runs a JavaScript statement for its effect.
func (br *browser) eval0(js string) {
	br.t.Helper()
	_ = eval[any](br, fmt.Sprintf("(() => { %s; return null; })()", js))
}
