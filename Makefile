# `make run` and `make test` do all the set-up on a fresh machine (they install missing system packages).

SWIFT ?= swift
CAVRA := .build/debug/cavra
APT_PACKAGES := libjansson-dev

.PHONY: deps build run test lint format clean

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

# The main job as far as it is built: test the default policy, then explain one decision.
run: build
	$(CAVRA) policy test policy/ --coverage
	$(CAVRA) policy explain policy/ --input docs/examples/escalate-critical-production.json

lint:
	$(SWIFT) format lint --strict -r Sources Tests

format:
	$(SWIFT) format format -i -r Sources Tests

test: deps lint
	$(SWIFT) build --build-tests
	$(SWIFT) test

clean:
	rm -rf .build
