package sim_test

import (
	"html"
	"regexp"
	"strings"
	"testing"

	"zhenggai/cards"
	"zhenggai/handlers"
)

var tagRe = regexp.MustCompile(`<(/?)([a-z][a-z0-9]*)[^>]*>`)

// voidTags have no end tag.
var voidTags = map[string]bool{"br": true, "hr": true, "input": true}

// TestCatalogRendersAsHTML renders every card the handlers build with the
// simulator's renderer: the markup is balanced, no action is dropped, and
// no text leaks unescaped.
func TestCatalogRendersAsHTML(t *testing.T) {
	cat := handlers.CardCatalog()
	if len(cat) == 0 {
		t.Fatal("empty card catalogue")
	}
	for _, nc := range cat {
		out := cards.HTML(nc.Card, cards.HTMLOptions{ID: "m1"})
		var stack []string
		for _, m := range tagRe.FindAllStringSubmatch(out, -1) {
			name := m[2]
			switch {
			case voidTags[name]:
			case m[1] == "":
				stack = append(stack, name)
			case len(stack) == 0 || stack[len(stack)-1] != name:
				t.Errorf("%s: unbalanced </%s> (open: %v)", nc.Name, name, stack)
			default:
				stack = stack[:len(stack)-1]
			}
		}
		if len(stack) > 0 {
			t.Errorf("%s: unclosed %v", nc.Name, stack)
		}
		for _, b := range nc.Card.Buttons() {
			want := `data-action="` + html.EscapeString(b.Action) + `"`
			if b.URL != "" {
				want = html.EscapeString(b.Text)
			}
			if !strings.Contains(out, want) {
				t.Errorf("%s: button %q (%s) missing", nc.Name, b.Text, b.Action)
			}
		}
		if f := nc.Card.Form(); f != nil {
			if !strings.Contains(out, `data-action="`+html.EscapeString(f.Submit.Action)+`"`) {
				t.Errorf("%s: form submit %s missing", nc.Name, f.Submit.Action)
			}
			for _, ff := range f.Fields {
				if !strings.Contains(out, `data-field="`+html.EscapeString(ff.Name)+`"`) {
					t.Errorf("%s: form field %s missing", nc.Name, ff.Name)
				}
			}
		}
		text := tagRe.ReplaceAllString(out, "")
		if strings.ContainsAny(text, "<>") {
			t.Errorf("%s: unescaped markup in text: %s", nc.Name, text)
		}
	}
}
