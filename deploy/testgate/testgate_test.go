package testgate_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"zhenggai/deploy/testgate"
)

// TestMissingChild is run by TestMissing in a child process.
func TestMissingChild(t *testing.T) {
	if os.Getenv("TESTGATE_CHILD") == "" {
		t.Skip("run by TestMissing")
	}
	testgate.Missing(t, "the %s", "widget")
	t.Error("Missing returned")
}

// TestMissing runs a test that lacks something with and without the switch:
// it fails naming the missing thing under ZG_REQUIRE=all and skips, saying
// why, otherwise.
func TestMissing(t *testing.T) {
	for _, c := range []struct {
		require string
		fail    bool
		want    string
	}{
		{"all", true, "required but missing: the widget (ZG_REQUIRE=all)"},
		{"", false, "skipped: the widget (with ZG_REQUIRE=all this fails)"},
		{"some", false, "skipped: the widget"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestMissingChild$", "-test.v")
		cmd.Env = append(os.Environ(), "TESTGATE_CHILD=1", testgate.Env+"="+c.require)
		out, err := cmd.CombinedOutput()
		if failed := err != nil; failed != c.fail {
			t.Errorf("ZG_REQUIRE=%q: failed %v, want %v\n%s", c.require, failed, c.fail, out)
		}
		if !strings.Contains(string(out), c.want) {
			t.Errorf("ZG_REQUIRE=%q: output lacks %q:\n%s", c.require, c.want, out)
		}
		if strings.Contains(string(out), "Missing returned") {
			t.Errorf("ZG_REQUIRE=%q: the test went on past Missing", c.require)
		}
	}
}
