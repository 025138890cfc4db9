package dingtalk

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"zhenggai/cards"
)

// TestTemplatesDeclareEveryVariable ties deploy/dingtalk/*.json to the
// renderer: every key RenderDingTalk fills is a variable of the template,
// and the buttons and the form send back action and params.
func TestTemplatesDeclareEveryVariable(t *testing.T) {
	form := &cards.Form{Name: "f", Fields: []cards.FormField{{Name: "a", Label: "甲", Kind: cards.KindText}},
		Submit: cards.Button{Text: "提交", Action: "x"}}
	for _, tc := range []struct {
		file string
		card *cards.Card
	}{
		{"zhenggai-card.json", &cards.Card{Title: "t", Blocks: []cards.Block{cards.ButtonsBlock(cards.Button{Text: "b", Action: "a"})}}},
		{"zhenggai-form.json", &cards.Card{Title: "t", Blocks: []cards.Block{cards.FormBlock(form)}}},
	} {
		data, err := os.ReadFile("../../deploy/dingtalk/" + tc.file)
		if err != nil {
			t.Fatal(err)
		}
		var export struct {
			EditorData string `json:"editorData"`
			Type       string `json:"type"`
		}
		if err := json.Unmarshal(data, &export); err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		var editor struct {
			VariableList []struct {
				Name string `json:"name"`
			} `json:"variableList"`
		}
		if err := json.Unmarshal([]byte(export.EditorData), &editor); err != nil {
			t.Fatalf("%s editorData: %v", tc.file, err)
		}
		declared := map[string]bool{}
		for _, v := range editor.VariableList {
			declared[v.Name] = true
		}
		r, err := cards.RenderDingTalk(tc.card)
		if err != nil {
			t.Fatal(err)
		}
		for k := range r.Params {
			if !declared[k] {
				t.Errorf("%s does not declare %s", tc.file, k)
			}
		}
		for _, want := range []string{`"variable":"btn_1_action"`, `"name":"action"`, `"variable":"btn_6_params"`, `"name":"params"`} {
			if !strings.Contains(export.EditorData, want) {
				t.Errorf("%s: no %s", tc.file, want)
			}
		}
		if r.HasForm && !strings.Contains(export.EditorData, `"variable":"form_action"`) {
			t.Errorf("%s: the form does not send form_action back", tc.file)
		}
	}
}
