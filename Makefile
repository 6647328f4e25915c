# civicdesk: `make run` opens the kiosk; `make test` runs every test.
SHELL := /bin/bash
GO ?= go
# Debian packages the build and tests need; `make deps` installs the missing ones.
DEB_PACKAGES := ca-certificates git gcc libc6-dev time pkg-config libgl1-mesa-dev xorg-dev \
	xvfb xauth fonts-noto-cjk imagemagick
FUZZTIME ?= 20000x
BENCHTIME ?= 2000x
# Fyne reads the locale from LANG and cannot parse C, C.UTF-8 or POSIX.
ifeq ($(filter-out C C.% POSIX,$(LANG)),)
export LANG := en_US.UTF-8
endif

# Flags for the kiosk under `make run`: a window for development; empty for fullscreen.
RUN_FLAGS ?= --window

.PHONY: deps build run run-phone demo screenshots package test fuzz bench clean

deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
	@command -v $(GO) >/dev/null || { echo "Go 1.26 is needed: install it to /usr/local/go and put /usr/local/go/bin on PATH"; exit 1; }
	@$(GO) mod download

build: deps
	$(GO) build -o bin/ ./cmd/...
	$(GO) build -o bin/civicdesk .

# The kiosk, on an in-process reference central API in demo mode (no --api).
run: build
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ]; then \
		echo "no display: starting the kiosk under Xvfb (nothing to see; use a desktop session, or 'make demo' for the CLI walk-through)"; \
		exec xvfb-run -a -s "-screen 0 1080x1920x24" ./bin/civicdesk $(RUN_FLAGS); \
	fi; \
	exec ./bin/civicdesk $(RUN_FLAGS)

# The phone app, simulated on the desktop (-tags mobile), on the same demo central API.
run-phone: deps
	$(GO) build -tags mobile -o bin/civicdesk-phone .
	./bin/civicdesk-phone --data $${HOME}/.local/share/civicdesk-phone

# The CLI walk-through: a reference central API on 127.0.0.1 and one application's life, step by step.
demo: build
	./scripts/demo.sh

# Every kiosk screen at 1080x1920 and 1920x1080, and the phone at 1080x2340 (scale 3), in both
# languages, rendered under Xvfb.
screenshots: deps
	rm -f docs/screenshots/*.png
	$(GO) build -o bin/screenshots ./internal/screenshots
	xvfb-run -a -s "-screen 0 1080x1920x24" env FYNE_SCALE=1 ./bin/screenshots -size 1080x1920 -out docs/screenshots
	xvfb-run -a -s "-screen 0 1920x1080x24" env FYNE_SCALE=1 ./bin/screenshots -size 1920x1080 -out docs/screenshots
	xvfb-run -a -s "-screen 0 1080x2340x24" env FYNE_SCALE=3 ./bin/screenshots -shell mobile -size 1080x2340 -out docs/screenshots

test: deps
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	$(GO) test -count=1 -tags mobile ./mobile/... .
	./scripts/fuzz.sh $(FUZZTIME)

fuzz: deps
	./scripts/fuzz.sh 1000000x

# Figures go to BENCHMARKS.md; the network benchmark alone takes about five minutes.
bench: build
	$(GO) test -run '^$$' -bench 'Enqueue|BareBolt' -benchmem -benchtime $(BENCHTIME) -count 3 ./app/store/
	$(GO) test -run '^$$' -bench '100k' -benchtime 1x ./app/store/
	$(GO) test -run '^$$' -bench 'Submit' -benchmem ./central/
	$(GO) test -run '^$$' -bench . -benchtime 1x ./kiosk/ ./mobile/
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./integration/

# An installable Linux bundle (civicdesk.tar.xz: binary, icon, .desktop file, Makefile to install).
package: deps
	$(GO) run fyne.io/tools/cmd/fyne@v1.7.4 package -os linux -release

clean:
	rm -rf bin
