#!/usr/bin/env bash
# The civicdesk demo: the reference central API on 127.0.0.1 in demo mode, and
# one application's whole life driven by hallctl, every command printed.
set -euo pipefail
cd "$(dirname "$0")/.."

data=./demo-data
rm -rf "$data"
mkdir -p "$data"
central_pid=""
cleanup() { [ -n "$central_pid" ] && kill "$central_pid" 2>/dev/null || true; }
trap cleanup EXIT

bold=$'\e[1m'; dim=$'\e[2m'; off=$'\e[0m'
step() { printf '\n%s== %s ==%s\n' "$bold" "$*" "$off"; }
say() { printf '%s%s%s\n' "$dim" "$*" "$off"; }
run() { printf '%s$ %s%s\n' "$bold" "$*" "$off"; "$@"; }

# start_central ADDR: starts the server, waits for its ready line, sets $addr (and $code the first time).
start_central() {
	./bin/central --addr "$1" --data "$data/central" --demo --demo-every 4s \
		--mint-codes 1 --mint-staff hall-admin >"$data/central.out" 2>"$data/central.log" &
	central_pid=$!
	for _ in $(seq 100); do
		[ -s "$data/central.out" ] && break
		sleep 0.1
	done
	line=$(head -n 1 "$data/central.out")
	[ -n "$line" ] || { echo "the central API did not start; its log:"; cat "$data/central.log"; exit 1; }
	addr=$(sed -E 's/.*"addr":"([^"]+)".*/\1/' <<<"$line")
	code=$(sed -E 's/.*"enroll_codes":\["([^"]+)".*/\1/' <<<"$line")
}

hallctl() { ./bin/hallctl --data "$data/kiosk" "$@"; }

step "1. The central API starts (reference server, demo mode, 127.0.0.1)"
start_central 127.0.0.1:0
say "central API at http://$addr, one-time enrolment code $code (log: $data/central.log)"

step "2. The kiosk enrols with its one-time code and gets a device token"
run hallctl --api "http://$addr" enroll --code "$code" --name demo-kiosk
run hallctl catalog --refresh --lang en

step "3. The network goes down"
kill "$central_pid"; wait "$central_pid" 2>/dev/null || true; central_pid=""
say "(the central API is stopped)"

step "4. A resident applies for medical insurance while the kiosk is offline"
run cat scripts/sample-application.json
run hallctl submit scripts/sample-application.json
run hallctl queue

step "5. A sync while offline: nothing is lost, the application stays queued"
set +e
run hallctl sync
rc=$?
set -e
say "(hallctl exited with $rc: 4 means the central API was not reachable)"

step "6. The network is back: the sync sends it and gets a tracking number"
start_central "$addr"
run hallctl sync
id=$(hallctl --json queue --all | sed -nE 's/.*"ID": "([^"]+)".*/\1/p' | head -n 1)
run hallctl status "$id"
say "(kiosk policy: the form values were deleted from the kiosk once the central API had them)"

step "7. The central API moves the application on; the kiosk pulls the changes"
run hallctl sync --watch --interval 3s --for 22s
run hallctl status "$id"

step "8. Receipts export and a health check"
run hallctl export
run hallctl doctor
printf '\n%sDone.%s Data of this run: %s (removed at the next run). Try: ./bin/hallctl --data %s/kiosk help\n' "$bold" "$off" "$data" "$data"
