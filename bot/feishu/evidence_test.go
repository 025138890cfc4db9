package feishu

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"zhenggai/bot"
	"zhenggai/bot/feishu/feishufake"
	"zhenggai/handlers"
	"zhenggai/store"
)

// evidenceEnv is a real bot on the demo campaign with the Feishu adapter
// on the fake Open API (feishufake), webhooks posted to its mux.
type evidenceEnv struct {
	t     *testing.T
	st    *store.Store
	b     *bot.Bot
	api   *feishufake.API
	app   feishufake.App
	mux   *http.ServeMux
	clock *bot.FixedClock
	item  *store.LedgerItem
}

// Open ids of the demo's people on the fake.
const (
	evLiaison = "ou_li"   // 李晓燕, 灵宝 liaison
	evLeader  = "ou_liu"  // 刘宝山, 灵宝 leader
	evOther   = "ou_zhou" // 周婷, 义马 liaison
)

func newEvidenceEnv(t *testing.T, fileMax int64) *evidenceEnv {
	t.Helper()
	st := setupStore(t)
	for key, id := range map[string]string{"li-lb": evLiaison, "liu-lb": evLeader, "zhou-ym": evOther} {
		p, err := st.PersonByKey(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.UpsertAccount(ctx, &store.Account{Platform: "feishu", ExternalID: id, PersonID: &p.ID}); err != nil {
			t.Fatal(err)
		}
	}
	e := &evidenceEnv{t: t, st: st, clock: bot.NewFixedClock(time.Date(2026, 11, 26, 10, 0, 0, 0, time.FixedZone("CST", 8*3600)))}
	rt := bot.NewRouter()
	handlers.Register(rt, handlers.Deps{Clock: e.clock})
	b, err := bot.New(bot.Config{Store: st, Router: rt, Clock: e.clock, FileMaxBytes: fileMax,
		SendRates: map[bot.Platform]int{bot.Feishu: 0}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	e.b = b
	e.app = feishufake.App{AppID: testAppID, VerificationToken: testToken, EncryptKey: testEncKey}
	e.api = feishufake.NewAPI(e.app, testSecret, testBotOpenID)
	srv := httptest.NewServer(e.api.Handler())
	t.Cleanup(srv.Close)
	a, err := New(Options{AppID: testAppID, AppSecret: testSecret, VerificationToken: testToken, EncryptKey: testEncKey,
		Mode: ModeWebhook, BaseURL: srv.URL, Clock: e.clock, HTTPClient: srv.Client(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	b.AddAdapter(a)
	e.mux = http.NewServeMux()
	a.Mount(e.mux, b)
	camp, err := st.CurrentCampaign(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := st.UnitByKey(ctx, camp.ID, "lingbao")
	if err != nil {
		t.Fatal(err)
	}
	e.item = &store.LedgerItem{CampaignID: camp.ID, UnitID: lb.ID, Source: "自查自纠", Category: "执法粗暴",
		Description: "执法记录仪未全程开启", DueOn: time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)}
	if err := st.CreateLedgerItem(ctx, e.item, 2026); err != nil {
		t.Fatal(err)
	}
	return e
}

// send posts a signed message from the liaison in his 1:1 chat, with
// pictures; the callback must be answered at once.
func (e *evidenceEnv) send(msgID, from, text string, images ...string) {
	e.t.Helper()
	plain := e.app.MessageEvent(feishufake.Message{MessageID: msgID, ChatID: "oc_p2p_" + from, P2P: true, SenderID: from,
		Text: text, ImageKeys: images}, e.clock.Now())
	body, h := e.app.Seal(plain, e.clock.Now())
	r := httptest.NewRequest(http.MethodPost, "/callback/feishu", bytes.NewReader(body))
	r.Header = h
	w := httptest.NewRecorder()
	e.mux.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		e.t.Fatalf("callback %s: %d %s", msgID, w.Code, w.Body)
	}
}

// deliver runs the outbox (fetch jobs included) until nothing is due.
func (e *evidenceEnv) deliver() {
	e.t.Helper()
	for {
		n, err := e.b.DeliverDue(ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// replies returns the texts the bot answered to a message.
func (e *evidenceEnv) replies(msgID string) string {
	var out []string
	for _, s := range e.api.SentTo("reply:" + msgID) {
		out = append(out, s.Content)
	}
	return strings.Join(out, "\n")
}

func (e *evidenceEnv) itemFiles() int {
	e.t.Helper()
	var n int
	if err := e.st.DB().QueryRow(ctx, `SELECT count(*) FROM progress_updates WHERE item_id = $1 AND file_id IS NOT NULL`, e.item.ID).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

var (
	pngBytes  = []byte("\x89PNG\r\n\x1a\n fake picture one")
	jpegBytes = []byte("\xff\xd8\xff\xe0 fake picture two")
)

// TestEvidenceDownloadsAfterTheCallback: a message with two pictures is
// answered at once and its pictures are downloaded by the outbox
// afterwards; one that fails twice is retried with backoff and kept, and
// both end up on the item. The liaison and the leader open them (each
// uploaded again to their 1:1 chat); another unit's liaison is refused. A
// picture Feishu no longer serves, one that
// keeps failing and one over FILE_MAX_MB are each answered in the chat by
// name, and nothing of them is stored.
func TestEvidenceDownloadsAfterTheCallback(t *testing.T) {
	e := newEvidenceEnv(t, 1<<20)
	e.api.AddResource("om_two", "img_a", feishufake.Resource{MIME: "image/png", Content: pngBytes})
	e.api.AddResource("om_two", "img_b", feishufake.Resource{MIME: "image/jpeg", Content: jpegBytes, FailFirst: 2})
	e.send("om_two", evLiaison, "进展："+e.item.Number+" 已全程开启执法记录仪", "img_a", "img_b")
	e.deliver()
	if n := e.itemFiles(); n != 0 {
		t.Fatalf("files kept before the download succeeded: %d", n)
	}
	for range 2 {
		e.clock.Advance(10 * time.Second)
		e.deliver()
	}
	if n := e.itemFiles(); n != 2 {
		t.Fatalf("files on the item after the retries: %d, want 2", n)
	}
	if got := e.replies("om_two"); !strings.Contains(got, "已记入 "+e.item.Number) {
		t.Fatalf("reply: %s", got)
	}

	// Both open the pictures from the item: they come to their 1:1 chat,
	// uploaded again; another unit's liaison is refused and gets nothing.
	var ids []string
	rows, err := e.st.DB().Query(ctx, `SELECT file_id::text FROM progress_updates WHERE item_id = $1 AND file_id IS NOT NULL ORDER BY id`, e.item.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	for i, who := range []string{evLiaison, evLeader} {
		before := len(e.api.Uploads())
		e.send(fmt.Sprintf("om_open_%d", i), who, "查看佐证 "+strings.Join(ids, " "))
		e.deliver()
		var images int
		for _, m := range e.api.SentTo(who) {
			if m.MsgType == "image" {
				images++
			}
		}
		if images != 2 || len(e.api.Uploads()) != before+2 {
			t.Fatalf("%s got %d pictures, %d uploads", who, images, len(e.api.Uploads())-before)
		}
	}
	before := len(e.api.Uploads())
	e.send("om_open_other", evOther, "查看佐证 "+ids[0])
	e.deliver()
	if got := e.replies("om_open_other"); !strings.Contains(got, "您无权查看文件") || len(e.api.Uploads()) != before || len(e.api.SentTo(evOther)) != 0 {
		t.Fatalf("another unit's liaison: %q, %d uploads", got, len(e.api.Uploads())-before)
	}

	files := func() int {
		var n int
		_ = e.st.DB().QueryRow(ctx, `SELECT count(*) FROM files`).Scan(&n)
		return n
	}
	before = files()
	e.api.AddResource("om_gone", "img_gone", feishufake.Resource{Gone: true})
	e.send("om_gone", evLiaison, "", "img_gone")
	e.deliver()
	if got := e.replies("om_gone"); !strings.Contains(got, "文件“图片”已无法从平台下载") || !strings.Contains(got, "请重新发送") {
		t.Fatalf("gone: %q", got)
	}

	e.api.AddResource("om_flaky", "img_f", feishufake.Resource{MIME: "image/png", Content: pngBytes, FailFirst: 1000})
	e.send("om_flaky", evLiaison, "", "img_f")
	for range 12 {
		e.deliver()
		e.clock.Advance(20 * time.Minute)
	}
	if got := e.replies("om_flaky"); !strings.Contains(got, "文件“图片”多次下载失败，未能保存") {
		t.Fatalf("always failing: %q", got)
	}

	e.api.AddResource("om_big", "img_big", feishufake.Resource{MIME: "image/png", Content: append(pngBytes, make([]byte, 1<<20)...)})
	e.send("om_big", evLiaison, "", "img_big")
	e.deliver()
	if got := e.replies("om_big"); !strings.Contains(got, "超过 1 MB，未保存；请压缩后重发或分多次发送") {
		t.Fatalf("oversized: %q", got)
	}
	if n := files(); n != before {
		t.Fatalf("lost files left rows: %d → %d", before, n)
	}
}
