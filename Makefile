# fedmatch — the two set-up commands are `make demo` and `make test`.
# Tools the tests use (a real nats-server, the stock opa CLI, staticcheck)
# are installed into ./bin with `go install`, at the versions go.mod pins.

GO        ?= go
BIN       := $(CURDIR)/bin
NATS_VER  := $(shell $(GO) list -m -f '{{.Version}}' github.com/nats-io/nats-server/v2)
OPA_VER   := $(shell $(GO) list -m -f '{{.Version}}' github.com/open-policy-agent/opa)
STATICCHECK_VER := v0.8.2
FUZZTIME  ?= 10s

.PHONY: all build demo eval test test-go test-rego tools lint bench fuzz tidy clean

all: build

build:
	$(GO) build -o $(BIN)/fedmatch ./cmd/fedmatch

## demo: run a throwaway federation and the scripted queries (no set-up)
demo: build
	$(BIN)/fedmatch demo

$(BIN)/nats-server:
	GOBIN=$(BIN) $(GO) install github.com/nats-io/nats-server/v2@$(NATS_VER)

$(BIN)/opa:
	GOBIN=$(BIN) $(GO) install github.com/open-policy-agent/opa@$(OPA_VER)

$(BIN)/staticcheck:
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VER)

tools: $(BIN)/nats-server $(BIN)/opa

## test: every Go test (with a real nats-server binary) and the Rego tests
## under the stock opa CLI
test: test-go test-rego

test-go: $(BIN)/nats-server
	FEDMATCH_NATS_SERVER=$(BIN)/nats-server $(GO) test -count=1 ./...

test-rego: $(BIN)/opa build
	$(BIN)/opa test policies/
	$(BIN)/opa fmt --list --fail policies/
	@# A bundle built and signed by the stock CLI is accepted by a node, and refused under another agency's key.
	@d=$$(mktemp -d) && trap 'rm -rf $$d' EXIT && \
	$(BIN)/fedmatch certs init --dir $$d/fed --agencies gb-home-office,us-dhs >/dev/null && \
	$(BIN)/opa build -b policies/ --signing-alg EdDSA --signing-key $$d/fed/agencies/gb-home-office/key.pem -o $$d/bundle.tar.gz && \
	$(BIN)/fedmatch policy verify-bundle --fed $$d/fed --agency gb-home-office $$d/bundle.tar.gz && \
	! $(BIN)/fedmatch policy verify-bundle --fed $$d/fed --agency us-dhs $$d/bundle.tar.gz 2>/dev/null && \
	echo "ok  stock opa bundle signed with EdDSA: accepted for its signer, refused for another agency"

## lint: gofmt, go vet, staticcheck; fails if anything would change
lint: $(BIN)/staticcheck
	@test -z "$$(gofmt -l .)" || (gofmt -l . && echo "gofmt would change the files above" && exit 1)
	$(GO) vet ./...
	$(BIN)/staticcheck ./...

## bench: cost of each step, and a federation of 3 nodes x 100,000 records
## end to end against the same match in-process
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(BIN)/fedmatch bench --records 100000

## eval: the matcher on FEBRL datasets 1-3 (originals as records, duplicates as
## probes), cross-script names, FVC2002 fingerprints, synthetic biometrics
eval: build
	@for d in 1 2 3; do echo "== FEBRL dataset$$d"; \
		$(BIN)/fedmatch eval febrl --records ../shared/data/febrl/dataset$$d.csv --probes ../shared/data/febrl/dataset$$d.csv || exit 1; done
	@echo "== cross-script names (Wikidata pairs)"
	$(BIN)/fedmatch eval names ../shared/data/names/wd_*_20.tsv
	@echo "== fingerprints (FVC2002 B templates)"
	$(BIN)/fedmatch eval fingerprints --dir ../shared/data/biometrics/fvc2002-iso
	@echo "== biometrics (FVC2002, synthetic fingers, 1,000,000 synthetic faces)"
	$(BIN)/fedmatch eval biometrics --dir ../shared/data/biometrics/fvc2002-iso

## fuzz: run every fuzz target for FUZZTIME (seeds in testdata/fuzz)
fuzz:
	@for t in FuzzVerifyQuery FuzzVerifyAnswer FuzzProbe FuzzDecodeNodeReply FuzzDecodeBrokerReply FuzzQueryContent FuzzAnswerContent; do \
		$(GO) test ./wire -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) || exit 1; done
	$(GO) test ./node/store -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME)
	$(GO) test ./audit -run '^$$' -fuzz '^FuzzScan$$' -fuzztime $(FUZZTIME)
	$(GO) test ./node/policy -run '^$$' -fuzz '^FuzzBundleFS$$' -fuzztime $(FUZZTIME)
	$(GO) test ./node/finger -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./node/match/mrz -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	@for t in FuzzMatch FuzzParseModel FuzzParseTransliteration; do \
		$(GO) test ./node/match -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) || exit 1; done

tidy:
	$(GO) mod tidy

clean:
	rm -rf $(BIN)
