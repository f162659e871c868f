# Tributary build. `make demo` runs the seed pipeline; `make test` runs every test.
SHELL := /bin/bash
TOOLS_BIN ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/tributary/bin
export PATH := $(TOOLS_BIN):$(PATH)
GO ?= go
BIN := bin
PLUGINS := $(notdir $(patsubst %/,%,$(dir $(wildcard plugins/*/main.go))))
# VERSION and COMMIT are what GET / and ServerInfo report (kernel/version), set at link time.
VERSION ?= $(shell git describe --tags --abbrev=0 2>/dev/null || echo 0.1.0-dev)
COMMIT ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X github.com/tributary-dev/tributary/kernel/version.Version=$(VERSION) -X github.com/tributary-dev/tributary/kernel/version.Commit=$(COMMIT)

.PHONY: all build install build-race proto tools test test-short test-race vet fmt fuzz fuzz-ci demo demo-cdc demo-orders bench chaos clean cluster

all: build

build:
	@mkdir -p $(BIN)/plugins
	@if [ ! -x $(BIN)/tributary ]; then echo "make build: first build; go compiles every dependency (about 3 minutes on 2 cores), then one binary per plugin"; fi
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/tributary ./cmd/tributary
	@for p in $(PLUGINS); do echo "$(GO) build -o $(BIN)/plugins/tributary-$$p ./plugins/$$p"; \
	  $(GO) build -o $(BIN)/plugins/tributary-$$p ./plugins/$$p || exit 1; done
	$(GO) build -o $(BIN)/plugins/tributary-example-go ./plugins/examples/go
	plugins/examples/python/build.sh $(BIN)/plugins/tributary-pycounter

# install puts tributary on PATH: a link in GOBIN (when set), else /usr/local/bin, to
# bin/tributary, so the plugins beside it (bin/plugins) are still found. It prints where.
INSTALL_DIR ?= $(or $(shell $(GO) env GOBIN),/usr/local/bin)
install: build
	@mkdir -p $(INSTALL_DIR)
	@ln -sf $(CURDIR)/$(BIN)/tributary $(INSTALL_DIR)/tributary
	@echo "installed: $(INSTALL_DIR)/tributary -> $(CURDIR)/$(BIN)/tributary (plugins: $(CURDIR)/$(BIN)/plugins)"
	@case ":$$PATH:" in *":$(INSTALL_DIR):"*) ;; *) echo "note: $(INSTALL_DIR) is not on your PATH; add it, or run $(INSTALL_DIR)/tributary";; esac

# build-race builds the same binaries with -race into bin/race/ for the tests that launch
# them (make test points TRIBUTARY_BIN there), so a data race in a spawned kernel or plugin
# fails the test that ran it. Release builds (make build) stay plain.
RACE_BIN := $(BIN)/race
build-race:
	@mkdir -p $(RACE_BIN)/plugins
	$(GO) build -race -ldflags '$(LDFLAGS)' -o $(RACE_BIN)/tributary ./cmd/tributary
	@for p in $(PLUGINS); do echo "$(GO) build -race -o $(RACE_BIN)/plugins/tributary-$$p ./plugins/$$p"; \
	  $(GO) build -race -o $(RACE_BIN)/plugins/tributary-$$p ./plugins/$$p || exit 1; done
	$(GO) build -race -o $(RACE_BIN)/plugins/tributary-example-go ./plugins/examples/go
	plugins/examples/python/build.sh $(RACE_BIN)/plugins/tributary-pycounter

tools:
	scripts/install-tools.sh

proto:
	scripts/install-tools.sh buf protoc-gen-go protoc-gen-go-grpc protoc-gen-go-vtproto
	buf lint
	buf generate

# test runs every test: unit, integration with real processes, and the client tools they use;
# the processes it launches are the -race builds (bin/race), and every fuzz target runs 7 s.
test: build build-race
	scripts/install-test-deps.sh
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	TRIBUTARY_BIN=$(CURDIR)/$(RACE_BIN) $(GO) test -race -timeout 20m ./...
	$(MAKE) fuzz-ci

# fuzz runs every fuzz target in the repository for FUZZTIME each (go test runs one target
# per invocation); new failing inputs land in the package's testdata/fuzz, where plain
# go test replays them. fuzz-ci is the same for 7 s each, as make test runs it (31 targets:
# 10 s each brought a fresh-clone CI run to 18m20s of its 20-minute budget on 2 cores).
# Go 1.26's fuzz coordinator can fail a target with a bare "context deadline exceeded" at
# the end of -fuzztime on a loaded machine (go.dev/issue/75804, fixed in Go 1.27): such a
# run, which wrote no failing input, is reported and not counted as a failure.
FUZZTIME ?= 30s
fuzz:
	@set -e; log=$$(mktemp); trap 'rm -f $$log' EXIT; \
	grep -rlE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]+\(' . | sort | while read -r f; do \
	  for t in $$(sed -nE 's/^func (Fuzz[A-Za-z0-9_]+)\(.*/\1/p' "$$f"); do \
	    echo "$(GO) test -run '^$$' -fuzz '^$$t$$' -fuzztime $(FUZZTIME) $$(dirname $$f)"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) "$$(dirname $$f)" 2>&1 | tee $$log; \
	    [ $${PIPESTATUS[0]} -eq 0 ] && continue; \
	    if grep -qx '    context deadline exceeded' $$log && ! grep -q 'Failing input written to' $$log; then \
	      echo "fuzz: $$t: Go's fuzztime deadline race (go.dev/issue/75804), no failing input: not a failure"; \
	    else exit 1; fi; \
	  done; done

fuzz-ci:
	$(MAKE) fuzz FUZZTIME=7s

test-short:
	$(GO) test -short ./...

demo: build
	scripts/demo.sh

# demo-cdc runs the PostgreSQL → Kafka → Elasticsearch pipeline (Debezium and Confluent
# manifests unchanged); it needs apt's postgresql, which make test installs.
demo-cdc: build
	scripts/examples/postgres-to-elasticsearch/run.sh

# demo-orders runs the seed's closing exercise: one Debezium change stream read by the
# Elasticsearch and the S3 sink at once; it needs postgresql and versitygw, which make
# test installs.
demo-orders: build
	scripts/install-tools.sh versitygw
	scripts/examples/orders-to-elasticsearch-and-s3/run.sh

bench: build
	scripts/bench.sh $(BENCH_FLAGS)

# chaos runs the fault-injection suite (cmd/tributary TestChaos) against a 3-node cluster of
# race-built binaries for CHAOS_MINUTES (default 30); make test runs one round of it.
# CHAOS_SEED=N replays a schedule.
CHAOS_MINUTES ?= 30
chaos: build-race
	TRIBUTARY_BIN=$(CURDIR)/$(RACE_BIN) CHAOS_MINUTES=$(CHAOS_MINUTES) $(GO) test -race -count=1 -v \
	  -timeout $$(( $(CHAOS_MINUTES) + 15 ))m -run '^TestChaos$$' ./cmd/tributary

cluster: build
	scripts/cluster.sh

clean:
	rm -rf $(BIN)
