// Package archtest checks the dependency direction of DESIGN.md 4: cards and
// store know nothing of ours; bot imports only cards and store; platform
// adapters never import handlers; handlers never import a platform package;
// only main sees all.
package archtest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "zhenggai"

// allowed says which of our packages a package (by path prefix, most
// specific first) may import in its non-test files.
func allowed(pkg, imp string) bool {
	is := func(p string) bool { return imp == module+"/"+p || strings.HasPrefix(imp, module+"/"+p+"/") }
	switch {
	case pkg == "cards":
		return false
	case pkg == "store":
		return false
	case strings.HasPrefix(pkg, "store/"):
		return is("store")
	case pkg == "bot/config", pkg == "bot/ratelimit":
		return false
	case pkg == "bot/bottest":
		return is("bot") && !is("bot/feishu") && !is("bot/wecom") && !is("bot/dingtalk") && !is("bot/sim") || is("cards") || is("store")
	case strings.HasPrefix(pkg, "bot/feishu"), strings.HasPrefix(pkg, "bot/wecom"), strings.HasPrefix(pkg, "bot/dingtalk"), strings.HasPrefix(pkg, "bot/sim"):
		// A platform package imports bot (not other platforms), cards, and
		// store only through bot's types; the simulator keeps its history
		// in Postgres through store.
		own := strings.SplitN(pkg, "/", 3)[:2]
		if is("handlers") {
			return false
		}
		for _, other := range []string{"bot/feishu", "bot/wecom", "bot/dingtalk", "bot/sim"} {
			if is(other) && other != strings.Join(own, "/") {
				return false
			}
		}
		return is("bot") || is("cards") || is("store")
	case pkg == "bot":
		return is("cards") || is("store") || is("bot/ratelimit")
	case strings.HasPrefix(pkg, "handlers"):
		return (is("bot") && !is("bot/feishu") && !is("bot/wecom") && !is("bot/dingtalk") && !is("bot/sim")) || is("cards") || is("store") || is("handlers")
	case strings.HasPrefix(pkg, "deploy/"):
		return true // benchmarks and tools may wire everything, like main
	case pkg == ".":
		return true
	}
	return false
}

func TestDependencyDirection(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if p != module && !strings.HasPrefix(p, module+"/") {
				continue
			}
			checked++
			if !allowed(rel, p) {
				t.Errorf("%s imports %s against the dependency direction of DESIGN.md 4", rel, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("no imports of ours found: is the walk rooted right?")
	}
	if _, err := os.Stat(filepath.Join(root, "main.go")); err != nil {
		t.Fatal(err)
	}
}

func TestTopLevelLayout(t *testing.T) {
	entries, err := os.ReadDir("../..")
	if err != nil {
		t.Fatal(err)
	}
	// main_test.go holds the command table's usage text and dispatch.
	ok := map[string]bool{"bot": true, "handlers": true, "store": true, "cards": true, "deploy": true, "main.go": true, "main_test.go": true,
		"go.mod": true, "go.sum": true, "README.md": true, ".ci": true, ".git": true, ".gitignore": true, "zhenggai": true}
	for _, e := range entries {
		if !ok[e.Name()] {
			t.Errorf("unexpected top-level entry %q (DESIGN.md 4 fixes the layout)", e.Name())
		}
	}
}
