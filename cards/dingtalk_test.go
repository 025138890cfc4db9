package cards

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestRenderDingTalkSlots(t *testing.T) {
	c := &Card{Title: "台账条目 #42", Subtitle: "灵宝市交通运输局", Tone: ToneDanger, Blocks: []Block{
		MD("**问题描述**：执法记录仪使用不规范"),
		FieldsBlock(Field{Label: "整改时限", Value: "2026-12-31"}, Field{Label: "状态", Value: "整改中"}),
		DividerBlock(),
		TableBlock(&Table{Columns: []string{"日期", "进展"}, Rows: [][]string{{"11-20", "已培训"}}}),
		NoteBlock("逾期 3 天"),
		ButtonsBlock(Button{Text: "更新进展", Action: "ledger.progress", Params: map[string]string{"item": "42"}, Style: StylePrimary},
			Button{Text: "申请销号", Action: "ledger.close", Confirm: "确认申请销号？", Style: StyleDanger},
			Button{Text: "政策原文", URL: "https://jtj.example.gov.cn/63"}),
	}}
	r, err := RenderDingTalk(c)
	if err != nil {
		t.Fatal(err)
	}
	p := r.Params
	if r.HasForm || p["title"] != "台账条目 #42" || p["subtitle"] != "灵宝市交通运输局" || p["tone"] != "red" || p["lastMessage"] != "台账条目 #42" {
		t.Errorf("header %v", p)
	}
	want := "**问题描述**：执法记录仪使用不规范\n\n**整改时限**：2026-12-31\n\n**状态**：整改中\n\n———\n\n**日期 ｜ 进展**\n\n11-20 ｜ 已培训\n\n<font color=#8c8c8c>逾期 3 天</font>\n\n[政策原文](https://jtj.example.gov.cn/63)"
	if p["content_1"] != want {
		t.Errorf("content_1 = %q\nwant        %q", p["content_1"], want)
	}
	if p["content_2"] != "" || p["content_10"] != "" {
		t.Error("unused slots must be empty")
	}
	if p["btn_1_text"] != "更新进展" || p["btn_1_style"] != "primary" || p["btn_1_params"] != `{"item":"42"}` ||
		p["btn_2_style"] != "danger" || p["btn_2_confirm"] != "确认申请销号？" || p["btn_2_params"] != "{}" || p["btn_3_text"] != "" {
		t.Errorf("buttons %v", p)
	}
	// Every slot is present so that a full update clears old content.
	for _, k := range []string{"content_10", "btn_6_action", "toast", "toast_kind"} {
		if _, ok := p[k]; !ok {
			t.Errorf("slot %s missing", k)
		}
	}
	// A card without a form empties the form slots and disables the form,
	// so an update of a submitted form card leaves no open inputs.
	if p["form"] != `{"fields":[]}` || p["form_status"] != "disabled" || p["form_action"] != "" || p["form_btn_text"] != "" {
		t.Errorf("form slots of a card without a form: %v", p)
	}
	if ro := r.ParamsFor(false); len(ro) != len(p)-len(DingTalkFormKeys) || ro["form_status"] != "" {
		t.Errorf("read-only template params keep form slots: %v", ro)
	}
}

func TestRenderDingTalkLongTextIsSplit(t *testing.T) {
	var lines []string
	for i := range 120 {
		lines = append(lines, fmt.Sprintf("%d. 第%d项整改措施已落实到位，佐证材料已上传。", i+1, i+1))
	}
	c := &Card{Title: "长文本", Blocks: []Block{MD(strings.Join(lines, "\n"))}}
	r, err := RenderDingTalk(c)
	if err != nil {
		t.Fatal(err)
	}
	var joined []string
	for i := 1; i <= DingTalkContentSlots; i++ {
		v := r.Params[fmt.Sprintf("content_%d", i)]
		if len(v) > DingTalkValueLimit {
			t.Errorf("content_%d is %d bytes", i, len(v))
		}
		if v != "" {
			joined = append(joined, v)
		}
	}
	if len(joined) < 2 || strings.Join(joined, "\n") != strings.Join(lines, "\n") {
		t.Errorf("split text does not join back (%d slots)", len(joined))
	}
	// One line longer than a slot is cut at a character boundary.
	long := strings.Repeat("整", 700)
	r, err = RenderDingTalk(&Card{Title: "x", Blocks: []Block{MD(long)}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Params["content_1"]+r.Params["content_2"]+r.Params["content_3"] != long {
		t.Error("a long line must be cut without losing characters")
	}
	// More than ten slots of text does not fit.
	huge := strings.Repeat(strings.Join(lines, "\n")+"\n", 3)
	if _, err := RenderDingTalk(&Card{Title: "x", Blocks: []Block{MD(huge)}}); !errors.Is(err, ErrDingTalkTooLarge) || !errors.Is(err, ErrInvalid) {
		t.Errorf("huge text: %v", err)
	}
}

func TestRenderDingTalkTooManyButtons(t *testing.T) {
	var bs []Button
	for i := range 7 {
		bs = append(bs, Button{Text: fmt.Sprint(i), Action: "a"})
	}
	if _, err := RenderDingTalk(&Card{Title: "x", Blocks: []Block{ButtonsBlock(bs...)}}); !errors.Is(err, ErrDingTalkTooLarge) {
		t.Errorf("7 buttons: %v", err)
	}
}

func TestRenderDingTalkForm(t *testing.T) {
	f := &Form{Name: "progress", Fields: []FormField{
		{Name: "progress", Label: "整改进展", Kind: KindLongText, Required: true, Placeholder: "请填写本次进展"},
		{Name: "status", Label: "整改状态", Kind: KindSelect, Required: true, Default: "doing",
			Options: []Option{{Value: "doing", Label: "整改中"}, {Value: "done", Label: "申请销号"}}},
		{Name: "deadline", Label: "整改时限", Kind: KindDate, Default: "2026-12-31"},
		{Name: "kinds", Label: "问题类别", Kind: KindMultiSelect, Default: "a,c",
			Options: []Option{{Value: "a", Label: "甲"}, {Value: "b", Label: "乙"}, {Value: "c", Label: "丙"}}},
		{Name: "who", Label: "责任人", Kind: KindPerson, Options: []Option{{Value: "li-lb", Label: "李晓燕"}}},
	}, Submit: Button{Text: "提交", Action: "ledger.progress", Params: map[string]string{"item": "42", "v": "3"}}}
	r, err := RenderDingTalk(&Card{Title: "更新进展", Blocks: []Block{MD("问题 #42"), FormBlock(f)}})
	if err != nil {
		t.Fatal(err)
	}
	p := r.Params
	if !r.HasForm || p["form_status"] != "normal" || p["form_btn_text"] != "提交" || p["form_action"] != "ledger.progress" ||
		p["form_params"] != `{"item":"42","v":"3"}` {
		t.Errorf("form slots %v", p)
	}
	var schema struct {
		Fields []DingTalkFormField `json:"fields"`
	}
	if err := json.Unmarshal([]byte(p["form"]), &schema); err != nil {
		t.Fatal(err)
	}
	types := []string{}
	for _, ff := range schema.Fields {
		types = append(types, ff.Type)
	}
	if strings.Join(types, ",") != "TEXT,SELECT,DATE,MULTI_SELECT,SELECT" {
		t.Errorf("types %v", types)
	}
	if d, _ := json.Marshal(schema.Fields[1].DefaultValue); string(d) != `{"index":0,"value":"doing"}` {
		t.Errorf("select default %s", d)
	}
	if d, _ := json.Marshal(schema.Fields[3].DefaultValue); string(d) != `{"index":[0,2],"value":["a","c"]}` {
		t.Errorf("multi-select default %s", d)
	}
	if schema.Fields[2].DefaultValue != "2026-12-31" || schema.Fields[1].Options[1].Text != "申请销号" || !schema.Fields[0].Required {
		t.Errorf("fields %+v", schema.Fields)
	}
}

func TestDingTalkFormSchemaCompacts(t *testing.T) {
	var fields []FormField
	for i := range 9 {
		fields = append(fields, FormField{Name: fmt.Sprintf("f%d", i), Label: "字段", Kind: KindText,
			Placeholder: "请填写这一项的内容，不少于十个字，谢谢配合"})
	}
	f := &Form{Name: "big", Fields: fields, Submit: Button{Text: "提交", Action: "x"}}
	s, err := DingTalkFormSchema(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) > DingTalkValueLimit || strings.Contains(s, "placeholder") {
		t.Errorf("schema not compacted: %d bytes", len(s))
	}
	for i := range 40 {
		f.Fields = append(f.Fields, FormField{Name: fmt.Sprintf("g%d", i), Label: "另一个很长的字段名称", Kind: KindText})
	}
	if _, err := DingTalkFormSchema(f); !errors.Is(err, ErrDingTalkTooLarge) {
		t.Errorf("oversized form: %v", err)
	}
}

func TestDingTalkMarkdown(t *testing.T) {
	c := &Card{Title: "月报提醒", Subtitle: "2026-11", Blocks: []Block{
		MD("请于 23 日前报送"),
		ButtonsBlock(Button{Text: "填报月报", Action: "report.open"}, Button{Text: "说明", URL: "https://x.example/y"}),
		FormBlock(&Form{Name: "f", Fields: []FormField{{Name: "a", Label: "本月进展", Kind: KindText}}, Submit: Button{Text: "提交月报", Action: "report.submit"}}),
	}}
	title, text := DingTalkMarkdown(c)
	if title != "月报提醒" {
		t.Errorf("title %q", title)
	}
	for _, want := range []string{"#### 月报提醒", "2026-11", "请于 23 日前报送", "[说明](https://x.example/y)", "需填写：本月进展",
		"[填报月报](dtmd://dingtalkclient/sendMessage?content=%E5%A1%AB%E6%8A%A5%E6%9C%88%E6%8A%A5)", "也可直接输入：“填报月报”"} {
		if !strings.Contains(text, want) {
			t.Errorf("markdown lacks %q:\n%s", want, text)
		}
	}
}

func TestDingTalkLinkEscapes(t *testing.T) {
	got := DingTalkLink("办理", "办理 LB-2026-001&x=1")
	want := "[办理](dtmd://dingtalkclient/sendMessage?content=%E5%8A%9E%E7%90%86%20LB-2026-001%26x%3D1)"
	if got != want {
		t.Errorf("link %s\nwant %s", got, want)
	}
}

func TestDingTalkMarkdownKeepsLinksWhenLong(t *testing.T) {
	c := &Card{Title: "长", Blocks: []Block{MD(strings.Repeat("很长的正文。", 2000)), ButtonsBlock(Button{Text: "同意", Action: "approval.approve"})}}
	_, text := DingTalkMarkdown(c)
	if n := len([]rune(text)); n > 4500 || !strings.HasSuffix(text, "发送“帮助”查看全部命令</font>") || !strings.Contains(text, "[同意](dtmd://") {
		t.Errorf("%d runes, tail %q", n, text[len(text)-200:])
	}
}

func TestRenderDingTalkInvalid(t *testing.T) {
	if _, err := RenderDingTalk(&Card{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("card without title: %v", err)
	}
}

func TestDingTalkMessage(t *testing.T) {
	links := DingTalkMessageOptions{Command: DingTalkLabel}
	plain := &Card{Title: "摘要", Blocks: []Block{MD("今日无待办")}}
	if key, p := DingTalkMessage(plain, links); key != "sampleMarkdown" || !strings.Contains(p["text"], "今日无待办") || strings.Contains(p["text"], "dtmd") {
		t.Errorf("plain: %s %v", key, p)
	}
	one := &Card{Title: "导出完成", Blocks: []Block{MD("台账已生成"), ButtonsBlock(Button{Text: "下载", URL: "https://x.example/f.xlsx"})}}
	key, p := DingTalkMessage(one, links)
	if key != "sampleActionCard" || p["singleTitle"] != "下载" || p["singleURL"] != "https://x.example/f.xlsx" || strings.Contains(p["text"], "https://") {
		t.Errorf("one link: %s %v", key, p)
	}
	// Actions offered as dtmd links keep the message markdown: links work
	// in markdown messages.
	two := &Card{Title: "x", Blocks: []Block{ButtonsBlock(Button{Text: "甲", URL: "https://a"}, Button{Text: "乙", URL: "https://b"}, Button{Text: "办理", Action: "do"})}}
	key, p = DingTalkMessage(two, links)
	if key != "sampleMarkdown" || !strings.Contains(p["text"], "[甲](https://a)") || !strings.Contains(p["text"], "[办理](dtmd://dingtalkclient/sendMessage?content=%E5%8A%9E%E7%90%86)") {
		t.Errorf("links and an action: %s %v", key, p)
	}
	// A group notice has no dtmd links (the robot would not hear them)
	// and says where to act instead.
	key, p = DingTalkMessage(two, DingTalkMessageOptions{Command: DingTalkLabel, Group: true, Hint: "已在单聊中发送给相关人员。"})
	if key != "sampleActionCard2" || p["actionTitle2"] != "乙" || p["actionURL1"] != "https://a" || strings.Contains(p["text"], "dtmd") ||
		!strings.Contains(p["text"], "**可发送**：“办理”") || !strings.Contains(p["text"], "在群内发送请先 @整改助手。已在单聊中发送给相关人员。") {
		t.Errorf("group notice: %s %v", key, p)
	}
	if DingTalkHasActions(one) || !DingTalkHasActions(two) {
		t.Error("DingTalkHasActions")
	}
}
