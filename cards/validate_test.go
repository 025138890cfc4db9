package cards

import (
	"errors"
	"strings"
	"testing"
)

func sample() *Card {
	return &Card{Title: "灵宝市交通运输局 · 台账", Tone: ToneWarning, Blocks: []Block{
		MD("**LB-2026-001** 违规设置电子监控"),
		FieldsBlock(Field{Label: "整改时限", Value: "2026-12-01", Short: true}),
		ButtonsBlock(Button{Text: "更新进展", Action: "item.progress.form", Params: map[string]string{"item": "1", "v": "3"}}),
		FormBlock(&Form{Name: "p", Fields: []FormField{
			{Name: "text", Label: "进展", Kind: KindLongText, Required: true, MaxLen: 10},
			{Name: "status", Label: "状态", Kind: KindSelect, Options: []Option{{"in_progress", "整改中"}, {"long_term", "长期推进"}}},
			{Name: "tags", Label: "类别", Kind: KindMultiSelect, Options: []Option{{"a", "甲"}, {"b", "乙"}}},
			{Name: "due", Label: "整改时限", Kind: KindDate},
		}, Submit: Button{Text: "提交", Action: "item.progress.submit"}}),
	}}
}

func TestValidate(t *testing.T) {
	if err := sample().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []func(*Card){
		func(c *Card) { c.Title = "" },
		func(c *Card) { c.Blocks[0].Note = "two kinds" },
		func(c *Card) { c.Blocks[2].Buttons[0].Action = "" },
		func(c *Card) { c.Blocks[3].Form.Fields[1].Name = "text" },
		func(c *Card) { c.Blocks[3].Form.Fields[1].Options = nil },
		func(c *Card) { c.Blocks[3].Form.Submit.Action = "" },
		func(c *Card) {
			c.Blocks = append(c.Blocks, TableBlock(&Table{Columns: []string{"a", "b"}, Rows: [][]string{{"1"}}}))
		},
	}
	for i, mutate := range bad {
		c := sample()
		mutate(c)
		if err := c.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("case %d: got %v instead of ErrInvalid", i, err)
		}
	}
}

func TestCheckLimits(t *testing.T) {
	c := sample()
	if err := c.CheckLimits(FeishuLimits, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 31*1024)
	if err := c.CheckLimits(FeishuLimits, big); err == nil || !strings.Contains(err.Error(), "bytes") {
		t.Fatalf("30 KB: %v", err)
	}
	for range 7 {
		c.Blocks = append(c.Blocks, ButtonsBlock(Button{Text: "x", Action: "y"}))
	}
	if err := c.CheckLimits(WeComLimits, nil); err == nil || !strings.Contains(err.Error(), "buttons") {
		t.Fatalf("WeCom 6 buttons: %v", err)
	}
}

func TestFormCheck(t *testing.T) {
	f := sample().Form()
	v := Values{"text": {"  "}, "status": {"closed"}, "due": {"2026-02-30"}}
	errs := f.Check(v)
	if len(errs) != 3 || errs[0].Field != "text" || !strings.Contains(errs[0].Message, "请填写") ||
		errs[1].Field != "status" || errs[2].Field != "due" {
		t.Fatalf("got %+v", errs)
	}
	v = Values{"text": {"12345678901"}}
	if errs := f.Check(v); len(errs) != 1 || !strings.Contains(errs[0].Message, "10") {
		t.Fatalf("max len: %+v", errs)
	}
	v = Values{"text": {"好"}, "tags": {"a", "b"}, "due": {"2023-06-30 +0800"}}
	if errs := f.Check(v); len(errs) != 0 {
		t.Fatalf("good values refused: %+v", errs)
	}
}

func TestParseDate(t *testing.T) {
	for _, s := range []string{"2023-06-30", "2023/6/30", "2023年6月30日", "2023-06-30 +0800", "2023.6.30"} {
		d, err := ParseDate(s)
		if err != nil || d.Format(DateLayout) != "2023-06-30" {
			t.Errorf("%q: %v %v", s, d, err)
		}
	}
	if _, err := ParseDate("下周一"); err == nil {
		t.Error("accepted 下周一")
	}
}
