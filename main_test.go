package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// wantUsage is the usage text, held here so that a change to the command
// table shows as a change of what people read.
const wantUsage = `整改通 zhenggai: the rectification campaign bot.

Usage:
  zhenggai serve                                  migrate, then run the bot
  zhenggai migrate                                apply database migrations
  zhenggai campaign apply -f FILE                 create or update the campaign from a YAML file
  zhenggai campaign code (--person KEY | --enterprise KEY --contact NAME) [--days N]
                                                  issue a single-use binding code
  zhenggai campaign group --unit KEY              create the unit's WeCom app group
  zhenggai ledger export -o FILE.xlsx [--unit KEY]
  zhenggai ledger import -f FILE.xlsx
  zhenggai clue export -o FILE.xlsx
  zhenggai clue import -f FILE.xlsx
  zhenggai milestone export --key KEY -o DIR      every unit's package of a milestone (the 总结 materials)
  zhenggai evidence export -o DIR [--unit KEY] [--item NUMBER]
                                                  the items' files (佐证) in folders per unit and item, with manifest.csv
  zhenggai report monthly --period YYYY-MM -o FILE.xlsx
  zhenggai dashboard link --person KEY            print a single-use 看板 login link for the person (10 minutes)
  zhenggai tick --now RFC3339                     run what the scheduler would run at that instant
  zhenggai audit verify [--anchor ID:HEX]... [--anchors FILE]
                                                  check the audit log's hash chain (and that it
                                                  still passes through each anchor)
  zhenggai audit anchor                           print the chain's head: audit-anchor ID HEX
  zhenggai doctor                                 check configuration, database and platforms
  zhenggai demo load                              give the demo campaign a history up to now
                                                  (only the demo campaign, only when it is empty)
  zhenggai healthcheck [URL]                      exit 0 when /healthz answers (for container health checks)

Configuration comes from the environment (see README.md).
`

func TestUsageText(t *testing.T) {
	if got := usage(); got != wantUsage {
		t.Errorf("usage text:\n%s\nwant:\n%s", got, wantUsage)
	}
}

// TestCommandTable: every command runs one way, and its usage lines name it.
func TestCommandTable(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range commands {
		if seen[c.name] {
			t.Errorf("%s listed twice", c.name)
		}
		seen[c.name] = true
		if (c.run == nil) == (c.bare == nil) {
			t.Errorf("%s: needs exactly one of run and bare", c.name)
		}
		if len(c.usage) == 0 {
			t.Errorf("%s: no usage line", c.name)
		}
		for _, u := range c.usage {
			if !strings.HasPrefix(u.form+" ", "zhenggai "+c.name+" ") {
				t.Errorf("%s: usage line %q is another command's", c.name, u.form)
			}
		}
	}
}

// TestDispatchWithoutDatabase: help prints the usage on stdout; no command,
// an unknown one, print it on stderr with status 2, before any
// configuration is read; healthcheck needs none either.
func TestDispatchWithoutDatabase(t *testing.T) {
	ctx := context.Background()
	noEnv := func(string) string { return "" }
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		var out, errOut bytes.Buffer
		if code := run(ctx, args, noEnv, &out, &errOut); code != 0 || out.String() != wantUsage || errOut.Len() != 0 {
			t.Errorf("%v: status %d, stdout %d bytes, stderr %q", args, code, out.Len(), errOut.String())
		}
	}
	for _, args := range [][]string{nil, {"bogus"}, {"Serve"}} {
		var out, errOut bytes.Buffer
		if code := run(ctx, args, noEnv, &out, &errOut); code != 2 || errOut.String() != wantUsage || out.Len() != 0 {
			t.Errorf("%v: status %d, stderr %d bytes, stdout %q", args, code, errOut.Len(), out.String())
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"healthcheck", srv.URL + "/healthz"}, noEnv, &out, &errOut); code != 0 {
		t.Errorf("healthcheck of a live /healthz: status %d, %s", code, errOut.String())
	}
}
