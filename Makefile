# The two commands a newcomer needs:
#   make run    start the API with reference and demo data and GraphiQL on http://localhost:8080
#   make test   run every check and test
# Both use DATABASE_URL when it is set; otherwise they start a private,
# throwaway PostgreSQL under .data/ (installing PostgreSQL with apt if it is
# missing and you are root). See scripts/with-postgres.sh.

GO          ?= go
GOFILES_DIRS = cmd graph internal
# what `hingraph version` prints (a plain go build reads them from its build info instead)
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)
COMMIT      ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS      = -X main.version=$(VERSION) -X main.commit=$(COMMIT)
# demo data size for make run: 1 is about 30 thousand outcomes, 100 about 2 million
SCALE       ?= 2
# demo data size for make run-federated (the regions' rows are copied to their nodes at start)
FEDSCALE    ?= 1

.PHONY: run run-federated test check web-check image image-test deploy-check fmt-check vet lint unit audit resilience federation-test browser generate generate-check build web bench bench-peer bench-returns live-bench db-stop db-status help

run: build ## serve the API with reference and demo data (GraphiQL at http://localhost:8080/), and a demo identity provider to sign in with (logins printed)
	@$(GO) build -o bin/hinidp ./devtools/hinidp
	@HINGRAPH_DEMO_SCALE=$(SCALE) scripts/with-postgres.sh scripts/run-dev.sh

run-federated: build ## national node on :8080, regional nodes HI-EM :8081, HI-WEST :8082, UCLP :8083, each on its own PostgreSQL, replicating (Ctrl-C stops all)
	@$(GO) build -o bin/hinfed ./devtools/hinfed
	@HINGRAPH_DEMO_SCALE=$(FEDSCALE) bin/hinfed

test: ## gofmt, go vet, staticcheck, every test, the HTTP audits and the restart check, against a real PostgreSQL
	@scripts/with-postgres.sh $(MAKE) --no-print-directory check

check: web web-check fmt-check generate-check vet lint unit audit resilience federation-test browser image-test

fmt-check:
	@echo "== gofmt"
	@out="$$(gofmt -l $(GOFILES_DIRS))"; if [ -n "$$out" ]; then echo "files need gofmt:"; echo "$$out"; exit 1; fi

vet:
	@echo "== go vet"
	@$(GO) vet ./...

lint:
	@echo "== staticcheck"
	@$(GO) tool staticcheck ./...

unit:
	@echo "== go test"
	@$(GO) test -count=1 ./...

audit: ## the graphql-http server audits (npm) against the real server
	@echo "== graphql-http audit"
	@scripts/graphql-http-audit.sh

resilience: ## PostgreSQL restarted under a write load: nothing acknowledged is lost, the service recovers
	@echo "== resilience (database restart under load)"
	@scripts/resilience.sh

federation-test: ## the federated network on several private clusters (national and regional nodes, logical replication)
	@echo "== federation (national and regional nodes on their own clusters)"
	@$(GO) vet -tags federation ./cmd/hingraph/
	@log=$$(mktemp); $(GO) test -count=1 -p 1 -tags federation -run 'TestFederation' -v ./cmd/hingraph/ >$$log 2>&1; rc=$$?; \
	if [ $$rc -eq 0 ]; then grep -E -e '--- |federation_test.go:[0-9]+: (replication lag|HI-EM marked|national caught|moved|composed|HI-EM.s approval)' $$log; else tail -n 200 $$log; fi; rm -f $$log; exit $$rc

generate: ## regenerate gqlgen code and direct execution's table (graph/direct_gen.go) after editing schema.graphqls
	$(GO) run ./devtools/gqlgen

# make generate must leave the tree as it was: the generated files are
# checked in, and direct execution reads graph/direct_gen.go. The files are
# compared before and after, so uncommitted edits elsewhere do not count.
GENERATED_STATE = find graph -type f -name '*.go' | LC_ALL=C sort | xargs sha256sum
generate-check: ## regenerate, and fail if that changes any file under graph/
	@echo "== make generate leaves the tree unchanged"
	@before=$$(mktemp); $(GENERATED_STATE) > $$before; \
	out="$$($(GO) run ./devtools/gqlgen 2>&1)" || { echo "$$out" | grep -v 'nothing matched$$'; rm -f $$before; exit 1; }; \
	$(GENERATED_STATE) | diff $$before - ; rc=$$?; rm -f $$before; \
	if [ $$rc -ne 0 ]; then echo "make generate changed the files above: run it and commit the result"; exit 1; fi

build: web ## build bin/hingraph (with the browser assets)
	@$(GO) build -ldflags '$(LDFLAGS)' -o bin/hingraph ./cmd/hingraph

# The bundle is rebuilt only when a source, the build script or the lock file changed.
WEB_SOURCES = web/package.json web/package-lock.json web/build.mjs $(wildcard web/src/*)

web: web/dist/BUILT ## bundle GraphiQL and the dashboard from pinned npm packages into web/dist (embedded)

web/dist/BUILT: $(WEB_SOURCES)
	@scripts/web.sh

image: web ## OCI image (static binary on scratch, non-root) into bin/hingraph-image.oci.tar with buildah; reproducible per commit
	@VERSION='$(VERSION)' COMMIT='$(COMMIT)' scripts/image.sh

image-test: ## build the image, unpack it and run its entrypoint as its user against PostgreSQL: serve --migrate answers a query
	@echo "== image (unpacked, run as its user)"
	@if scripts/image.sh --tool; then \
		VERSION='$(VERSION)' COMMIT='$(COMMIT)' scripts/image.sh || exit 1; \
		log=$$(mktemp); HINGRAPH_IMAGE='$(CURDIR)/bin/hingraph-image.oci.tar' scripts/with-postgres.sh $(GO) test -count=1 -run '^TestImage$$' -v ./cmd/hingraph >$$log 2>&1; rc=$$?; \
		if [ $$rc -eq 0 ]; then grep -E -e '^(--- |ok)' $$log; else tail -n 100 $$log; fi; rm -f $$log; exit $$rc; \
	else echo "image-test skipped: buildah is not installed and cannot be installed here (needs root and apt-get): apt-get install buildah"; fi

deploy-check: ## validate deploy/kubernetes (strictly as k8s.io/api types) and deploy/compose.yaml (compose-go), offline; also part of make unit
	@$(GO) test -count=1 -run '^(TestKubernetesManifests|TestComposeFile)$$' ./cmd/hingraph

web-check: ## a rebuild of the browser assets matches the committed web/dist byte for byte
	@echo "== web/dist matches web/src"
	@scripts/web.sh --check

browser: ## headless Chromium against GraphiQL and the dashboard, graphql-ws across two server processes
	@echo "== browser and subscription tests"
	@scripts/browser-test.sh

bench: ## dashboard queries through HTTP at ~200k and ~2M outcomes, against plain SQL (BENCHFLAGS to change)
	@scripts/with-postgres.sh $(GO) run ./devtools/hinbench $(BENCHFLAGS)

bench-peer: ## hin-graph against PostGraphile V5 (pinned in bench/postgraphile) over the same scale-10 database (BENCHFLAGS to change)
	@cd bench/postgraphile && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; }
	@scripts/with-postgres.sh $(GO) run ./devtools/hinbench peer $(BENCHFLAGS)

bench-returns: ## bulk returns: rows/s of a CSV return new, resent and restated (5,000 and 50,000 rows) beside a bare INSERT ... SELECT, with the ratio (RETURNSFLAGS to change)
	@scripts/with-postgres.sh $(GO) run ./devtools/hinreturns $(RETURNSFLAGS)

live-bench: build ## live updates: delay from write to 10,000 subscribers of one figure (p50/p99), memory per 1,000 subscriptions, CPU of a 5,000-row burst (LIVEFLAGS to change)
	@scripts/with-postgres.sh $(GO) run ./devtools/hinlive $(LIVEFLAGS)

db-stop: ## stop the local throwaway PostgreSQL if it is running
	@scripts/with-postgres.sh --stop

db-status:
	@scripts/with-postgres.sh --status

help:
	@grep -E '^[a-z-]+:.*## ' Makefile | sed 's/:.*## /\t/'
