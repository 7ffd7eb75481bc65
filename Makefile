GO ?= go
BIN := bin/sesame

.PHONY: all build test bench fuzz dev dev-reset fmt vet clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/sesame

vet:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi

## test: vet, gofmt, and every test with the race detector (real PostgreSQL and Redis).
test: vet
	$(GO) test -race -count=1 ./...

## bench: Go benchmarks.
bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

## fuzz: a short run of every fuzz target.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=10s $$pkg || exit 1; \
	  done; \
	done

## dev: a development server at http://127.0.0.1:8080 with demo data; Ctrl-C stops it all.
dev: build
	@if [ -z "$$SESAME_DATABASE_URL" ] || [ -z "$$SESAME_REDIS_URL" ]; then .ci/install-deps; fi
	./$(BIN) dev

## dev-reset: delete the development data (and the PostgreSQL data a 0700 home kept under /var/tmp).
dev-reset:
	@t=$$(readlink .dev/postgres 2>/dev/null); case "$$t" in /var/tmp/sesame-postgres-*) rm -rf "$$t";; esac
	rm -rf .dev

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
