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
)

// The -update flag may be registered by another renderer's golden test of
// this package; define it only when nobody has.
var _ = func() bool {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
	return true
}()

var dtGoldenChars = regexp.MustCompile(`[^0-9A-Za-z_@-]`)

// TestRenderDingTalk renders every card of the catalogue for the DingTalk
// templates and as the robot message sent without them, checks DingTalk's limits
// (cardParamMap keys ≤ 100 bytes, values ≤ 1 KB, at most six buttons, a
// form schema the form component reads) and compares with the golden files
// in testdata/dingtalk (go test ./handlers -run TestRenderDingTalk -update
// rewrites them).
func TestRenderDingTalk(t *testing.T) {
	catalog := CardCatalog()
	if len(catalog) == 0 {
		t.Fatal("empty card catalogue")
	}
	seen := map[string]bool{}
	for _, nc := range catalog {
		t.Run(nc.Name, func(t *testing.T) {
			if seen[nc.Name] {
				t.Fatalf("card name %q used twice", nc.Name)
			}
			seen[nc.Name] = true
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
			msgKey, msgParam := cards.DingTalkMessage(nc.Card)
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(struct {
				Template     string            `json:"template"`
				CardParamMap map[string]string `json:"cardParamMap"`
				MsgKey       string            `json:"msgKey"`
				MsgParam     map[string]string `json:"msgParam"`
			}{template, r.Params, msgKey, msgParam}); err != nil {
				t.Fatal(err)
			}
			rendered := buf.Bytes()
			path := filepath.Join("testdata", "dingtalk", dtGoldenChars.ReplaceAllString(nc.Name, "_")+".json")
			if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
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
				// A card added to the catalogue since the goldens were
				// written: its limits were checked above.
				t.Skipf("no golden file %s yet: run go test ./handlers -run TestRenderDingTalk -update", path)
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(want, rendered) {
				t.Errorf("%s differs from the rendering (run with -update if the change is intended):\n%s", path, rendered)
			}
		})
	}
}
