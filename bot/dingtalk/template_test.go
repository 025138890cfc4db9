package dingtalk

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"zhenggai/cards"
)

// officialComponents are the components the card platform's own 3.0.0
// IM-card exports use (open-dingtalk/dingtalk-card-examples, 审批模板 and
// 表单组件的使用与更新); ours use no other.
var officialComponents = []string{"Card", "CardHeaderV2", "Markdown", "ButtonList", "SingleButton", "Form"}

// exportNode is one component of an export's componentsTree.
type exportNode struct {
	ComponentName string          `json:"componentName"`
	ID            string          `json:"id"`
	Props         json.RawMessage `json:"props"`
	Children      []exportNode    `json:"children"`
}

func (n *exportNode) find(name string) *exportNode {
	if n.ComponentName == name {
		return n
	}
	for i := range n.Children {
		if f := n.Children[i].find(name); f != nil {
			return f
		}
	}
	return nil
}

// TestTemplatesAreOfficialExports ties deploy/dingtalk/*.json to the
// official export format and to the renderer: the four top-level keys of
// an export (editorData, widgetInfo, type, mode), editorData's keys, only
// official components, every key the renderer fills declared as a
// variable, the buttons and the form sending back action and params, and
// the form hidden when the card has none (a submitted form shows no open
// inputs).
func TestTemplatesAreOfficialExports(t *testing.T) {
	form := &cards.Form{Name: "f", Fields: []cards.FormField{{Name: "a", Label: "甲", Kind: cards.KindText}},
		Submit: cards.Button{Text: "提交", Action: "x"}}
	for _, tc := range []struct {
		file string
		form bool
		card *cards.Card
	}{
		{"zhenggai-card.json", false, &cards.Card{Title: "t", Blocks: []cards.Block{cards.ButtonsBlock(cards.Button{Text: "b", Action: "a"})}}},
		{"zhenggai-form.json", true, &cards.Card{Title: "t", Blocks: []cards.Block{cards.FormBlock(form)}}},
	} {
		data, err := os.ReadFile("../../deploy/dingtalk/" + tc.file)
		if err != nil {
			t.Fatal(err)
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(data, &top); err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		var keys []string
		for k := range top {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if strings.Join(keys, ",") != "editorData,mode,type,widgetInfo" {
			t.Errorf("%s: top-level keys %v, an export has editorData, widgetInfo, type, mode", tc.file, keys)
		}
		var export struct {
			EditorData string `json:"editorData"`
			WidgetInfo string `json:"widgetInfo"`
			Type       string `json:"type"`
			Mode       string `json:"mode"`
		}
		_ = json.Unmarshal(data, &export)
		if export.Type != "im" || export.Mode != "card" || !strings.HasPrefix(export.WidgetInfo, "<LinearLayout") {
			t.Errorf("%s: type %q mode %q widgetInfo %.40q", tc.file, export.Type, export.Mode, export.WidgetInfo)
		}
		var editor struct {
			SchemaVersion string `json:"schemaVersion"`
			Schema        struct {
				ComponentsMap []struct {
					ComponentName string `json:"componentName"`
				} `json:"componentsMap"`
				ComponentsTree []exportNode `json:"componentsTree"`
			} `json:"schema"`
			MockData     map[string]any `json:"mockData"`
			VariableList []struct {
				Name string `json:"name"`
			} `json:"variableList"`
			Extension struct {
				ExtendType   string `json:"extendType"`
				FileTypeList []struct {
					FileName string `json:"fileName"`
				} `json:"fileTypeList"`
			} `json:"extension"`
		}
		if err := json.Unmarshal([]byte(export.EditorData), &editor); err != nil {
			t.Fatalf("%s editorData: %v", tc.file, err)
		}
		var raw map[string]json.RawMessage
		_ = json.Unmarshal([]byte(export.EditorData), &raw)
		for _, k := range []string{"schemaVersion", "schema", "mockData", "editVersion", "customWidgetInfo", "useCustomWidgetInfo",
			"variableList", "formList", "expList", "localList", "hsfList", "lwpList", "extension"} {
			if _, ok := raw[k]; !ok {
				t.Errorf("%s: editorData has no %s", tc.file, k)
			}
		}
		if editor.SchemaVersion != "3.0.0" || editor.Extension.ExtendType != "NORMAL" || len(editor.Extension.FileTypeList) != 1 ||
			editor.Extension.FileTypeList[0].FileName != "event_chain" {
			t.Errorf("%s: schemaVersion %s, extension %+v", tc.file, editor.SchemaVersion, editor.Extension)
		}
		for _, c := range editor.Schema.ComponentsMap {
			if !slices.Contains(officialComponents, c.ComponentName) {
				t.Errorf("%s: component %s is not one of the official exports'", tc.file, c.ComponentName)
			}
		}
		declared := map[string]bool{}
		for _, v := range editor.VariableList {
			declared[v.Name] = true
		}
		r, err := cards.RenderDingTalk(tc.card)
		if err != nil {
			t.Fatal(err)
		}
		params := r.ParamsFor(tc.form)
		for k := range params {
			if !declared[k] {
				t.Errorf("%s does not declare %s", tc.file, k)
			}
		}
		if len(editor.Schema.ComponentsTree) != 1 {
			t.Fatalf("%s: %d trees", tc.file, len(editor.Schema.ComponentsTree))
		}
		tree := &editor.Schema.ComponentsTree[0]
		buttons := tree.find("ButtonList")
		if buttons == nil {
			t.Fatalf("%s: no ButtonList", tc.file)
		}
		for _, want := range []string{`"variable":"btn_1_action"`, `"name":"action"`, `"variable":"btn_6_params"`, `"name":"params"`,
			`"variable":"rev","value":"","name":"rev"`, `"content":"${btn_6_confirm}"`, `"actionType":"request"`, `"actionType":"confirm"`} {
			if !strings.Contains(string(buttons.Props), want) {
				t.Errorf("%s: the buttons have no %s", tc.file, want)
			}
		}
		if strings.Contains(string(buttons.Props), `"iconType":"none"`) {
			t.Errorf("%s: a button's iconType is none, which no official export uses", tc.file)
		}
		// The clicker's result line shows only under the content it
		// answered (toast_rev == rev).
		var exps struct {
			ExpList []struct {
				Name       string `json:"name"`
				ExpContent string `json:"expContent"`
			} `json:"expList"`
		}
		_ = json.Unmarshal([]byte(export.EditorData), &exps)
		if len(exps.ExpList) != 1 || exps.ExpList[0].Name != "toast_current" || exps.ExpList[0].ExpContent != "toast_rev == rev" {
			t.Errorf("%s: expList %+v", tc.file, exps.ExpList)
		}
		if !strings.Contains(export.EditorData, `"op":"isTrue","variable":"toast_current"`) || !declared["toast_rev"] {
			t.Errorf("%s: the result line is not tied to the card's rev", tc.file)
		}
		if !tc.form {
			if tree.find("Form") != nil {
				t.Errorf("%s: the read-only template has a form", tc.file)
			}
			continue
		}
		f := tree.find("Form")
		if f == nil {
			t.Fatalf("%s: no Form", tc.file)
		}
		for _, want := range []string{`"variable":"form_action"`, `"variable":"form_params"`, `"variable":"form_status"`, `"name":"rev"`,
			`"op":"isNotEmpty","variable":"form_action"`} {
			if !strings.Contains(string(f.Props), want) {
				t.Errorf("%s: the form has no %s", tc.file, want)
			}
		}
		if mock, _ := editor.MockData["cardData"].(map[string]any); mock["form_action"] == "" || mock["form"] == nil {
			t.Errorf("%s: the preview's mock data shows no form", tc.file)
		}
	}
}
