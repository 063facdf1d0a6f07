# evsed — the two commands a newcomer needs are `make run` and `make test`.
# Both install the Debian packages they need first (`make deps`).

SWIFT        ?= swift
BOARD        ?= boards/sim.toml
APT_PACKAGES := pkg-config libmodbus-dev libgpiod-dev libi2c-dev socat mbpoll
# sudo only when not root.
SUDO         := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: deps build run test scenarios clean

## deps: install the missing Debian packages (quiet when all are there)
deps:
	@command -v $(SWIFT) >/dev/null || { echo "evsed needs Swift 6.1 or later on PATH (https://www.swift.org/install/linux/)"; exit 1; }
	@missing=""; \
	for package in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$package 2>/dev/null | grep -q '^install ok installed$$' || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

## build: compile evsed (debug)
build: deps
	$(SWIFT) build

## run: evsed on the simulated board, in this terminal (Ctrl-C stops it)
run: build
	"$$($(SWIFT) build --show-bin-path)/evsed" run --board $(BOARD)

## test: the whole test suite
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## scenarios: run every shipped scenario with its checks
scenarios: build
	@for scenario in boards/scenarios/*.toml; do \
	  "$$($(SWIFT) build --show-bin-path)/evsed" simulate --scenario $$scenario --readings 0 --check > /dev/null || exit 1; \
	done

clean:
	$(SWIFT) package clean
