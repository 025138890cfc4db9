package cards

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateFeishu = flag.Bool("update-feishu", false, "rewrite cards/testdata/feishu golden files")

func feishuSample() *Card {
	return &Card{Title: "问题#42 整改提醒", Subtitle: "期限 2026-12-01", Tone: ToneWarning, Blocks: []Block{
		MD("**问题**：消防通道堵塞 <at id=ou_1></at>"),
		FieldsBlock(Field{Label: "责任领导", Value: "李四", Short: true}, Field{Label: "状态", Value: "整改中", Short: true},
			Field{Label: "整改措施", Value: "清理杂物，设置警示标识"}),
		DividerBlock(),
		TableBlock(&Table{Columns: []string{"单位", "已整改", "整改中"}, Rows: [][]string{{"灵宝", "3", "1"}, {"义马", "0", "2"}}}),
		ButtonsBlock(Button{Text: "已完成", Action: "item.done", Params: map[string]string{"item": "42", "v": "3"}, Style: StylePrimary},
			Button{Text: "撤回", Action: "item.withdraw", Params: map[string]string{"item": "42"}, Style: StyleDanger, Confirm: "确定撤回吗？"},
			Button{Text: "查看", URL: "https://example.gov/42"}),
		FormBlock(&Form{Name: "progress", Fields: []FormField{
			{Name: "text", Label: "整改进展", Kind: KindLongText, Required: true, MaxLen: 500},
			{Name: "status", Label: "状态", Kind: KindSelect, Options: []Option{{"doing", "整改中"}, {"done", "申请销号"}}, Default: "doing"},
			{Name: "units", Label: "协办单位", Kind: KindMultiSelect, Options: []Option{{"lingbao", "灵宝"}, {"yima", "义马"}}, Default: "lingbao,yima"},
			{Name: "deadline", Label: "整改时限", Kind: KindDate, Default: "2026-12-01"},
			{Name: "leader", Label: "责任领导", Kind: KindPerson},
			{Name: "who", Label: "责任人", Kind: KindPerson, Options: []Option{{"li-lb", "李"}}},
			{Name: "note", Label: "备注", Kind: KindText, Placeholder: "可不填"},
		}, Submit: Button{Text: "提交", Action: "item.progress", Params: map[string]string{"item": "42"}}}),
		NoteBlock("2026-11-26 09:00 · 整改通"),
	}}
}

func TestRenderFeishuGolden(t *testing.T) {
	out, err := RenderFeishu(feishuSample())
	if err != nil {
		t.Fatal(err)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, out, "", "  "); err != nil {
		t.Fatal(err)
	}
	pretty.WriteByte('\n')
	path := filepath.Join("testdata", "feishu", "sample.json")
	if *updateFeishu {
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, pretty.Bytes()) {
		t.Errorf("rendering differs from %s (go test ./cards -run Feishu -update-feishu):\n%s", path, pretty.Bytes())
	}
}

func TestRenderFeishuStructure(t *testing.T) {
	out, err := RenderFeishu(feishuSample())
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Schema string `json:"schema"`
		Config struct {
			UpdateMulti bool `json:"update_multi"`
		} `json:"config"`
		Header struct {
			Template string `json:"template"`
		} `json:"header"`
		Body struct {
			Elements []map[string]any `json:"elements"`
		} `json:"body"`
	}
	if err := json.Unmarshal(out, &c); err != nil {
		t.Fatal(err)
	}
	if c.Schema != "2.0" || !c.Config.UpdateMulti || c.Header.Template != "orange" {
		t.Fatalf("top level %+v", c)
	}
	tags := map[string]int{}
	var form map[string]any
	for _, el := range c.Body.Elements {
		tags[el["tag"].(string)]++
		if el["tag"] == "form" {
			form = el
		}
	}
	if tags["table"] != 1 || tags["form"] != 1 || tags["hr"] != 1 {
		t.Fatalf("root tags %v", tags)
	}
	names := map[string]bool{}
	var submit map[string]any
	for _, el := range form["elements"].([]any) {
		m := el.(map[string]any)
		if n, ok := m["name"].(string); ok {
			if names[n] {
				t.Errorf("name %q twice", n)
			}
			names[n] = true
		}
		if m["tag"] == "button" {
			submit = m
		}
	}
	if len(names) != 8 || submit["form_action_type"] != "submit" {
		t.Fatalf("form names %v submit %v", names, submit)
	}
	value := submit["behaviors"].([]any)[0].(map[string]any)["value"].(map[string]any)
	if value["action"] != "item.progress" || value["item"] != "42" {
		t.Fatalf("submit value %v", value)
	}
	if !strings.Contains(string(out), `"tag":"select_person"`) || !strings.Contains(string(out), `"initial_date":"2026-12-01"`) {
		t.Fatalf("inputs: %s", out)
	}
}

func TestRenderFeishuLimits(t *testing.T) {
	many := &Card{Title: "多"}
	for i := range 201 {
		many.Blocks = append(many.Blocks, MD(fmt.Sprint(i)))
	}
	tables := &Card{Title: "表"}
	for range 6 {
		tables.Blocks = append(tables.Blocks, TableBlock(&Table{Columns: []string{"a"}, Rows: [][]string{{"1"}}}))
	}
	big := &Card{Title: "大", Blocks: []Block{MD(strings.Repeat("字", 11000))}}
	reserved := &Card{Title: "保留", Blocks: []Block{ButtonsBlock(Button{Text: "x", Action: "a", Params: map[string]string{"action": "b"}})}}
	field := &Card{Title: "保留", Blocks: []Block{FormBlock(&Form{Name: "f", Fields: []FormField{{Name: FeishuSubmitName, Label: "x", Kind: KindText}},
		Submit: Button{Text: "提交", Action: "a"}})}}
	for name, c := range map[string]*Card{"elements": many, "tables": tables, "bytes": big, "param": reserved, "field": field} {
		if _, err := RenderFeishu(c); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}
