package cards

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestWeComKeyRoundTrip(t *testing.T) {
	key, err := WeComKey(WeComKeyButton, 3, "ledger.close", map[string]string{"item": "42", "v": "3", "note": "a|b?c=d&e 中"})
	if err != nil {
		t.Fatal(err)
	}
	kind, action, params, err := ParseWeComKey(key)
	if err != nil || kind != WeComKeyButton || action != "ledger.close" || params["item"] != "42" || params["note"] != "a|b?c=d&e 中" {
		t.Fatalf("got %c %q %v %v from %q", kind, action, params, err, key)
	}
	for _, bad := range []string{"", "done", "x1|a", "b|a", "bz|a", "b1|"} {
		if _, _, _, err := ParseWeComKey(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseWeComKey(%q) = %v, want ErrInvalid", bad, err)
		}
	}
	if _, err := WeComKey(WeComKeyButton, 0, "a", map[string]string{"x": strings.Repeat("y", 1100)}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("long key: %v", err)
	}
}

func TestRenderWeCom(t *testing.T) {
	opts := WeComOptions{TaskID: "zg-1-abc"}
	t.Run("Buttons", func(t *testing.T) {
		c := &Card{Title: "问题#42 整改提醒", Subtitle: "期限 2026-12-01", Tone: ToneWarning, Blocks: []Block{
			MD("**问题**：消防通道堵塞"),
			FieldsBlock(Field{Label: "责任领导", Value: "李四"}, Field{Label: "状态", Value: "整改中"}),
			ButtonsBlock(Button{Text: "已完成", Action: "item.done", Params: map[string]string{"item": "42"}, Style: StylePrimary},
				Button{Text: "申请延期", Action: "item.extend", Params: map[string]string{"item": "42"}},
				Button{Text: "查看", URL: "https://example.gov/42"}),
		}}
		w, err := RenderWeCom(c, opts)
		if err != nil {
			t.Fatal(err)
		}
		tc := w.Template
		if !w.Interactive() || tc.CardType != WeComButtonInteraction || len(tc.ButtonList) != 3 || tc.TaskID != "zg-1-abc" {
			t.Fatalf("%+v", tc)
		}
		if tc.SubTitleText != "问题：消防通道堵塞" || len(tc.HorizontalContentList) != 2 || tc.ButtonList[2].Type != 1 {
			t.Fatalf("%+v", tc)
		}
		_, action, params, err := ParseWeComKey(tc.ButtonList[1].Key)
		if err != nil || action != "item.extend" || params["item"] != "42" {
			t.Fatalf("key %q: %v %v %v", tc.ButtonList[1].Key, action, params, err)
		}
		if tc.ButtonList[0].Key == tc.ButtonList[1].Key {
			t.Fatal("keys not unique")
		}
		if !strings.Contains(w.Markdown, "问题#42") || !strings.Contains(w.Markdown, "[查看](https://example.gov/42)") {
			t.Fatalf("markdown %q", w.Markdown)
		}
	})
	t.Run("Selects", func(t *testing.T) {
		c := &Card{Title: "进度填报", Blocks: []Block{FormBlock(&Form{Name: "p", Fields: []FormField{
			{Name: "status", Label: "状态", Kind: KindSelect, Default: "open", Options: []Option{{"open", "未整改"}, {"doing", "整改中"}}},
			{Name: "who", Label: "责任人", Kind: KindPerson, Options: []Option{{"p1", "张三"}}},
		}, Submit: Button{Text: "提交", Action: "item.progress", Params: map[string]string{"item": "7"}}})}}
		w, err := RenderWeCom(c, opts)
		if err != nil {
			t.Fatal(err)
		}
		tc := w.Template
		if tc.CardType != WeComMultipleInteraction || len(tc.SelectList) != 2 || tc.SelectList[0].SelectedID != "open" || tc.SubmitButton == nil {
			t.Fatalf("%+v", tc)
		}
		kind, action, params, _ := ParseWeComKey(tc.SubmitButton.Key)
		if kind != WeComKeySubmit || action != "item.progress" || params["item"] != "7" {
			t.Fatalf("submit key %q", tc.SubmitButton.Key)
		}
	})
	t.Run("Vote", func(t *testing.T) {
		c := &Card{Title: "选择单位", Blocks: []Block{FormBlock(&Form{Name: "u", Fields: []FormField{
			{Name: "units", Label: "单位", Kind: KindMultiSelect, Default: "a,c", Options: []Option{{"a", "A"}, {"b", "B"}, {"c", "C"}}},
		}, Submit: Button{Text: "确定", Action: "units.pick"}})}}
		w, err := RenderWeCom(c, opts)
		if err != nil {
			t.Fatal(err)
		}
		cb := w.Template.Checkbox
		if w.Template.CardType != WeComVoteInteraction || cb == nil || cb.Mode != 1 || !cb.OptionList[0].IsChecked || cb.OptionList[1].IsChecked {
			t.Fatalf("%+v", w.Template)
		}
	})
	t.Run("TextFormBecomesButton", func(t *testing.T) {
		c := &Card{Title: "新增问题", Blocks: []Block{FormBlock(&Form{Name: "n", Fields: []FormField{
			{Name: "desc", Label: "问题描述", Kind: KindLongText, Required: true},
		}, Submit: Button{Text: "填写", Action: "item.new", Params: map[string]string{"unit": "lingbao"}}})}}
		w, err := RenderWeCom(c, opts)
		if err != nil {
			t.Fatal(err)
		}
		tc := w.Template
		if tc.CardType != WeComButtonInteraction || len(tc.ButtonList) != 1 || !strings.Contains(tc.SubTitleText, "逐项回复") {
			t.Fatalf("%+v", tc)
		}
		kind, action, _, _ := ParseWeComKey(tc.ButtonList[0].Key)
		if kind != WeComKeyForm || action != "item.new" {
			t.Fatalf("key %q", tc.ButtonList[0].Key)
		}
		if err := c.CheckLimits(WeComLimits, nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ReadOnly", func(t *testing.T) {
		c := &Card{Title: "每日摘要", Blocks: []Block{MD("今日无到期事项"), TableBlock(&Table{Columns: []string{"单位", "逾期"}, Rows: [][]string{{"灵宝", "2"}}})}}
		w, err := RenderWeCom(c, WeComOptions{})
		if err != nil || w.Template != nil || w.Interactive() {
			t.Fatalf("%+v %v", w, err)
		}
		if !strings.Contains(w.Markdown, "单位：灵宝　逾期：2") {
			t.Fatalf("markdown %q", w.Markdown)
		}
		w, err = RenderWeCom(c, WeComOptions{LinkURL: "https://zg.example/"})
		if err != nil || w.Template == nil || w.Template.CardType != WeComTextNotice || w.Template.CardAction.URL != "https://zg.example/" || w.Interactive() {
			t.Fatalf("%+v %v", w, err)
		}
	})
	t.Run("Limits", func(t *testing.T) {
		var bs []Button
		for range 7 {
			bs = append(bs, Button{Text: "x", Action: "a"})
		}
		if _, err := RenderWeCom(&Card{Title: "t", Blocks: []Block{ButtonsBlock(bs...)}}, opts); !errors.Is(err, ErrInvalid) {
			t.Fatalf("7 buttons: %v", err)
		}
		if _, err := RenderWeCom(&Card{Title: "t", Blocks: []Block{ButtonsBlock(bs[0])}}, WeComOptions{TaskID: "bad id"}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("bad task id: %v", err)
		}
		long := strings.Repeat("整改", 700)
		w, err := RenderWeCom(&Card{Title: "t", Blocks: []Block{MD(long), ButtonsBlock(bs[0])}}, opts)
		if err != nil || len(w.Template.SubTitleText) > WeComMaxTextBytes || len(w.Markdown) > WeComMaxTextBytes || !strings.HasSuffix(w.Markdown, "…") {
			t.Fatalf("truncation: %d %d %v", len(w.Template.SubTitleText), len(w.Markdown), err)
		}
		if _, err := json.Marshal(w.Template); err != nil {
			t.Fatal(err)
		}
	})
}

func TestWeComPlain(t *testing.T) {
	c := &Card{Title: "诉求#3 已答复", Blocks: []Block{MD("**答复**：已安排"), FieldsBlock(Field{Label: "领导", Value: "王"}), ButtonsBlock(Button{Text: "评价", Action: "rate"})}}
	got := WeComPlain(c)
	if got != "【诉求#3 已答复】\n答复：已安排\n领导：王" {
		t.Fatalf("%q", got)
	}
}
