// Package testgate decides whether a test that lacks something it needs
// (Chromium, Postgres server binaries, a golden file) skips or fails.
//
// A developer's quick `go test` skips such a test and says why. The README's
// test command (deploy/test.sh, which CI runs) sets ZG_REQUIRE=all, and then
// every such test fails naming what is missing: a gate that can pass without
// running is no gate.
package testgate

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// Env is the switch: ZG_REQUIRE=all makes every missing requirement a
// failure.
const Env = "ZG_REQUIRE"

// Required reports whether missing requirements fail the test run.
func Required() bool {
	return strings.TrimSpace(os.Getenv(Env)) == "all"
}

// Missing stops tb because what it needs is not there: it fails the test
// under ZG_REQUIRE=all and skips it otherwise. what names the missing thing
// and how to get it ("chromium is not on PATH (apt-get install chromium)").
func Missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	what := fmt.Sprintf(format, args...)
	if Required() {
		tb.Fatalf("required but missing: %s (%s=all)", what, Env)
	}
	tb.Skipf("skipped: %s (with %s=all this fails)", what, Env)
}
