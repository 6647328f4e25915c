#!/usr/bin/env bash
# Runs every fuzz target in the module for a fixed number of executions (default 20000 each).
#
# The budget is a count ("20000x"), not a duration: with a duration, Go 1.26's fuzz coordinator
# can report a spurious "context deadline exceeded" when the deadline fires while a worker is
# mid-call on a busy machine (golang/go#75804, fixed in Go 1.27). A count has no deadline to race.
# A real finding still fails the run and writes its input under testdata/fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
budget=${1:-20000x}
for pkg in $(go list ./...); do
	for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		echo "fuzz $pkg $target ($budget)"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "$budget" -fuzzminimizetime 100x "$pkg" >/tmp/civicdesk-fuzz.log 2>&1 || { cat /tmp/civicdesk-fuzz.log; exit 1; }
	done
done
