package sim_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"zhenggai/bot"
	"zhenggai/bot/sim"
	"zhenggai/deploy/testgate"
	"zhenggai/handlers"
	"zhenggai/store"
	"zhenggai/store/storetest"
)

// The end-to-end test drives the real page, served by a real bot (handlers,
// outbox, scheduler) on its own Postgres schema with the demo campaign, in
// headless Chromium. Chromium is Debian's `chromium` package; deploy/test.sh
// installs it when missing. Without it the test fails under ZG_REQUIRE=all
// (deploy/test.sh, CI) and is skipped, saying why, elsewhere (testgate).

// e2eNow is the simulated instant: three days before the November report
// is due, at the reminder hour.
var e2eNow = time.Date(2026, 11, 20, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// simServer is a running bot with the simulator.
type simServer struct {
	URL     string
	Bot     *bot.Bot
	Store   *store.Store
	Adapter *sim.Adapter
	Clock   *bot.FixedClock
}

// startServer starts a bot with the demo campaign applied and the handlers
// that register adds (handlers.Register when nil).
func startServer(t *testing.T, register func(*bot.Router, handlers.Deps)) *simServer {
	t.Helper()
	return startServerWith(t, register, nil)
}

// startServerWith is startServer with prepare run on the store after the
// campaign is applied and before the bot serves (nil: nothing).
func startServerWith(t *testing.T, register func(*bot.Router, handlers.Deps), prepare func(context.Context, *store.Store)) *simServer {
	t.Helper()
	ctx := context.Background()
	pool := storetest.TestSchema(ctx, t)
	st := store.New(pool)
	data, err := os.ReadFile("../../deploy/campaigns/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := handlers.ParseCampaignFile("demo.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := handlers.ApplyCampaign(ctx, st, f, store.System); err != nil {
		t.Fatal(err)
	}
	if prepare != nil {
		prepare(ctx, st)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	clock := bot.NewFixedClock(e2eNow)
	deps := handlers.Deps{Logger: log, Clock: clock}
	rt := bot.NewRouter()
	if register == nil {
		register = handlers.Register
	}
	register(rt, deps)
	b, err := bot.New(bot.Config{Store: st, Router: rt, Logger: log, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	sched := bot.NewScheduler(bot.SchedulerConfig{Bot: b, Logger: log, Planner: handlers.NewPlanner(deps)})
	ad := sim.New(st, log, sim.Options{Clock: clock, Tick: func(ctx context.Context, now time.Time) (string, error) {
		clock.Set(now)
		return sched.Tick(ctx, now) // what main's simulator runs
	}})
	b.AddAdapter(ad)
	srv := bot.NewServer("127.0.0.1:0", b)
	ln, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := srv.Serve(ln); err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	go func() {
		defer wg.Done()
		b.RunDeliveries(runCtx)
	}()
	t.Cleanup(func() {
		ad.Close()
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		if err := srv.Shutdown(sctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		cancel()
		wg.Wait()
	})
	return &simServer{URL: "http://" + ln.Addr().String(), Bot: b, Store: st, Adapter: ad, Clock: clock}
}

// browser is a headless Chromium tab that records the page's uncaught
// JavaScript exceptions and console errors.
type browser struct {
	t   *testing.T
	ctx context.Context
	// failed receives a value when the page fails.
	failed chan struct{}
	mu     sync.Mutex
	errs   []string
}

// fail records a failure of the page; it runs on chromedp's event reader.
func (br *browser) fail(msg string) {
	br.mu.Lock()
	br.errs = append(br.errs, msg)
	br.mu.Unlock()
	select {
	case br.failed <- struct{}{}:
	default:
	}
}

func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	testgate.Missing(t, "chromium is not on PATH (apt-get install chromium; deploy/test.sh installs it): the simulator's browser test needs it")
	return ""
}

func newBrowser(t *testing.T, width, height int) *browser {
	t.Helper()
	path := chromiumPath(t)
	dir, err := os.MkdirTemp("", "zg-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(dir),
		chromedp.Env("TMPDIR=" + dir), // chromium's singleton files go with the profile
		chromedp.WindowSize(width, height),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	br := &browser{t: t, failed: make(chan struct{}, 1)}
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			br.fail(fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber+1, msg))
		case *runtime.EventConsoleAPICalled:
			if e.Type == "error" {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				br.fail("console.error: " + strings.Join(parts, " "))
			}
		}
	}))
	br.ctx = ctx
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		cancel()
		acancel()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		acancel()
		_ = os.RemoveAll(dir)
		br.mu.Lock()
		defer br.mu.Unlock()
		for _, e := range br.errs {
			t.Errorf("page JavaScript failed: %s", e)
		}
	})
	return br
}

// run runs actions with a deadline, failing the test with what was being
// done.
func (br *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	br.t.Helper()
	ctx, cancel := context.WithTimeout(br.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		br.t.Fatalf("%s: %v", what, err)
	}
}

// waitFor polls a JavaScript expression until it is truthy.
func (br *browser) waitFor(what, expr string) {
	br.t.Helper()
	ctx, cancel := context.WithTimeout(br.ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[any](expr, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		dctx, dcancel := context.WithTimeout(br.ctx, 5*time.Second)
		defer dcancel()
		page, _ := chromedp.Run(dctx, chromedp.Evaluate[string](`document.querySelector("#toast").textContent + "\n" + document.querySelector("#log").innerText`))
		br.t.Fatalf("wait for %s: %v\npage (toast, log):\n%s", what, err, page)
	}
}

// try polls expr and reports whether it became truthy within d.
func (br *browser) try(expr string, d time.Duration) bool {
	ctx, cancel := context.WithTimeout(br.ctx, d+5*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[any](expr, chromedp.WithPollingTimeout(d)))
	return err == nil
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](br *browser, expr string, opts ...chromedp.EvaluateOption) T {
	br.t.Helper()
	ctx, cancel := context.WithTimeout(br.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		br.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// open loads the page as account in chat and waits until the chat is shown.
func (br *browser) open(base, account, chat string) {
	br.t.Helper()
	br.run("open "+account, chromedp.Navigate(base+"/sim/?as="+account+"&chat="+chat))
	br.waitFor("the page", `document.body.dataset.ready === "1" && !document.querySelector("#composer-input").disabled`)
	br.waitFor("the chat "+chat, fmt.Sprintf(`document.querySelector("#log").dataset.loaded === %q`, chat))
}

// say types text into the composer and sends it with the button.
func (br *browser) say(text string) {
	br.t.Helper()
	// The page disables 发送 while its last message is on its way.
	br.waitFor("the send button", `!document.querySelector("#send").disabled`)
	br.run("say "+text,
		chromedp.SendKeys(chromedp.CSS("#composer-input"), text),
		chromedp.Click(chromedp.CSS("#send")),
	)
	br.waitFor("my message "+text, fmt.Sprintf(`[...document.querySelectorAll(".msg-me .bubble")].some(b => b.textContent === %q)`, text))
}

// cardJS finds the last card whose title contains title.
func cardJS(title string) string {
	return fmt.Sprintf(`[...document.querySelectorAll("#log .card")].filter(c => c.querySelector(".card-title").textContent.includes(%q)).pop()`, title)
}

const reminderButton = `#log .card button[data-action="report.form"]`

func TestSimulatorEndToEnd(t *testing.T) {
	srv := startServer(t, nil)
	br := newBrowser(t, 1100, 900)

	// As the liaison of 灵宝 in the unit's group: a message without the
	// mention stays between people, one with it reaches the bot.
	br.open(srv.URL, "p:li-lb", "g:lingbao")
	if title := eval[string](br, `document.querySelector("#chat-title").textContent`); title != "灵宝市交通运输局" {
		t.Errorf("chat title = %q", title)
	}
	br.say("大家好，本月月报我来报")
	br.say("@整改助手 帮助")
	br.waitFor("the help card", cardJS("使用帮助")+` !== undefined`)
	if n := eval[int](br, `[...document.querySelectorAll("#log .msg-bot")].filter(m => m.textContent.includes("没有理解")).length`); n != 0 {
		t.Errorf("the bot answered a group message that did not mention it")
	}

	// The unit's ledger, by command in the group.
	br.say("@整改助手 台账")
	br.waitFor("the ledger card", cardJS("台账")+` !== undefined`)

	// The clock panel runs the 09:00 reminders of 2026-11-20: three days
	// before the report is due, the unit's group gets the reminder card.
	br.run("run the clock",
		chromedp.Click(chromedp.CSS("#clock summary")),
		chromedp.SetValue(chromedp.CSS("#clock-at"), "2026-11-20T09:00"),
		chromedp.Click(chromedp.CSS("#clock-run")),
	)
	// It says what the instant means, then what ran.
	br.waitFor("the tick's summary", `document.querySelector("#clock-out").textContent.includes("运行结果")`)
	if out := eval[string](br, `document.querySelector("#clock-out").textContent`); !strings.Contains(out, "11月20日（周五）是工作日") ||
		!strings.Contains(out, "当天发送：2026年11月月报提醒（11月23日（周一）截止，还有 3 天）") {
		t.Errorf("clock panel says %q", out)
	}
	shotTo(t, br, t.TempDir(), "clock-panel")
	br.waitFor("the monthly reminder", `document.querySelector('`+reminderButton+`') !== null`)
	t.Logf("reminder card: %s", eval[string](br, `document.querySelector('`+reminderButton+`').closest(".card").textContent`))

	// Answer it: the button opens the report form in place of the card.
	br.run("click 填报月报", chromedp.Click(chromedp.CSS(reminderButton)))
	br.waitFor("the report form in place of the reminder", `document.querySelector("#log form.card-form") !== null`)
	submitReport(t, br)
	checkDigest(t, br, srv)
}

// submitReport checks the form's required-field validation, fills it and
// submits it, and waits for the card to change.
func submitReport(t *testing.T, br *browser) {
	t.Helper()
	const form = `document.querySelector("#log form.card-form")`
	const submit = `#log form.card-form button[type=submit]`
	msgID := eval[string](br, form+`.closest(".msg").dataset.id`)

	// Submitting it empty names the missing fields and sends nothing.
	if eval[int](br, form+`.querySelectorAll('.form-field[data-required="true"]').length`) > 0 {
		br.run("submit the empty form", chromedp.Click(chromedp.CSS(submit)))
		br.waitFor("the required-field errors", form+`.querySelector(".field-error").textContent.startsWith("请填写")`)
		br.waitFor("the invalid mark", form+`.querySelector('[aria-invalid="true"]') !== null`)
	}

	// Fill every field as a user would: type into text inputs, pick the first
	// option of selects, tick the first box of multi-selects, a date.
	type field struct {
		Name string `json:"name"`
		Kind string `json:"kind"`
		ID   string `json:"id"`
	}
	fields := eval[[]field](br, `[...`+form+`.querySelectorAll(".form-field")].map(f => ({name: f.dataset.field,
		kind: f.dataset.kind, id: (f.querySelector("input, select, textarea") || {}).id || ""}))`)
	for _, f := range fields {
		sel := chromedp.CSS("#" + f.ID)
		switch f.Kind {
		case "text", "long_text":
			br.run("type "+f.Name, chromedp.SendKeys(sel, "本月完成执法案卷评查 32 卷，整改问题 5 个。"))
		case "select", "person":
			v := eval[string](br, fmt.Sprintf(`(document.querySelector("#%s").options[1] || {}).value || ""`, f.ID))
			br.run("choose "+f.Name, chromedp.SetValue(sel, v))
		case "multi_select":
			br.run("tick "+f.Name, chromedp.Click(sel))
		case "date":
			br.run("date "+f.Name, chromedp.SetValue(sel, "2026-11-30"))
		}
	}
	br.run("submit the report", chromedp.Click(chromedp.CSS(submit)))
	// The card changes in place: the form is replaced by the bot's answer,
	// or kept, disabled, as submitted.
	br.waitFor("the card to change", fmt.Sprintf(`(() => { const m = document.querySelector("#msg-%s");
		return m && (m.querySelector("form.card-form") === null || m.querySelector(".card.is-submitted") !== null); })()`, msgID))
	t.Logf("card after submit: %s", eval[string](br, fmt.Sprintf(`document.querySelector("#msg-%s .card").textContent`, msgID)))
}

// checkDigest opens the leader's 1:1 chat, asks for the digest and checks
// that it counts 灵宝's report as submitted.
func checkDigest(t *testing.T, br *browser, srv *simServer) {
	t.Helper()
	br.open(srv.URL, "p:liu-lb", "d:p:liu-lb")
	// The morning's digest may be there already: wait for the answer.
	const count = `[...document.querySelectorAll("#log .card-title")].filter(h => h.textContent.includes("摘要")).length`
	before := eval[int](br, count)
	br.say("摘要")
	br.waitFor("the digest", fmt.Sprintf("%s > %d", count, before))
	digest := eval[string](br, cardJS("摘要")+`.textContent`)
	t.Logf("digest: %s", digest)
	if !strings.Contains(digest, "月报") {
		t.Errorf("the digest does not mention the monthly report: %s", digest)
	}
	if !strings.Contains(digest, "已报 1") {
		t.Errorf("the digest does not count 灵宝's report as submitted: %s", digest)
	}
}

// TestSimulatorStreamsToOtherPages checks, at phone width, that a message
// sent from elsewhere appears in an open page of the same chat without a
// reload.
func TestSimulatorStreamsToOtherPages(t *testing.T) {
	srv := startServer(t, nil)
	br := newBrowser(t, 390, 844)
	br.open(srv.URL, "p:liu-lb", "g:lingbao")
	resp, err := http.Post(srv.URL+"/sim/api/send", "application/json",
		strings.NewReader(`{"as":"p:li-lb","chat":"g:lingbao","text":"@整改助手 帮助"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("send: %s", resp.Status)
	}
	br.waitFor("the liaison's message", `[...document.querySelectorAll("#log .msg-other")].some(m => m.textContent.includes("李晓燕"))`)
	br.waitFor("the bot's help card", cardJS("使用帮助")+` !== undefined`)
}

// TestBrowserReportsExceptions proves the guard of the browser tests: an
// exception the page does not catch is recorded, so a test that meets one
// fails.
func TestBrowserReportsExceptions(t *testing.T) {
	srv := startServer(t, nil)
	br := newBrowser(t, 800, 600)
	br.open(srv.URL, "p:li-lb", "g:lingbao")
	br.eval0(`setTimeout(() => { throw new Error("boom"); }, 0)`)
	select {
	case <-br.failed:
	case <-time.After(10 * time.Second):
		t.Fatal("the page's exception was not reported")
	}
	br.mu.Lock()
	defer br.mu.Unlock()
	if got := strings.Join(br.errs, "\n"); !strings.Contains(got, "boom") {
		t.Fatalf("recorded %q", got)
	}
	br.errs = nil // expected here: do not fail the test
}

// TestSimulatorEnterpriseRelay plays an enterprise contact and the contact
// leader in two pages: the contact writes, the leader's card offers 回复,
// the reply form is filled and sent, and the contact's page shows the answer
// without a reload.
func TestSimulatorEnterpriseRelay(t *testing.T) {
	srv := startServer(t, nil)
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
	leader.waitFor("the form to go", `document.querySelector("#log form.card-form:not(.is-submitted *)") === null`)

	contact.waitFor("the answer", fmt.Sprintf(`[...document.querySelectorAll("#log .msg-bot")].some(m => m.textContent.includes(%q))`, answer))
}
