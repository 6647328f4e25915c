#!/usr/bin/env bash
# Runs every fuzz target in the module for a short time (default 5s each).
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-5s}
for pkg in $(go list ./...); do
	for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		echo "fuzz $pkg $target ($fuzztime)"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime 100x "$pkg" >/tmp/civicdesk-fuzz.log 2>&1 || { cat /tmp/civicdesk-fuzz.log; exit 1; }
	done
done
