# suporte: make help lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

GO      ?= go
BIN     := bin/suporte
DATA    ?= data
FLOWS   ?= flows.yaml
export CGO_ENABLED := 1
export PATH := $(PATH):/usr/local/go/bin

# Debian packages the tests use: Graphviz checks the dot export, Chromium
# drives the console and the simulated phone in browser tests, PostgreSQL
# (its binaries: tests start throwaway clusters) is the second store.
TEST_PKGS := graphviz chromium postgresql
TEST_CMDS := dot chromium
TEST_FILES := /usr/lib/postgresql/*/bin/initdb

# make bench: how many simulated customers, and the open loop's offered rate.
CUSTOMERS ?= 10000
RATE      ?= 1000

# make crash: how many times the crash test stops the demo under traffic,
# and how many customers chat meanwhile (make test runs 4 and 5).
CRASH_ROUNDS    ?= 30
CRASH_CUSTOMERS ?= 5

.PHONY: help build run demo test deps lint fmt clean bench crash failover

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  \033[1m%-8s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/suporte
	$(GO) build -trimpath -o $(BIN) ./cmd/suporte

run: build ## run the service (state in ./data, flows from ./flows.yaml)
	$(BIN) run --data $(DATA) --flows $(FLOWS)

demo: build ## run everything on this machine with a simulated WhatsApp (state in ./data-demo, never ./data)
	$(BIN) demo --data $(DATA)-demo --flows $(FLOWS)

test: deps ## vet and run every test with the race detector
	$(GO) vet ./...
	@test -z "$$(gofmt -l . | tee /dev/stderr)" || (echo "gofmt: files above need formatting (make fmt)"; exit 1)
	$(GO) test -race -count=1 ./...
	@echo "# routing measured on every labelled set (under the race detector, an eighth of them)"
	$(GO) test -count=1 -run 'TestRoutingLabelledSet$$' ./flows
	@echo "# every benchmark once, at a small size (-short), so none of them rots"
	$(GO) test -race -count=1 -short -run '^$$' -bench . -benchtime 1x ./...

deps: ## install what the tests need (Debian packages), if missing
	@missing=0; for c in $(TEST_CMDS); do command -v $$c >/dev/null || missing=1; done; \
	for f in $(TEST_FILES); do test -e $$f || missing=1; done; \
	if [ $$missing = 1 ]; then \
		echo "installing $(TEST_PKGS)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(TEST_PKGS) >/dev/null; \
	fi

bench: build deps ## measure the engine against SQLite's, then PostgreSQL's, own commit rate (CUSTOMERS=10000 RATE=1000)
	@echo "# closed loop: as fast as it goes, on SQLite and on a throwaway durable PostgreSQL cluster (ratio_pg)"
	$(BIN) bench --customers $(CUSTOMERS) --postgres temp
	@echo "# open loop: $(RATE) messages/s offered"
	$(BIN) bench --customers $(CUSTOMERS) --rate $(RATE)
	@echo "# memory left behind by finished conversations (target: 0)"
	$(GO) test -run '^$$' -bench RetainedPerConversation -benchtime 5000x ./bot

crash: ## SIGKILL/SIGTERM the demo under traffic and restart it, CRASH_ROUNDS times (30), then check nothing was lost, doubled or reordered
	$(GO) test -race -count=1 -timeout 30m -run 'TestCrash$$' -v ./cmd/suporte -crash.rounds=$(CRASH_ROUNDS) -crash.customers=$(CRASH_CUSTOMERS)

# make failover: how many times the line's owner is killed, and how many
# customers chat meanwhile (make test runs 2 and 4).
FAILOVER_KILLS     ?= 20
FAILOVER_CUSTOMERS ?= 6

failover: ## two demos on one PostgreSQL: SIGKILL the line's owner FAILOVER_KILLS times (20); the standby must take over within 30 s, nothing lost, doubled or reordered
	$(GO) test -race -count=1 -timeout 60m -run 'TestFailover$$' -v ./cmd/suporte -failover.kills=$(FAILOVER_KILLS) -failover.customers=$(FAILOVER_CUSTOMERS)

lint: build ## check flows.yaml (problems as FILE:LINE:COL)
	$(BIN) flows lint $(FLOWS)

fmt: ## format the Go code
	gofmt -w .

clean: ## remove build output (keeps ./data)
	rm -rf bin
