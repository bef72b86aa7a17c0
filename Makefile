# `make run` and `make test` do all the set-up on a fresh machine (they install missing system packages).

SWIFT ?= swift
CAVRA := .build/debug/cavra
APT_PACKAGES := libjansson-dev libsqlite3-dev
# The browser tests of the Evidence Console, and the tools the labs and the load smoke run use (make test only).
APT_TEST_PACKAGES := chromium chromium-driver jq curl openssl wrk strace

.PHONY: deps test-deps apt-install build run test lint format fuzz fuzz-build fuzz-policy fuzz-requests fuzz-jwt labs cli-reference bench load clean

deps:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(APT_PACKAGES)"

test-deps: deps
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(APT_TEST_PACKAGES)"

apt-install:
	@missing=""; for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

# The sandbox (sample mode) on 127.0.0.1:8080: the real server with sample data and sample identities.
run: build
	@echo "Starting the CAVRA sandbox: open http://127.0.0.1:8080/ in a browser (Ctrl-C stops it)."
	$(CAVRA) sandbox --port 8080

lint:
	$(SWIFT) format lint --strict -r Sources Tests Fuzz/Sources

format:
	$(SWIFT) format format -i -r Sources Tests Fuzz/Sources

# libFuzzer on the three readers of untrusted input (Fuzz/, a package of its own): policy text, API request bodies
# and bearer tokens, FUZZ_SECONDS each. Findings land in .build-fuzz/artifacts; see docs/fuzzing.md.
FUZZ_SECONDS ?= 300
FUZZ_BIN := Fuzz/.build/release
FUZZ_ARGS = -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1
fuzz: fuzz-policy fuzz-requests fuzz-jwt

fuzz-build: deps
	cd Fuzz && $(SWIFT) build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld
	mkdir -p .build-fuzz/artifacts

fuzz-policy: fuzz-build
	mkdir -p .build-fuzz/corpus
	for f in Tests/Conformance/*/policy.cavra; do cp "$$f" ".build-fuzz/corpus/$$(basename $$(dirname $$f)).cavra"; done
	cp policy/*.cavra policy/tests/*.cavra Benchmarks/policy-50/*.cavra .build-fuzz/corpus/
	$(FUZZ_BIN)/CavraFuzz .build-fuzz/corpus $(FUZZ_ARGS) -max_len=8192 -artifact_prefix=.build-fuzz/artifacts/

fuzz-requests: fuzz-build
	mkdir -p .build-fuzz/corpus-requests
	ASAN_OPTIONS=detect_leaks=0 $(FUZZ_BIN)/CavraFuzzRequests .build-fuzz/corpus-requests Fuzz/corpus-requests \
		$(FUZZ_ARGS) -max_len=16384 -artifact_prefix=.build-fuzz/artifacts/requests-

fuzz-jwt: fuzz-build
	mkdir -p .build-fuzz/corpus-jwt
	ASAN_OPTIONS=detect_leaks=0 $(FUZZ_BIN)/CavraFuzzJWT --write-seeds .build-fuzz/seeds-jwt
	ASAN_OPTIONS=detect_leaks=0 $(FUZZ_BIN)/CavraFuzzJWT .build-fuzz/corpus-jwt .build-fuzz/seeds-jwt \
		$(FUZZ_ARGS) -max_len=20000 -artifact_prefix=.build-fuzz/artifacts/jwt-

# The five labs (labs/0*/run.sh), each run non-interactively with its outcomes checked.
labs: build
	CAVRA=$(CAVRA) bash labs/run-all.sh

# docs/cli-reference.md from every command's --help (CLIReferenceTests fails when it is out of date).
cli-reference: deps
	CAVRA_UPDATE_CLI_REFERENCE=1 $(SWIFT) test --filter CLIReferenceTests

# CAVRA against Cedar, Rego and Casbin (labs/benchmarks/README.md), and the API under load with wrk
# (labs/load/README.md); figures in docs/performance.md. make test runs both in smoke mode.
bench: deps
	bash labs/benchmarks/run.sh

load: deps
	$(SWIFT) build -c release --scratch-path .build-release
	bash labs/load/run.sh

# The release build is part of the test: an optimiser crash must not reach a user.
test: test-deps lint
	$(SWIFT) build --build-tests
	url="$$(bash Tests/postgres/ensure.sh)" && CAVRA_TEST_DATABASE_URL="$$url" $(SWIFT) test
	bash Tests/openapi/validate.sh
	CAVRA=$(CAVRA) bash Tests/openapi/schemathesis.sh
	CAVRA=$(CAVRA) bash labs/run-all.sh
	CAVRA=$(CAVRA) bash labs/benchmarks/run.sh --smoke
	CAVRA=$(CAVRA) bash Tests/console/run.sh
	$(SWIFT) build -c release --scratch-path .build-release
	bash labs/load/run.sh --smoke

clean:
	rm -rf .build
