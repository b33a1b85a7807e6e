# doppel's entry points for developers and CI (.ci/run calls `make test`).

# Go may be installed without being on PATH (/usr/local/go on our machines).
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)

# Version stamping for `build`; a checkout without tags or commits still builds.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
DATE    ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)
# One set of build flags for `build`, `release` and the Dockerfile (which runs
# `make build`): static, reproducible paths, stamped.
BUILD := CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)'

# What `make release` cross-compiles.
PLATFORMS := linux/amd64 linux/arm64 darwin/arm64

.PHONY: all test test-short build clean localtests release docs

all: build

# Everything, against real MariaDB servers started by the sandbox package.
# DOPPEL_REQUIRE_DB=1 turns "mariadbd not installed" from a skip into a
# failure, so a broken install cannot pass as a green run.
test:
	$(GO) vet ./...
	DOPPEL_REQUIRE_DB=1 $(GO) test -race -count=1 -timeout 25m ./...
	$(MAKE) localtests

# The end-to-end cases in gh-ost's format: ours under localtests/ and gh-ost's
# under ../shared/ghost-localtests/, each a migration of a live table on a
# sandbox replica judged row by row. LOCALTESTS_ARGS passes runner flags and
# a case filter, e.g. LOCALTESTS_ARGS='-v ^tz$'.
localtests: build
	$(GO) run ./localtests $(LOCALTESTS_ARGS)

# Unit tests only: -short makes every test that needs a server skip.
test-short:
	$(GO) test -short -race ./...

# A static binary that runs on any Linux machine an operator copies it to.
build:
	$(BUILD) -o bin/doppel ./cmd/doppel

# Static binaries for every platform in PLATFORMS, named
# doppel-VERSION-OS-ARCH, with their SHA-256 sums in dist/SHA256SUMS.
release:
	rm -rf dist && mkdir -p dist
	set -e; for p in $(PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; \
		GOOS=$$os GOARCH=$$arch $(BUILD) -o dist/doppel-$(VERSION)-$$os-$$arch ./cmd/doppel; \
	done
	cd dist && sha256sum doppel-* > SHA256SUMS && sha256sum -c SHA256SUMS

# Regenerates the documentation pages that come from the code (docs/flags.md);
# a test fails while they are stale.
docs:
	DOPPEL_UPDATE_DOCS=1 $(GO) test -count=1 -run '^TestFlagsDocIsCurrent$$' ./cmd/doppel

clean:
	rm -rf bin dist

# ---------------------------------------------------------------------------
# demo and bench targets go below this line (owned by the demo/bench work).
# ---------------------------------------------------------------------------

# A live migration on a local sandbox: MariaDB primary + replica, a table
# under application writes, doppel migrating it, and a row-by-row check.
demo: setup build
	$(GO) run ./cmd/doppel-demo -doppel bin/doppel

# doppel vs pt-online-schema-change vs ALTER TABLE ... ALGORITHM=COPY on a
# 1M-row sysbench-shaped table, with and without write load (several minutes).
bench: setup build
	$(GO) run ./bench -doppel bin/doppel

# Installs what the demo, the tests and the benchmarks need (Debian/Ubuntu, as root).
setup:
	bash scripts/install-deps

.PHONY: demo bench setup
