package bot_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"zhenggai/bot"
	"zhenggai/bot/bottest"
	"zhenggai/cards"
	"zhenggai/handlers"
	"zhenggai/store"
	"zhenggai/store/storetest"
)

var now = time.Date(2026, 11, 26, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

func applyDemo(ctx context.Context, t *testing.T, st *store.Store) {
	t.Helper()
	data, err := os.ReadFile("../deploy/campaigns/demo.yaml")
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
}

// testForm is a two-field form: a select and a date.
func testForm() *cards.Card {
	return &cards.Card{Title: "测试表单", Blocks: []cards.Block{cards.FormBlock(&cards.Form{
		Name: "t",
		Fields: []cards.FormField{
			{Name: "status", Label: "状态", Kind: cards.KindSelect, Required: true,
				Options: []cards.Option{{Value: "in_progress", Label: "整改中"}, {Value: "long_term", Label: "长期推进"}}},
			{Name: "due", Label: "整改时限", Kind: cards.KindDate, Required: true},
			{Name: "note", Label: "备注", Kind: cards.KindText},
		},
		Submit: cards.Button{Text: "提交", Action: "t.submit", Params: map[string]string{"item": "7"}},
	})}}
}

type recorder struct {
	mu    sync.Mutex
	calls int
	last  *bot.Action
}

func register(rec *recorder) func(*bot.Router, bot.Clock) {
	return func(rt *bot.Router, _ bot.Clock) {
		rt.Command(func(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
			rec.mu.Lock()
			rec.calls++
			rec.mu.Unlock()
			if err := r.Store.AppendAudit(ctx, store.AuditParams{Actor: r.Actor(), Entity: "test", EntityID: "1", Action: "ping"}); err != nil {
				return nil, err
			}
			return bot.TextReply("pong"), nil
		}, "ping")
		rt.Command(func(context.Context, *bot.Request) (*bot.Reply, error) {
			return bot.CardReply(testForm()), nil
		}, "表单")
		rt.Command(func(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
			if err := r.Store.AppendAudit(ctx, store.AuditParams{Actor: r.Actor(), Entity: "test", EntityID: "1", Action: "refused"}); err != nil {
				return nil, err
			}
			r.Send(bot.Outgoing{To: bot.Target{Platform: bot.Sim, UserID: "x"}, Message: bot.Message{Text: "lost"}})
			return nil, bot.Refuse("不可以")
		}, "拒绝")
		rt.Action("t.submit", func(_ context.Context, r *bot.Request) (*bot.Reply, error) {
			rec.mu.Lock()
			rec.calls++
			rec.last = r.Event.Action
			rec.mu.Unlock()
			return &bot.Reply{Toast: "已提交"}, nil
		})
	}
}

func TestDispatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	setup := func(t *testing.T) (*bottest.Harness, *recorder) {
		t.Helper()
		st := storetest.TestStore(ctx, t)
		applyDemo(ctx, t, st)
		rec := &recorder{}
		return bottest.NewHarness(t, st, now, register(rec)), rec
	}

	t.Run("ReplyIsQueuedAndDelivered", func(t *testing.T) {
		t.Parallel()
		h, _ := setup(t)
		reply, err := h.Text("p:li-lb", "g:lingbao", "ping")
		if err != nil || reply != nil {
			t.Fatalf("got %v, %v; a message's reply is queued, not returned", reply, err)
		}
		sent := h.Deliver()
		if len(sent) != 1 || sent[0].Message.Text != "pong" || sent[0].To.ChatID != "g:lingbao" {
			t.Fatalf("sent %+v", sent)
		}
	})

	t.Run("StrangerIsToldHowToBind", func(t *testing.T) {
		t.Parallel()
		h, rec := setup(t)
		if _, err := h.Text("p:nobody", "", "ping"); err != nil {
			t.Fatal(err)
		}
		sent := h.Deliver()
		if len(sent) != 1 || !strings.Contains(sent[0].Message.Text, "绑定") || rec.calls != 0 {
			t.Fatalf("stranger: sent %+v, handler calls %d", sent, rec.calls)
		}
	})

	t.Run("RefusalRollsBackButKeepsDedupe", func(t *testing.T) {
		t.Parallel()
		h, _ := setup(t)
		if _, err := h.Text("p:li-lb", "", "拒绝"); err != nil {
			t.Fatal(err)
		}
		sent := h.Deliver()
		if len(sent) != 1 || sent[0].Message.Text != "不可以" {
			t.Fatalf("sent %+v", sent)
		}
		entries, _ := h.Store.AuditEntries(ctx, "test", "1")
		if len(entries) != 0 {
			t.Fatalf("refused handler's audit row survived: %+v", entries)
		}
	})

	t.Run("DuplicateIsDroppedInOneTransaction", func(t *testing.T) {
		t.Parallel()
		h, rec := setup(t)
		ev := &bot.Event{ID: "dup-1", Kind: bot.KindMessage, Platform: bot.Sim, Chat: bot.Chat{ID: "d:p:li-lb", Kind: bot.Direct},
			Sender: bot.User{ID: "p:li-lb"}, Text: "ping", At: now}
		for range 3 {
			if _, err := h.Bot.Dispatch(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		if rec.calls != 1 || len(h.Deliver()) != 1 {
			t.Fatalf("handler ran %d times", rec.calls)
		}
	})

	t.Run("FormBecomesDialogWithoutFormInputs", func(t *testing.T) {
		t.Parallel()
		h, rec := setup(t)
		h.Adapter.NoForms = true
		steps := []struct{ text, want string }{
			{"表单", "（1/3）请回复“状态”"},
			{"3", "不是有效的选项"},
			{"2", "（2/3）请回复“整改时限”"},
			{"明天", "日期格式不对"},
			{"2026年12月5日", "（3/3）请回复“备注”"},
			{"跳过", "已提交"},
		}
		for _, s := range steps {
			if _, err := h.Text("p:li-lb", "", s.text); err != nil {
				t.Fatal(err)
			}
			sent := h.Deliver()
			if len(sent) != 1 || !strings.Contains(sent[0].Message.Text, s.want) {
				t.Fatalf("after %q: sent %+v, want %q", s.text, sent, s.want)
			}
		}
		if rec.calls != 1 || rec.last.Params["item"] != "7" || rec.last.Form.Get("status") != "long_term" || rec.last.Form.Get("due") != "2026-12-05" {
			t.Fatalf("submit got %+v", rec.last)
		}
	})

	t.Run("DialogCancel", func(t *testing.T) {
		t.Parallel()
		h, rec := setup(t)
		h.Adapter.NoForms = true
		_, _ = h.Text("p:li-lb", "", "表单")
		_, _ = h.Text("p:li-lb", "", "取消")
		sent := h.Deliver()
		if !strings.Contains(sent[len(sent)-1].Message.Text, "已取消") {
			t.Fatalf("sent %+v", sent)
		}
		_, _ = h.Text("p:li-lb", "", "1")
		if rec.calls != 0 {
			t.Fatal("cancelled dialog still answered")
		}
	})

	t.Run("DialogExpires", func(t *testing.T) {
		t.Parallel()
		h, rec := setup(t)
		h.Adapter.NoForms = true
		_, _ = h.Text("p:li-lb", "", "表单")
		h.Deliver()
		h.Clock.Advance(31 * time.Minute)
		if _, err := h.Text("p:li-lb", "", "ping"); err != nil {
			t.Fatal(err)
		}
		sent := h.Deliver()
		if len(sent) != 1 || sent[0].Message.Text != "pong" || rec.calls != 1 {
			t.Fatalf("expired dialog still captured the message: %+v", sent)
		}
		var n int
		_ = h.Store.DB().QueryRow(ctx, `SELECT count(*) FROM dialogs`).Scan(&n)
		if n != 0 {
			t.Fatalf("%d dialogs left", n)
		}
	})
}

func TestBindingCodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	setup := func(t *testing.T) *bottest.Harness {
		st := storetest.TestStore(ctx, t)
		applyDemo(ctx, t, st)
		return bottest.NewHarness(t, st, now, func(rt *bot.Router, c bot.Clock) { handlers.Register(rt, handlers.Deps{Clock: c}) })
	}
	last := func(h *bottest.Harness) string {
		sent := h.Deliver()
		if len(sent) == 0 {
			t.Fatal("nothing sent")
		}
		return sent[len(sent)-1].Message.Text
	}

	t.Run("SingleUse", func(t *testing.T) {
		t.Parallel()
		h := setup(t)
		code, _, err := handlers.IssueBindCode(ctx, h.Store, "li-lb", "", "", now.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = h.Text("ou_new", "", "绑定 "+strings.ToLower(code.Code))
		if msg := last(h); !strings.Contains(msg, "绑定成功：李晓燕") {
			t.Fatalf("got %q", msg)
		}
		acc, err := h.Store.AccountByExternal(ctx, "sim", "ou_new")
		if err != nil || acc.PersonID == nil {
			t.Fatalf("account not bound: %+v, %v", acc, err)
		}
		_, _ = h.Text("ou_other", "", "绑定 "+code.Code)
		if msg := last(h); !strings.Contains(msg, "已被使用") {
			t.Fatalf("second use: %q", msg)
		}
		if _, err := h.Store.AccountByExternal(ctx, "sim", "ou_other"); err == nil {
			t.Fatal("a used code bound a second account")
		}
	})

	t.Run("Expired", func(t *testing.T) {
		t.Parallel()
		h := setup(t)
		code, _, err := handlers.IssueBindCode(ctx, h.Store, "", "smx-yunshu", "张伟", now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		h.Clock.Advance(2 * time.Hour)
		_, _ = h.Text("wx_1", "", "绑定 "+code.Code)
		if msg := last(h); !strings.Contains(msg, "已过期") {
			t.Fatalf("got %q", msg)
		}
		_, _ = h.Text("wx_1", "", "绑定 NOPE2345")
		if msg := last(h); !strings.Contains(msg, "不存在") {
			t.Fatalf("got %q", msg)
		}
	})
}

// TestConcurrentDuplicates sends the same event from two goroutines at once:
// one transaction wins, the other sees the committed dedupe row.
func TestConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := storetest.TestSchema(ctx, t)
	st := store.New(pool)
	applyDemo(ctx, t, st)
	var calls atomic.Int32
	release := make(chan struct{})
	h := bottest.NewHarness(t, st, now, func(rt *bot.Router, _ bot.Clock) {
		rt.Command(func(context.Context, *bot.Request) (*bot.Reply, error) {
			calls.Add(1)
			<-release // hold the transaction open while the twin arrives
			return bot.TextReply("ok"), nil
		}, "慢")
	})
	for round := range 5 {
		ev := bot.Event{ID: "race-" + string(rune('a'+round)), Kind: bot.KindMessage, Platform: bot.Sim,
			Chat: bot.Chat{ID: "d:p:li-lb", Kind: bot.Direct}, Sender: bot.User{ID: "p:li-lb"}, Text: "慢", At: now}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e := ev
				_, errs[i] = h.Bot.Dispatch(ctx, &e)
			}()
		}
		time.AfterFunc(50*time.Millisecond, func() { close(release) })
		wg.Wait()
		release = make(chan struct{})
		if errs[0] != nil || errs[1] != nil {
			t.Fatal(errs)
		}
	}
	if calls.Load() != 5 {
		t.Fatalf("handler ran %d times for 5 events sent twice each", calls.Load())
	}
	var n int
	_ = pool.QueryRow(ctx, `SELECT count(*) FROM deliveries`).Scan(&n)
	if n != 5 {
		t.Fatalf("%d replies queued instead of 5", n)
	}
}
