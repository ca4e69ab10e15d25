# resilientsink: build, test and benchmark. Every tool is installed here with
# `go install` at a pinned version into .tools/; nothing is assumed on the machine.

GO            ?= go
TOOLS_DIR     := $(CURDIR)/.tools
BUILD_DIR     := $(CURDIR)/_build
OTELCOL       := $(BUILD_DIR)/otelcol-resilient
ANCHOR        := $(BUILD_DIR)/anchor/otelcol-anchor
CONFIG        ?= config/default.yaml

BUILDER_VERSION       := v0.165.0
# mdatagen's version is the one internal/tools/go.mod pins (see $(MDATAGEN) below).
MDATAGEN_VERSION      := $(shell awk '$$1 == "go.opentelemetry.io/collector/cmd/mdatagen" { print $$2 }' internal/tools/go.mod)
GOLANGCI_LINT_VERSION := v2.15.0
TELEMETRYGEN_VERSION  := v0.161.0
BENCHSTAT_VERSION     := v0.0.0-20260908200009-22c9c6c9d4da

BUILDER       := $(TOOLS_DIR)/builder-$(BUILDER_VERSION)/builder
MDATAGEN      := $(TOOLS_DIR)/mdatagen-$(MDATAGEN_VERSION)/mdatagen
GOLANGCI_LINT := $(TOOLS_DIR)/golangci-lint-$(GOLANGCI_LINT_VERSION)/golangci-lint
TELEMETRYGEN  := $(TOOLS_DIR)/telemetrygen-$(TELEMETRYGEN_VERSION)/telemetrygen
BENCHSTAT     := $(TOOLS_DIR)/benchstat-$(BENCHSTAT_VERSION)/benchstat

# Benchmarks: count 6 gives benchstat enough samples; BENCH narrows the set.
BENCH       ?= .
BENCH_COUNT ?= 6
BENCH_PKGS  ?= ./...
# bench-compare: the sub-benchmark key whose values are set side by side.
BENCH_COL   ?= /impl
# bench-e2e: extra runner flags, e.g. '-duration 3s -fixed-duration 3s -reps 1 -dead 10s -fill 5s'.
BENCH_E2E_FLAGS ?=

# Our Go sources (lint, fmt), found without git so a plain copy of the tree works too.
GO_FILES = $$(find . -name '*.go' -not -path './_build/*' -not -path './.tools/*' -not -path './.git/*')

.DEFAULT_GOAL := test
.PHONY: test unit-test e2e k8s-test monitoring-test docker anchor bench-e2e bench-persist vet bench bench-compare lint fmt generate otelcol run tools clean fuzz

## test: vet, race-enabled tests of every package (fuzz seed corpora included),
## then the end-to-end suite against the built distribution, the Kubernetes
## manifest checks and the operations pack checks.
test: vet unit-test e2e k8s-test monitoring-test

# The allocation tests run once more without -race: under the race detector
# sync.Pool drops records on purpose, so zero allocations can only be checked
# without it.
unit-test:
	$(GO) test -race -timeout 240s ./...
	$(GO) test -count 1 -timeout 240s -run 'Allocate' ./internal/...

## fuzz: run every fuzz target of the module for FUZZTIME each (default 5m),
## minimizing a failure for at most FUZZMINIMIZETIME, with FUZZPARALLEL workers
## (default 1: the machine is shared). A failing target's input is written to
## its package's testdata/fuzz/<target>/ (it then runs in `make test`); the
## other targets still run, and the make fails at the end naming the failures.
FUZZTIME         ?= 5m
FUZZMINIMIZETIME ?= 1m
FUZZPARALLEL     ?= 1
fuzz:
	@failed=""; \
	for line in $$($(GO) list -f '{{.ImportPath}}={{.Dir}}' ./...); do \
		pkg=$${line%%=*}; dir=$${line#*=}; \
		for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$$dir"/*_test.go 2>/dev/null | sort -u); do \
			echo "== $$t in $$pkg for $(FUZZTIME)"; \
			$(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) -parallel $(FUZZPARALLEL) "$$pkg" || failed="$$failed $$pkg.$$t"; \
		done; \
	done; \
	if [ -n "$$failed" ]; then echo "make fuzz: failed:$$failed" >&2; exit 1; fi

## e2e: end-to-end suite (e2e/, build tag e2e) on _build/otelcol-resilient driven by telemetrygen.
e2e: otelcol $(TELEMETRYGEN)
	OTELCOL_BIN=$(OTELCOL) TELEMETRYGEN_BIN=$(TELEMETRYGEN) $(GO) test -tags e2e -count 1 -timeout 15m ./e2e/...

## k8s-test: render deploy/kubernetes with kustomize (own Go module, to keep the
## Kubernetes dependencies out of ours) and check the manifests, the Dockerfile,
## and the embedded configs with `otelcol-resilient validate`.
k8s-test: otelcol
	cd deploy/kubernetes/manifesttest && OTELCOL_BIN=$(OTELCOL) $(GO) test -race -count 1 -timeout 240s ./...

## monitoring-test: the operations pack (deploy/grafana, deploy/prometheus,
## deploy/kubernetes/components/monitoring) in its own Go module, to keep the
## Prometheus dependencies out of ours: parses every rule and dashboard query,
## then fires the rules on real scrapes of the distribution with a dead downstream.
monitoring-test: otelcol
	cd deploy/monitoringtest && OTELCOL_BIN=$(OTELCOL) $(GO) test -race -count 1 -timeout 300s ./...

## docker: build the otelcol-resilient:dev image (the same ocb build as `otelcol`).
docker:
	@if docker info >/dev/null 2>&1; then \
		docker build -t otelcol-resilient:dev . ; \
	else \
		echo "make docker: no Docker engine reachable (docker info failed); run 'docker build -t otelcol-resilient:dev .' where one runs" >&2; \
		exit 1; \
	fi

## vet: go vet here, and cross-compiled for darwin and windows (with and without
## the e2e tag), so that platform-specific code keeps building everywhere.
## bench/persistbench is its own module (contrib's storage dependencies stay out
## of ours): vetted here, and its quick delivery test run, so it keeps building.
vet:
	$(GO) vet -tags e2e ./...
	cd bench/persistbench && $(GO) vet ./... && $(GO) test -count 1 -timeout 120s ./...
	GOOS=darwin $(GO) vet ./...
	GOOS=darwin $(GO) vet -tags e2e ./...
	GOOS=windows $(GO) vet ./...
	GOOS=windows $(GO) vet -tags e2e ./...

## bench: every benchmark, BENCH_COUNT times, in a form benchstat reads.
bench:
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -count $(BENCH_COUNT) $(BENCH_PKGS)

## bench-compare: run `bench` into _build/bench.txt and show it with benchstat,
## one column per value of BENCH_COL (ours next to the baseline of the same run), e.g.
##   make bench-compare BENCH=ProducerConsumer BENCH_PKGS=./internal/ringqueue
bench-compare: $(BENCHSTAT)
	mkdir -p $(BUILD_DIR)
	$(MAKE) --no-print-directory bench > $(BUILD_DIR)/bench.txt
	$(BENCHSTAT) -col '$(BENCH_COL)' $(BUILD_DIR)/bench.txt

## anchor: build the upstream-only anchor distribution (bench/e2e/builder-anchor.yaml) into _build/anchor/.
anchor: $(BUILDER)
	mkdir -p $(BUILD_DIR)
	$(BUILDER) --config bench/e2e/builder-anchor.yaml

## bench-e2e: side-by-side end-to-end benchmark against the anchor (about 26 minutes with the tiers case);
## rewrites the bench-e2e section of BENCHMARKS.md.
bench-e2e: otelcol anchor $(TELEMETRYGEN)
	$(GO) run ./bench/e2e/cmd/benchrunner -otelcol $(OTELCOL) -anchor $(ANCHOR) \
		-telemetrygen $(TELEMETRYGEN) -out BENCHMARKS.md $(BENCH_E2E_FLAGS)

## bench-persist: issue 12's in-process persistence benchmark (bench/persistbench,
## own module): records/s with 1, 4 and 16 producers, the collector's persistent
## sending_queue on file_storage (fsync on, off) against resilientsink write_ahead
## (sync on, off), side by side with benchstat. BENCH_COUNT interleaved rounds
## (every variant once per round: the disk's fsync time drifts), about 4 minutes.
bench-persist: $(BENCHSTAT)
	mkdir -p $(BUILD_DIR)
	cd bench/persistbench && $(GO) test -c -o $(BUILD_DIR)/persistbench.test .
	rm -f $(BUILD_DIR)/bench-persist.txt
	for i in $$(seq $(BENCH_COUNT)); do \
		(cd $(BUILD_DIR) && ./persistbench.test -test.run '^$$' -test.bench '$(BENCH)' -test.count 1 -test.timeout 30m) >> $(BUILD_DIR)/bench-persist.txt || exit 1; \
	done
	$(BENCHSTAT) -col /impl $(BUILD_DIR)/bench-persist.txt

## lint: gofmt check, go vet, golangci-lint (pinned, config in .golangci.yml).
lint: vet $(GOLANGCI_LINT)
	@out="$$(gofmt -l $(GO_FILES))"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GOLANGCI_LINT) run ./...
	cd deploy/kubernetes/manifesttest && $(GOLANGCI_LINT) run --config $(CURDIR)/.golangci.yml ./...
	cd deploy/monitoringtest && $(GOLANGCI_LINT) run --config $(CURDIR)/.golangci.yml ./...
	cd bench/persistbench && $(GOLANGCI_LINT) run --config $(CURDIR)/.golangci.yml ./...

fmt:
	gofmt -w $(GO_FILES)

## generate: regenerate mdatagen code and documentation of every component.
generate: $(MDATAGEN)
	PATH="$(dir $(MDATAGEN)):$$PATH" $(GO) generate ./...

## otelcol: build the otelcol-resilient distribution with ocb into _build/.
otelcol: $(BUILDER)
	$(BUILDER) --config builder-config.yaml

## run: build the distribution and run it on $(CONFIG), with the collector's
## default settings (no feature gates: every instance has its own series anyway).
run: otelcol
	$(OTELCOL) --config $(CONFIG)

tools: $(BUILDER) $(MDATAGEN) $(GOLANGCI_LINT) $(TELEMETRYGEN) $(BENCHSTAT)

$(BUILDER):
	GOBIN=$(dir $@) $(GO) install go.opentelemetry.io/collector/cmd/builder@$(BUILDER_VERSION)

# mdatagen is pinned in internal/tools/go.mod: the module proxy serves no
# version list for it, so `go install ...@version` fails here.
$(MDATAGEN): internal/tools/go.mod
	cd internal/tools && GOBIN=$(dir $@) $(GO) install go.opentelemetry.io/collector/cmd/mdatagen

$(GOLANGCI_LINT):
	GOBIN=$(dir $@) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

$(TELEMETRYGEN):
	GOBIN=$(dir $@) $(GO) install github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen@$(TELEMETRYGEN_VERSION)

$(BENCHSTAT):
	GOBIN=$(dir $@) $(GO) install golang.org/x/perf/cmd/benchstat@$(BENCHSTAT_VERSION)

clean:
	rm -rf $(BUILD_DIR)
