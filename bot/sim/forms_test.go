package sim_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/handlers"
)

// formBot is a tiny set of handlers that exercises every form field kind,
// confirmations, toasts and in-place card updates in the simulator,
// independent of what the product's handlers offer.
type formBot struct {
	mu        sync.Mutex
	submitted []cards.Values
	confirmed int
}

func (fb *formBot) register(rt *bot.Router, _ handlers.Deps) {
	rt.PublicCommand(func(context.Context, *bot.Request) (*bot.Reply, error) {
		return bot.CardReply(&cards.Card{Title: "表单测试", Blocks: []cards.Block{
			cards.MD("点击下面的按钮"),
			cards.ButtonsBlock(
				cards.Button{Text: "打开表单", Action: "t.form", Params: map[string]string{"case": "full"}, Style: cards.StylePrimary},
				cards.Button{Text: "需确认", Action: "t.confirm", Confirm: "确定要这样做吗？"},
				cards.Button{Text: "只提示", Action: "t.form", Params: map[string]string{"case": "toast"}},
			),
		}}), nil
	}, "表单")
	rt.PublicCommand(func(_ context.Context, r *bot.Request) (*bot.Reply, error) {
		var names []string
		for _, f := range r.Event.Files {
			names = append(names, fmt.Sprintf("%s（%s，%d 字节）", f.Name, f.MIME, len(f.Content)))
		}
		return bot.TextReply("收到 %d 个附件：%s", len(r.Event.Files), strings.Join(names, "、")), nil
	}, "附件")
	rt.Action("t.form", func(_ context.Context, r *bot.Request) (*bot.Reply, error) {
		c := r.Event.Action.Params["case"]
		f := &cards.Form{Name: "t", Submit: cards.Button{Text: "提交", Action: "t.submit", Params: map[string]string{"case": c, "v": "3"}}}
		if c == "toast" {
			f.Fields = []cards.FormField{{Name: "note", Label: "备注", Kind: cards.KindText}}
		} else {
			f.Fields = []cards.FormField{
				{Name: "title", Label: "标题", Kind: cards.KindText, Required: true, MaxLen: 20},
				{Name: "body", Label: "内容", Kind: cards.KindLongText, Required: true},
				{Name: "status", Label: "状态", Kind: cards.KindSelect, Required: true,
					Options: []cards.Option{{Value: "in_progress", Label: "整改中"}, {Value: "long_term", Label: "长期推进"}}},
				{Name: "cats", Label: "类别", Kind: cards.KindMultiSelect,
					Options: []cards.Option{{Value: "a", Label: "甲"}, {Value: "b", Label: "乙"}, {Value: "c", Label: "丙"}}},
				{Name: "due", Label: "整改时限", Kind: cards.KindDate, Required: true},
				{Name: "who", Label: "责任人", Kind: cards.KindPerson,
					Options: []cards.Option{{Value: "li-lb", Label: "李晓燕"}, {Value: "liu-lb", Label: "刘宝山"}}},
			}
		}
		return bot.CardReply(&cards.Card{Title: "填写表单", Tone: cards.ToneWarning, Blocks: []cards.Block{cards.FormBlock(f)}}), nil
	})
	rt.Action("t.submit", func(_ context.Context, r *bot.Request) (*bot.Reply, error) {
		fb.mu.Lock()
		fb.submitted = append(fb.submitted, r.Event.Action.Form)
		fb.mu.Unlock()
		if r.Event.Action.Params["case"] == "toast" {
			return &bot.Reply{Toast: "已记录", ToastKind: "success"}, nil
		}
		v := r.Event.Action.Form
		return &bot.Reply{Toast: "提交成功", ToastKind: "success", Card: &cards.Card{Title: "已提交：" + v.Get("title"), Tone: cards.ToneSuccess,
			Blocks: []cards.Block{cards.FieldsBlock(
				cards.Field{Label: "状态", Value: v.Get("status")},
				cards.Field{Label: "类别", Value: strings.Join(v["cats"], ",")},
			)}}}, nil
	})
	rt.Action("t.confirm", func(context.Context, *bot.Request) (*bot.Reply, error) {
		fb.mu.Lock()
		fb.confirmed++
		fb.mu.Unlock()
		return &bot.Reply{Toast: "已确认", ToastKind: "info"}, nil
	})
}

func (fb *formBot) submissions() []cards.Values {
	fb.mu.Lock()
	defer fb.mu.Unlock()
	return slices.Clone(fb.submitted)
}

// TestSimulatorForms fills and submits a form with all six field kinds in
// the browser: required fields are checked before anything is sent, the
// values reach the handler as typed, the card is replaced in place, and a
// form answered with a toast only stays disabled as submitted.
func TestSimulatorForms(t *testing.T) {
	fb := &formBot{}
	srv := startServer(t, fb.register)
	br := newBrowser(t, 390, 844) // phone width
	br.open(srv.URL, "p:li-lb", "d:p:li-lb")
	br.say("表单")
	br.waitFor("the test card", cardJS("表单测试")+` !== undefined`)
	msgID := eval[string](br, cardJS("表单测试")+`.closest(".msg").dataset.id`)

	// A button with a confirmation asks first; cancel does nothing, OK acts.
	br.run("click 需确认", chromedp.Click(chromedp.CSS(`#log button[data-action="t.confirm"]`)))
	br.waitFor("the confirmation", `document.querySelector("#confirm").open`)
	br.run("cancel", chromedp.Click(chromedp.CSS(`#confirm button[value="cancel"]`)))
	br.run("click 需确认 again", chromedp.Click(chromedp.CSS(`#log button[data-action="t.confirm"]`)))
	br.waitFor("the confirmation", `document.querySelector("#confirm").open`)
	br.run("confirm", chromedp.Click(chromedp.CSS(`#confirm button[value="ok"]`)))
	br.waitFor("the toast", `document.querySelector("#toast").textContent === "已确认"`)
	fb.mu.Lock()
	confirmed := fb.confirmed
	fb.mu.Unlock()
	if confirmed != 1 {
		t.Errorf("confirmed %d times, want 1", confirmed)
	}

	// The button replaces the card by the form, in the same message.
	br.run("open the form", chromedp.Click(chromedp.CSS(`#log button[data-action="t.form"]`)))
	br.waitFor("the form in place", fmt.Sprintf(`document.querySelector("#msg-%s form.card-form") !== null`, msgID))
	if tone := eval[bool](br, fmt.Sprintf(`document.querySelector("#msg-%s .card").classList.contains("card-tone-warning")`, msgID)); !tone {
		t.Error("the form card has not the warning tone")
	}

	// Empty: the four required fields are named, nothing is sent.
	br.run("submit empty", chromedp.Click(chromedp.CSS(`#log form.card-form button[type=submit]`)))
	br.waitFor("errors", `[...document.querySelectorAll("#log .field-error")].filter(e => e.textContent.startsWith("请填写")).length === 4`)
	if n := len(fb.submissions()); n != 0 {
		t.Fatalf("an incomplete form reached the handler (%d submissions)", n)
	}

	// Fill every kind and submit.
	field := func(name, sel string) chromedp.CSS {
		return chromedp.CSS(fmt.Sprintf(`#log .form-field[data-field=%q] %s`, name, sel))
	}
	br.run("fill the form",
		chromedp.SendKeys(field("title", "input"), "灵宝执法案卷评查"),
		chromedp.SendKeys(field("body", "textarea"), "第一行\n第二行"),
		chromedp.SetValue(field("status", "select"), "long_term"),
		chromedp.Click(field("cats", `input[value="a"]`)),
		chromedp.Click(field("cats", `input[value="c"]`)),
		chromedp.SetValue(field("due", "input"), "2026-12-31"),
		chromedp.SetValue(field("who", "select"), "liu-lb"),
		chromedp.Click(chromedp.CSS(`#log form.card-form button[type=submit]`)),
	)
	br.waitFor("the replaced card", fmt.Sprintf(`(document.querySelector("#msg-%s .card-title") || {}).textContent === "已提交：灵宝执法案卷评查"`, msgID))
	br.waitFor("the success toast", `document.querySelector("#toast").textContent === "提交成功"`)
	subs := fb.submissions()
	if len(subs) != 1 {
		t.Fatalf("submissions = %d, want 1", len(subs))
	}
	want := cards.Values{"title": {"灵宝执法案卷评查"}, "body": {"第一行\n第二行"}, "status": {"long_term"},
		"cats": {"a", "c"}, "due": {"2026-12-31"}, "who": {"liu-lb"}}
	for k, v := range want {
		if !slices.Equal(subs[0][k], v) {
			t.Errorf("form value %s = %q, want %q", k, subs[0][k], v)
		}
	}
	if n := eval[int](br, `document.querySelectorAll("#log .msg").length`); n != 2 {
		t.Errorf("%d messages in the chat, want 2 (the card was updated in place)", n)
	}

	// A form answered by a toast alone stays, disabled, marked submitted,
	// also after a reload.
	br.say("表单")
	br.waitFor("a second test card", `document.querySelectorAll('#log button[data-action="t.form"]').length === 2`)
	br.run("open the toast form", chromedp.Click(chromedp.CSS(`#log .msg:last-child button[data-action="t.form"][data-params*="toast"]`)))
	br.waitFor("the toast form", `document.querySelector("#log .msg:last-child form.card-form") !== null`)
	br.run("submit it", chromedp.Click(chromedp.CSS(`#log .msg:last-child form.card-form button[type=submit]`)))
	br.waitFor("the disabled form", `document.querySelector("#log .msg:last-child .card.is-submitted button[type=submit]:disabled") !== null`)
	br.open(srv.URL, "p:li-lb", "d:p:li-lb")
	br.waitFor("the disabled form after a reload", `document.querySelector("#log .msg:last-child .card.is-submitted") !== null`)
	if n := len(fb.submissions()); n != 2 {
		t.Errorf("submissions = %d, want 2", n)
	}
}

// TestSimulatorFileUpload attaches a file in the page: it shows in the chat,
// reaches the bot as Event.Files and can be downloaded back.
func TestSimulatorFileUpload(t *testing.T) {
	fb := &formBot{}
	srv := startServer(t, fb.register)
	file := filepath.Join(t.TempDir(), "整改佐证.txt")
	if err := os.WriteFile(file, []byte("执法案卷评查记录"), 0o644); err != nil {
		t.Fatal(err)
	}
	br := newBrowser(t, 1000, 800)
	br.open(srv.URL, "p:li-lb", "d:p:li-lb")
	br.run("attach", chromedp.SendKeys(chromedp.CSS("#composer-input"), "附件"),
		chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{file}))
	br.waitFor("the file in the chat", `[...document.querySelectorAll("#log .msg-me .file a")].some(a => a.textContent.includes("整改佐证.txt"))`)
	br.waitFor("the bot's answer", `[...document.querySelectorAll("#log .msg-bot .bubble")].some(b =>
		b.textContent === "收到 1 个附件：整改佐证.txt（text/plain，24 字节）")`)
	got := eval[string](br, `fetch(document.querySelector("#log .msg-me .file a").href).then(r => r.text())`, chromedp.EvalAwaitPromise)
	if got != "执法案卷评查记录" {
		t.Errorf("downloaded %q", got)
	}
}
