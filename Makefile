# civicdesk: `make run` shows the whole life of an application; `make test` runs every test.
SHELL := /bin/bash
GO ?= go
# Debian packages the build and tests need; `make deps` installs the missing ones.
DEB_PACKAGES := ca-certificates git gcc libc6-dev
FUZZTIME ?= 5s
BENCHTIME ?= 2000x
export LANG ?= en_US.UTF-8

.PHONY: deps build run test fuzz bench clean

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

# The demo: a reference central API on 127.0.0.1 and one application's life, step by step.
run: build
	./scripts/demo.sh

test: deps
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	./scripts/fuzz.sh $(FUZZTIME)

fuzz: deps
	./scripts/fuzz.sh 60s

# Figures go to BENCHMARKS.md; the network benchmark alone takes about five minutes.
bench: build
	$(GO) test -run '^$$' -bench 'Enqueue|BareBolt' -benchmem -benchtime $(BENCHTIME) -count 3 ./app/store/
	$(GO) test -run '^$$' -bench '100k' -benchtime 1x ./app/store/
	$(GO) test -run '^$$' -bench 'Submit' -benchmem ./central/
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./integration/

clean:
	rm -rf bin
