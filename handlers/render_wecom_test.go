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

func goldenUpdate() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

var nonTaskChars = regexp.MustCompile(`[^0-9A-Za-z_@-]`)

// TestRenderWeCom renders every card of the catalogue for WeCom, checks it
// against WeCom's documented limits and compares it with its golden file
// (go test ./handlers -run TestRenderWeCom -update rewrites them).
func TestRenderWeCom(t *testing.T) {
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
			w, err := cards.RenderWeCom(nc.Card, cards.WeComOptions{TaskID: "golden-" + nonTaskChars.ReplaceAllString(nc.Name, "_")})
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
			path := filepath.Join("testdata", "wecom", nonTaskChars.ReplaceAllString(nc.Name, "_")+".json")
			if goldenUpdate() {
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
				// The catalogue grows as cards are added; the limits above
				// still hold for a card without a golden file yet.
				t.Logf("no golden file %s yet: run go test ./handlers -run TestRenderWeCom -update", path)
				return
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
