package handlers

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"zhenggai/cards"
	"zhenggai/deploy/testgate"
)

var updateGoldens = flag.Bool("update", false, "rewrite the golden files of TestRenderCards")

var goldenNameChars = regexp.MustCompile(`[^0-9A-Za-z_@-]`)

// TestRenderCards renders every card of the catalogue for each platform,
// checks the platform's limits and wire rules, and compares the rendering
// with its golden file in testdata/<platform> (go test ./handlers -run
// TestRenderCards -update rewrites them):
//
//   - feishu: card JSON 2.0 within Feishu's limits (≤ 200 elements, ≤ 30 KB,
//     ≤ 5 tables), update_multi set, callback values objects with an action;
//   - dingtalk: the card-platform templates' cardParamMap (keys ≤ 100 bytes,
//     values ≤ 1 KB, at most six buttons, a form schema the form component
//     reads) and the robot message sent without templates;
//   - wecom: the template card within WeCom's documented limits (/90236),
//     with parseable button keys and a task id when interactive.
func TestRenderCards(t *testing.T) {
	catalog := CardCatalog()
	if len(catalog) == 0 {
		t.Fatal("empty card catalogue")
	}
	seen := map[string]bool{}
	for _, nc := range catalog {
		if seen[nc.Name] {
			t.Fatalf("card name %q used twice", nc.Name)
		}
		seen[nc.Name] = true
	}
	for _, p := range []struct {
		dir    string
		render func(t *testing.T, nc NamedCard) []byte
	}{
		{"feishu", renderFeishuGolden},
		{"dingtalk", renderDingTalkGolden},
		{"wecom", renderWeComGolden},
	} {
		t.Run(p.dir, func(t *testing.T) {
			for _, nc := range catalog {
				t.Run(nc.Name, func(t *testing.T) {
					compareGolden(t, filepath.Join("testdata", p.dir, goldenNameChars.ReplaceAllString(nc.Name, "_")+".json"), p.render(t, nc))
				})
			}
		})
	}
}

// compareGolden compares rendered with the golden file at path, or writes
// it with -update.
func compareGolden(t *testing.T, path string, rendered []byte) {
	t.Helper()
	if *updateGoldens {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, rendered, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		// A card added to the catalogue since the goldens were written: its
		// limits were checked by the renderer, but nobody has looked at it.
		testgate.Missing(t, "golden file %s (write it with go test ./handlers -run TestRenderCards -update, look at it, commit it)", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, rendered) {
		t.Errorf("%s differs from the rendering (run with -update if the change is intended):\n%s", path, rendered)
	}
}

// renderFeishuGolden renders nc as Feishu card JSON 2.0 and checks it.
func renderFeishuGolden(t *testing.T, nc NamedCard) []byte {
	t.Helper()
	out, err := cards.RenderFeishu(nc.Card)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	if err := nc.Card.CheckLimits(cards.FeishuLimits, out); err != nil {
		t.Errorf("limits: %v", err)
	}
	var c struct {
		Schema string `json:"schema"`
		Config struct {
			UpdateMulti bool `json:"update_multi"`
		} `json:"config"`
		Body struct {
			Elements []json.RawMessage `json:"elements"`
		} `json:"body"`
	}
	if err := json.Unmarshal(out, &c); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if c.Schema != "2.0" || !c.Config.UpdateMulti {
		t.Errorf("schema %q update_multi %v", c.Schema, c.Config.UpdateMulti)
	}
	checkFeishuValues(t, out)
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, out, "", "  "); err != nil {
		t.Fatal(err)
	}
	pretty.WriteByte('\n')
	rendered := pretty.Bytes()
	return rendered
}

// renderDingTalkGolden renders nc for the DingTalk templates and as the
// robot message, and checks them.
func renderDingTalkGolden(t *testing.T, nc NamedCard) []byte {
	t.Helper()
	if err := nc.Card.CheckLimits(cards.DingTalkLimits, nil); err != nil {
		t.Errorf("limits: %v", err)
	}
	r, err := cards.RenderDingTalk(nc.Card)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	for k, v := range r.Params {
		if len(k) > 100 {
			t.Errorf("cardParamMap key %q is %d bytes, limit 100", k, len(k))
		}
		if len(v) > cards.DingTalkValueLimit {
			t.Errorf("cardParamMap %s is %d bytes, limit %d", k, len(v), cards.DingTalkValueLimit)
		}
	}
	if r.HasForm {
		var schema struct {
			Fields []cards.DingTalkFormField `json:"fields"`
		}
		if err := json.Unmarshal([]byte(r.Params["form"]), &schema); err != nil || len(schema.Fields) == 0 {
			t.Errorf("form schema %q: %v", r.Params["form"], err)
		}
		for _, f := range schema.Fields {
			switch f.Type {
			case "TEXT", "DATE", "SELECT", "MULTI_SELECT":
			default:
				t.Errorf("field %s has type %s, not one of the form component's", f.Name, f.Type)
			}
		}
	}
	for _, k := range []string{"btn_1_params", "form_params"} {
		if v, ok := r.Params[k]; ok && v != "" {
			var m map[string]string
			if err := json.Unmarshal([]byte(v), &m); err != nil {
				t.Errorf("%s %q is not a JSON object of strings: %v", k, v, err)
			}
		}
	}
	template := "card"
	if r.HasForm {
		template = "form"
	}
	// Without templates: the 1:1 message with its dtmd links, and the
	// group notice (no links: the robot hears only @-mentions there).
	msgKey, msgParam := cards.DingTalkMessage(nc.Card, cards.DingTalkMessageOptions{Command: cards.DingTalkLabel})
	var group map[string]string
	if cards.DingTalkHasActions(nc.Card) {
		_, group = cards.DingTalkMessage(nc.Card, cards.DingTalkMessageOptions{Command: cards.DingTalkLabel, Group: true, Hint: "（操作已发到单聊）"})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(struct {
		Template     string            `json:"template"`
		CardParamMap map[string]string `json:"cardParamMap"`
		MsgKey       string            `json:"msgKey"`
		MsgParam     map[string]string `json:"msgParam"`
		GroupNotice  map[string]string `json:"groupNotice,omitempty"`
	}{template, r.ParamsFor(r.HasForm), msgKey, msgParam, group}); err != nil {
		t.Fatal(err)
	}
	rendered := buf.Bytes()
	return rendered
}

// renderWeComGolden renders nc as a WeCom template card and checks it.
func renderWeComGolden(t *testing.T, nc NamedCard) []byte {
	t.Helper()
	w, err := cards.RenderWeCom(nc.Card, cards.WeComOptions{TaskID: "golden-" + goldenNameChars.ReplaceAllString(nc.Name, "_")})
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(struct {
		TemplateCard *cards.WeComTemplateCard `json:"template_card,omitempty"`
		Markdown     string                   `json:"markdown"`
	}{w.Template, w.Markdown}); err != nil {
		t.Fatal(err)
	}
	rendered := buf.Bytes()
	if err := nc.Card.CheckLimits(cards.WeComLimits, nil); err != nil {
		t.Errorf("limits: %v", err)
	}
	checkWeComWire(t, w)
	return rendered
}

// checkFeishuValues walks the card and checks every callback value is an
// object with an action (a string value fails Feishu's SDK decoding).
func checkFeishuValues(t *testing.T, out []byte) {
	t.Helper()
	var tree any
	if err := json.Unmarshal(out, &tree); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if v["type"] == "callback" {
				val, ok := v["value"].(map[string]any)
				if !ok || val["action"] == nil {
					t.Errorf("callback value %v is not an object with an action", v["value"])
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(tree)
}

// checkWeComWire checks the rendered template card itself against /90236.
func checkWeComWire(t *testing.T, w *cards.WeComCard) {
	t.Helper()
	if len(w.Markdown) > cards.WeComMaxTextBytes {
		t.Errorf("markdown is %d bytes", len(w.Markdown))
	}
	tc := w.Template
	if tc == nil {
		return
	}
	if len(tc.ButtonList) > cards.WeComMaxButtons {
		t.Errorf("%d buttons", len(tc.ButtonList))
	}
	if len(tc.SelectList) > cards.WeComMaxSelects {
		t.Errorf("%d selects", len(tc.SelectList))
	}
	for _, s := range tc.SelectList {
		if len(s.OptionList) > cards.WeComMaxOptions {
			t.Errorf("select %s has %d options", s.QuestionKey, len(s.OptionList))
		}
	}
	if tc.Checkbox != nil && len(tc.Checkbox.OptionList) > cards.WeComMaxVoteOptions {
		t.Errorf("checkbox has %d options", len(tc.Checkbox.OptionList))
	}
	if len(tc.SubTitleText) > cards.WeComMaxTextBytes {
		t.Errorf("sub_title_text is %d bytes", len(tc.SubTitleText))
	}
	if len(tc.HorizontalContentList) > cards.WeComMaxFields || len(tc.JumpList) > cards.WeComMaxJumps {
		t.Errorf("%d fields, %d jumps", len(tc.HorizontalContentList), len(tc.JumpList))
	}
	keys := map[string]bool{}
	for _, b := range tc.ButtonList {
		if b.Type == 1 {
			continue
		}
		if keys[b.Key] || len(b.Key) > cards.WeComMaxKeyBytes {
			t.Errorf("button key %q repeated or too long", b.Key)
		}
		keys[b.Key] = true
		if _, _, _, err := cards.ParseWeComKey(b.Key); err != nil {
			t.Error(err)
		}
	}
	if w.Interactive() && tc.TaskID == "" {
		t.Error("interactive card without task_id")
	}
}
