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

var fsGoldenChars = regexp.MustCompile(`[^0-9A-Za-z_@-]`)

// TestRenderFeishu renders every card of the catalogue as Feishu card JSON
// 2.0, checks it is a 2.0 card within Feishu's limits (≤ 200 elements,
// ≤ 30 KB, ≤ 5 tables, callback values as objects) and compares with the
// golden files in testdata/feishu (go test ./handlers -run TestRenderFeishu
// -update rewrites them).
func TestRenderFeishu(t *testing.T) {
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
			path := filepath.Join("testdata", "feishu", fsGoldenChars.ReplaceAllString(nc.Name, "_")+".json")
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
				t.Skipf("no golden file %s yet: run go test ./handlers -run TestRenderFeishu -update", path)
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
