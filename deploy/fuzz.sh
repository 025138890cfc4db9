#!/usr/bin/env bash
# deploy/fuzz.sh: runs every Go fuzz target of the repository for a bounded
# time each, and fails on the first crasher.
#
#   bash deploy/fuzz.sh                    # CI: ${ZG_FUZZTIME:-10s} per target
#   ZG_FUZZTIME=5m bash deploy/fuzz.sh     # the long variant
#   bash deploy/fuzz.sh FuzzEvent          # only the targets named
#
# Targets are found, not listed: every `func FuzzXxx(f *testing.F)` in a
# _test.go file (outside testdata) is run in its package with
#   go test -run '^$' -fuzz "^FuzzXxx$" -fuzztime "$ZG_FUZZTIME" ./pkg
# Their seed corpora are the f.Add calls and pkg/testdata/fuzz/FuzzXxx/. A
# crasher is written by go test to pkg/testdata/fuzz/FuzzXxx/<hash>: commit
# it with the fix, and it stays a regression test of plain `go test`.
#
# ZG_FUZZMINIMIZETIME bounds the minimisation of each new input (default
# 3s): go's default of 60s would spend a short run minimising instead of
# fuzzing. No target needs Postgres.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

fuzztime=${ZG_FUZZTIME:-10s}
minimize=${ZG_FUZZMINIMIZETIME:-3s}
only=" $* "

targets=()
while IFS= read -r file; do
  while IFS= read -r name; do
    targets+=("$(dirname "$file") $name")
  done < <(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(f \*testing\.F).*/\1/p' "$file")
done < <(grep -rl --include='*_test.go' --exclude-dir=testdata --exclude-dir=.git '^func Fuzz' . | sort)

if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz.sh: no fuzz targets found" >&2
  exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$SECONDS
ran=0
for t in "${targets[@]}"; do
  pkg=${t% *}
  name=${t#* }
  if [ "$only" != "  " ] && [[ "$only" != *" $name "* ]]; then
    continue
  fi
  echo "fuzz.sh: $name in $pkg for $fuzztime" >&2
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimize" "$pkg" >"$log" 2>&1; then
    cat "$log" >&2
    saved=$(sed -n 's/.*Failing input written to \(testdata\/fuzz\/[^ ]*\).*/\1/p' "$log" | tail -n 1)
    if [ -n "$saved" ]; then
      echo "fuzz.sh: $name failed; the failing input is saved in ${pkg#./}/$saved" >&2
      echo "fuzz.sh: reproduce with: go test -run '^$name/${saved##*/}\$' $pkg" >&2
    else
      echo "fuzz.sh: $name failed (no input saved: a build error or a test failure, see above)" >&2
    fi
    exit 1
  fi
  { grep '^fuzz: elapsed' "$log" | tail -n 1; tail -n 1 "$log"; } >&2
  ran=$((ran + 1))
done
echo "fuzz.sh: $ran targets passed in $((SECONDS - start))s" >&2
