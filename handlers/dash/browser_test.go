package dash_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"zhenggai/bot"
	"zhenggai/deploy/demo"
	"zhenggai/deploy/testgate"
	"zhenggai/handlers"
	"zhenggai/handlers/dash"
	"zhenggai/store"
	"zhenggai/store/storetest"
)

// dashNow is the demo's "now": its history is played up to it.
var dashNow = time.Date(2026, 12, 6, 10, 0, 0, 0, time.FixedZone("CST", 8*3600)) // the demo's own test plays to this day

// dashServer is the dashboard over the demo campaign with its history.
type dashServer struct {
	URL   string
	Store *store.Store
}

// startDash applies the demo campaign, plays its history (demo.Load) into
// a fresh schema, and serves the dashboard on the bot's mux.
func startDash(t *testing.T) *dashServer {
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
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := demo.Load(ctx, st, dashNow, quiet); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	dash.New(dash.Config{Store: st, Clock: bot.NewFixedClock(dashNow), Logger: quiet, BaseURL: "http://127.0.0.1"}).Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &dashServer{URL: srv.URL, Store: st}
}

// link issues a login link for person, as 看板 does.
func (s *dashServer) link(t *testing.T, person string) string {
	t.Helper()
	l, _, err := handlers.DashboardLinkFor(context.Background(), s.Store, person, s.URL, dashNow)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// addPhoto puts a photo on an item's progress, as a liaison's 进展 with a
// picture does.
func (s *dashServer) addPhoto(t *testing.T, number string) {
	t.Helper()
	ctx := context.Background()
	c, err := s.Store.CurrentCampaign(ctx)
	if err != nil {
		t.Fatal(err)
	}
	it, err := s.Store.LedgerItemByNumber(ctx, c.ID, number)
	if err != nil {
		t.Fatal(err)
	}
	f := &store.StoredFile{Name: "整改现场.jpg", Content: []byte("\xff\xd8\xff\xe0 dashboard photo")}
	if err := s.Store.SaveFile(ctx, f); err != nil {
		t.Fatal(err)
	}
	p, err := s.Store.PersonByKey(ctx, "li-lb")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Store.AddProgress(ctx, &store.ProgressUpdate{ItemID: it.ID, Text: "已整改，附现场照片", Status: it.Status,
		FileID: &f.ID, PersonID: &p.ID, Platform: "sim", Account: "p:li-lb"}); err != nil {
		t.Fatal(err)
	}
}

// tab is a headless Chromium tab.
type tab struct {
	t   *testing.T
	ctx context.Context
	dir string // downloads
}

func newTab(t *testing.T, width, height int) *tab {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		testgate.Missing(t, "chromium is not on PATH (apt-get install chromium; deploy/test.sh installs it): the dashboard's browser test needs it")
	}
	dir := t.TempDir()
	actx, acancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true), chromedp.Flag("disable-background-networking", true), chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("lang", "zh-CN"), chromedp.UserDataDir(filepath.Join(dir, "profile")), chromedp.Env("TMPDIR="+dir),
		chromedp.WindowSize(width, height))
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); acancel() })
	tb := &tab{t: t, ctx: ctx, dir: filepath.Join(dir, "downloads")}
	// The first run starts the browser: on the tab's own context, which
	// the browser lives as long as.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: tb.dir}); err != nil {
		t.Fatal(err)
	}
	return tb
}

func (tb *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.t.Fatalf("%s: %v", what, err)
	}
}

// text returns the text of the first element matching sel.
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		tb.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// js evaluates an expression (DevTools evaluates it past the page's CSP,
// which allows no script of the page's own).
func js[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript expression until it is truthy.
func (tb *tab) waitFor(what, expr string) {
	tb.t.Helper()
	// A poll that a navigation interrupts is started again on the new page.
	var err error
	for range 10 {
		ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
		_, err = chromedp.Run(ctx, chromedp.Poll[any](expr, chromedp.WithPollingTimeout(25*time.Second)))
		cancel()
		if err == nil || !strings.Contains(err.Error(), "navigated") && !strings.Contains(err.Error(), "context with specified id") {
			break
		}
	}
	if err != nil {
		tb.t.Fatalf("wait for %s: %v", what, err)
	}
}

// open navigates to url and waits for the body.
func (tb *tab) open(url string) {
	tb.t.Helper()
	tb.do("open "+url, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body")))
}

// shot saves a screenshot when ZG_SCREENSHOT_DIR is set.
func (tb *tab) shot(name string) {
	tb.t.Helper()
	d := os.Getenv("ZG_SCREENSHOT_DIR")
	if d == "" {
		return
	}
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		tb.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(d, name+".png"), png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

// download waits for a file to land in the downloads folder.
func (tb *tab) download(suffix string) string {
	tb.t.Helper()
	for range 200 {
		entries, _ := os.ReadDir(tb.dir)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), suffix) {
				return filepath.Join(tb.dir, e.Name())
			}
		}
		time.Sleep(50 * time.Millisecond) // a browser's download has no event to wait on here
	}
	tb.t.Fatalf("no %s downloaded", suffix)
	return ""
}

// TestDashboardBrowser: the office logs in through a link, sees the
// overview with the demo's units and lights, filters 灵宝's ledger, opens an
// item with its history and evidence, downloads the file and the export,
// and logs out; the same link a second time is refused; a liaison's
// session gets 403 and nothing else on another unit's page. A leader's
// phone-width overview shows only his unit.
func TestDashboardBrowser(t *testing.T) {
	srv := startDash(t)
	srv.addPhoto(t, "LB-2026-001")
	office := newTab(t, 1280, 900)

	link := srv.link(t, "lu-xm")
	office.open(link)
	if got := js[string](office, `location.pathname`); got != "/dash/" {
		t.Fatalf("after login at %s", got)
	}
	units := office.text("#units")
	for _, name := range []string{"灵宝市交通运输局", "义马市交通运输局", "卢氏县交通运输局", "市交通运输综合行政执法支队"} {
		if !strings.Contains(units, name) {
			t.Errorf("overview lacks %s:\n%s", name, units)
		}
	}
	if n := js[int](office, `document.querySelectorAll("#units .light").length`); n < 4 {
		t.Errorf("%d lights on the overview", n)
	}
	if !strings.Contains(units, "红灯") && !strings.Contains(units, "黄灯") && !strings.Contains(units, "绿灯") {
		t.Errorf("no light named:\n%s", units)
	}
	if n := js[int](office, `document.querySelectorAll("svg.chart rect").length`); n == 0 {
		t.Error("no chart bars")
	}
	office.shot("dash-office-overview")

	// 灵宝's ledger, filtered to open items of one 类别.
	office.do("open 灵宝", chromedp.Click(chromedp.CSS(`a[href="/dash/unit/lingbao"]`)), chromedp.WaitReady(chromedp.CSS("#ledger")))
	all := js[int](office, `document.querySelectorAll("#ledger tbody tr a").length`)
	category := js[string](office, `document.querySelector("select[name=category] option:nth-child(2)").value`)
	office.do("filter", chromedp.SetValue(chromedp.CSS(`select[name=state]`), "open"),
		chromedp.SetValue(chromedp.CSS(`select[name=category]`), category),
		chromedp.Click(chromedp.CSS("#apply")))
	office.waitFor("the filtered ledger", `location.search.includes("state=open") && document.readyState === "complete" && !!document.querySelector("#ledger")`)
	if q := js[string](office, `location.search`); !strings.Contains(q, "state=open") {
		t.Errorf("filter not applied: %s", q)
	}
	cats := js[[]string](office, `[...document.querySelectorAll("#ledger tbody tr")].filter(r => r.cells.length > 2).map(r => r.cells[1].textContent)`)
	for _, c := range cats {
		if c != category {
			t.Errorf("filtered to %s, row of %s", category, c)
		}
	}
	if len(cats) > all {
		t.Errorf("the filter shows %d of %d", len(cats), all)
	}
	office.shot("dash-office-ledger")

	// The item, its history and its evidence.
	office.open(srv.URL + "/dash/item/LB-2026-001")
	progress := office.text("#progress")
	if !strings.Contains(progress, "已整改，附现场照片") || !strings.Contains(progress, "李晓燕") {
		t.Errorf("progress:\n%s", progress)
	}
	if ev := office.text("#evidence"); !strings.Contains(ev, "整改现场.jpg") {
		t.Errorf("evidence:\n%s", ev)
	}
	if audit := office.text("#audit"); !strings.Contains(audit, "登记") {
		t.Errorf("audit rows:\n%s", audit)
	}
	office.shot("dash-office-item")
	office.do("download the photo", chromedp.Click(chromedp.CSS(`#evidence a`)))
	if b, err := os.ReadFile(office.download(".jpg")); err != nil || !strings.Contains(string(b), "dashboard photo") {
		t.Errorf("photo: %q %v", b, err)
	}
	var opened int
	if err := srv.Store.DB().QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE entity = 'file' AND action = 'open'`).Scan(&opened); err != nil || opened != 1 {
		t.Errorf("file openings audited: %d %v", opened, err)
	}

	// The export is the CLI's workbook.
	office.open(srv.URL + "/dash/unit/lingbao")
	office.do("export", chromedp.Click(chromedp.CSS("#export")))
	x, err := excelize.OpenFile(office.download(".xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.GetRows(x.GetSheetName(0))
	if err != nil || len(rows) < 2 || !strings.Contains(strings.Join(rows[len(rows)-1], " ")+strings.Join(rows[1], " "), "LB-2026-") {
		t.Errorf("export rows: %v %v", rows, err)
	}
	x.Close()

	// Log out: the session ends.
	office.do("log out", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitReady(chromedp.CSS("#message")))
	office.open(srv.URL + "/dash/")
	if msg := office.text("#message"); !strings.Contains(msg, "发送“看板”") {
		t.Errorf("after logout: %s", msg)
	}
	if n := js[int](office, `document.querySelectorAll("table").length`); n != 0 {
		t.Error("a table shown without a session")
	}

	// The same link again.
	office.open(link)
	if msg := office.text("#message"); !strings.Contains(msg, "已使用或已过期") {
		t.Errorf("second use: %s", msg)
	}
	office.open(srv.URL + "/dash/")
	if n := js[int](office, `document.querySelectorAll("#units").length`); n != 0 {
		t.Error("the second use opened a session")
	}

	// A liaison: his unit, not another's.
	liaison := newTab(t, 390, 844)
	liaison.open(srv.link(t, "li-lb"))
	if got := liaison.text("#units"); !strings.Contains(got, "灵宝市交通运输局") || strings.Contains(got, "义马市交通运输局") {
		t.Errorf("liaison's overview:\n%s", got)
	}
	liaison.shot("dash-liaison-overview-phone")
	liaison.open(srv.URL + "/dash/unit/lingbao")
	liaison.shot("dash-liaison-ledger-phone")
	resp := js[string](liaison, `document.title`)
	if !strings.Contains(resp, "灵宝") {
		t.Errorf("liaison's own ledger: %s", resp)
	}
	liaison.open(srv.URL + "/dash/unit/yima")
	if msg := liaison.text("#message"); !strings.Contains(msg, "无权查看") {
		t.Errorf("another unit: %s", msg)
	}
	if body := js[string](liaison, `document.body.innerText`); strings.Contains(body, "义马") || strings.Contains(body, "YM-2026") {
		t.Errorf("403 page shows the unit:\n%s", body)
	}

	// A leader at phone width.
	leader := newTab(t, 390, 844)
	leader.open(srv.link(t, "sun-ym"))
	if got := leader.text("#units"); !strings.Contains(got, "义马市交通运输局") || strings.Contains(got, "灵宝市交通运输局") {
		t.Errorf("leader's overview:\n%s", got)
	}
	leader.shot("dash-leader-overview-phone")
	leader.open(srv.URL + "/dash/requests")
	leader.shot("dash-leader-requests-phone")
}
