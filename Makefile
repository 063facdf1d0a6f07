# evsed — the two commands a newcomer needs are `make run` and `make test`.
# Both install the Debian packages they need first (`make deps`).

SWIFT        ?= swift
BOARD        ?= boards/sim.toml
# The ledger of `make run`: in the user's state directory, so it outlives the checkout.
LEDGER       ?= $(or $(XDG_STATE_HOME),$(HOME)/.local/state)/evsed/ledger.sqlite
# systemd: systemd-analyze, -sysusers and -tmpfiles for the install checks. libcurl and libmosquitto
# carry the alerts, libwebsockets OCPP; mosquitto, openssl and python3-venv (aiosmtpd, ocpp) are the tests' real peers.
APT_PACKAGES := pkg-config libnfc-dev libmicrohttpd-dev libmodbus-dev libgpiod-dev libi2c-dev libsqlite3-dev sqlite3 socat mbpoll systemd \
                libcurl4-openssl-dev libmosquitto-dev libwebsockets-dev mosquitto mosquitto-clients openssl ca-certificates python3 python3-venv chromium
# The guest stage of `make test` (Tests/guest/run.sh): Debian's kernel in QEMU with gpio-sim and i2c-stub.
GUEST_APT_PACKAGES := qemu-system-x86 cpio kmod i2c-tools gcc make linux-headers-amd64 linux-source-6.1
# make bench's reference for the loop's timing: cyclictest, the real-time Linux community's own.
BENCH_APT_PACKAGES := rt-tests
# The SMTP server of the alert tests (aiosmtpd, from PyPI) lives in its own virtual environment.
PEERS_VENV   := Tests/peers/.venv
AIOSMTPD     := aiosmtpd==1.4.6
# The central system of the OCPP tests: the `ocpp` package (OCPP 1.6J, with its JSON schemas) over websockets.
OCPP_PEERS   := ocpp==2.1.0 websockets==17.4
# sudo only when not root.
SUDO         := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

# Installation (make install [PREFIX=/usr/local] [DESTDIR=/staging]).
PREFIX       ?= /usr/local
BINDIR       ?= $(PREFIX)/bin
DATADIR      ?= $(PREFIX)/share/evsed
DOCDIR       ?= $(PREFIX)/share/doc/evsed
UNITDIR      ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR  ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR  ?= $(PREFIX)/lib/tmpfiles.d
# udev reads rules from /etc, /run and /usr/lib only.
UDEVRULESDIR ?= /etc/udev/rules.d
CONFDIR      ?= /etc/evsed
RELEASE_BIN  := .build/release/evsed

.PHONY: deps guest-deps build run test verify bench scenarios fuzz release install uninstall clean

# Installs the Debian packages of $(1) that are missing (quiet when all are there).
define apt_install
	@missing=""; \
	for package in $(1); do \
	  dpkg-query -W -f='$${Status}\n' $$package 2>/dev/null | grep -q '^install ok installed$$' || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

## deps: install the missing Debian packages (quiet when all are there)
deps:
	@command -v $(SWIFT) >/dev/null || { echo "evsed needs Swift 6.1 or later on PATH (https://www.swift.org/install/linux/)"; exit 1; }
	$(call apt_install,$(APT_PACKAGES))

## guest-deps: what the guest stage of `make test` needs: QEMU, i2c-tools, and the kernel's headers
## and sources to build gpio-sim (the kernel and busybox are fetched into .build/guest, not installed)
guest-deps:
	$(call apt_install,$(GUEST_APT_PACKAGES))

## build: compile evsed (debug)
build: deps
	$(SWIFT) build

## run: evsed on the simulated board, in this terminal (Ctrl-C stops it); the sessions go to $(LEDGER)
run: build
	@mkdir -p "$(dir $(LEDGER))"
	"$$($(SWIFT) build --show-bin-path)/evsed" run --board $(BOARD) --ledger "$(LEDGER)"

# The sanitizer passes of `make test`, each in its own build folder: the suites that reach C
# libraries (libmodbus, SQLite, libcurl, libmosquitto, sockets, serial lines, GPIO and I2C seams)
# under AddressSanitizer and LeakSanitizer, and the threaded ones (the daemon, its console, the
# delivery threads, the periodic thread) under ThreadSanitizer. The evsed they start is the
# sanitized one too; TSan stops it at the first race.
ASAN_SUITES := OCPP|ModbusIntegrationTests|LedgerTests|ChannelTests|AlertCommandTests|ConsoleServerTests|MeterCommandTests|I2CTests|GPIOTests|SysfsPWMTests|SystemdTests|FuzzTests|RFIDReaderTests|CardTests|LivePageTests
TSAN_SUITES := OCPPCentralSystemTests|PeriodicThread|ServiceTests|AlertCommandTests|ConsoleTerminalTests|LedgerCommandTests|ConsoleServerTests|ModbusIntegrationTests|ChannelTests|RFIDReaderTests|LivePageTests|HomeAssistantMQTTTests

## test: the whole test suite: the install checks (a staged `make install`), the Swift tests, the
## GPIO and I2C drivers against Linux in QEMU (the guest stage), then the AddressSanitizer and
## ThreadSanitizer passes
test: deps guest-deps $(PEERS_VENV)/.installed
	Tests/install/check-install.sh
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	Tests/guest/run.sh
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan
	LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/sanitizers/lsan.supp \
	  $(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan --filter '$(ASAN_SUITES)'
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	TSAN_OPTIONS=halt_on_error=1 \
	  $(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan --filter '$(TSAN_SUITES)'

## verify: the reachable-state search of the safety rule, a stimulus deeper than make test: up to
## VERIFY_STATES states per board and timing (7 minutes and 1.9 GB at the default)
VERIFY_STATES ?= 1500000
verify: deps
	$(SWIFT) build --build-tests
	EVSED_STATE_SEARCH_LIMIT=$(VERIFY_STATES) $(SWIFT) test --skip-build --filter ReachableStateSearchTests

$(PEERS_VENV)/.installed:
	python3 -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/pip install -q --disable-pip-version-check $(AIOSMTPD) $(OCPP_PEERS)
	touch $@

## bench: every benchmark (about 14 minutes; BENCHMARKS.md explains them); writes bench/results/latest.md and .json
bench: deps guest-deps
	$(call apt_install,$(BENCH_APT_PACKAGES))
	python3 bench/run.py $(BENCH_OPTIONS)

## fuzz: FUZZ_MINUTES (default 10) of fuzzing, a quarter each: the seeded fuzzer (a new seed each
## round), then libFuzzer on the TOML reader, the console and the meter decoding (built in
## .build-fuzz; corpora grow in .build-fuzz/corpus). Stops at the first input that crashes or hangs
## a reader and says where it is kept.
FUZZ_MINUTES ?= 10
LIBFUZZ := $(SWIFT) build --product evsed-libfuzz --sanitize=fuzzer -Xswiftc -DLIBFUZZER --scratch-path .build-fuzz
fuzz: build
	@quarter=$$(( $(FUZZ_MINUTES) * 15 )); end=$$(( $$(date +%s) + quarter )); seed=$$(date +%s); \
	while [ $$(date +%s) -lt $$end ]; do \
	  timeout 600 "$$($(SWIFT) build --show-bin-path)/evsed-fuzz" --seed $$seed --count 50000 --last-input .build/fuzz-last-input . \
	    || { echo "fuzz: seed $$seed broke a reader; its input is in .build/fuzz-last-input"; exit 1; }; \
	  seed=$$((seed + 1)); \
	done
	@mkdir -p .build-fuzz; $(LIBFUZZ) > .build-fuzz/build.log 2>&1 || { grep -v 'Cannot export local symbol' .build-fuzz/build.log; exit 1; }
	@quarter=$$(( $(FUZZ_MINUTES) * 15 )); bin="$$($(LIBFUZZ) --show-bin-path)/evsed-libfuzz"; \
	for reader in toml console modbus; do \
	  mkdir -p .build-fuzz/corpus/$$reader .build-fuzz/crashes; \
	  [ $$reader != toml ] || cp boards/*.toml boards/scenarios/*.toml .build-fuzz/corpus/toml/; \
	  EVSED_FUZZ_READER=$$reader \
	    "$$bin" -max_total_time=$$quarter -timeout=10 -max_len=8192 -artifact_prefix=.build-fuzz/crashes/$$reader- \
	    .build-fuzz/corpus/$$reader > .build-fuzz/$$reader.log 2>&1; status=$$?; \
	  grep -E 'DONE|ERROR|SUMMARY|Test unit written|deadly' .build-fuzz/$$reader.log; \
	  [ $$status -eq 0 ] || { echo "fuzz: libFuzzer broke the $$reader reader; the input is in .build-fuzz/crashes (replay: EVSED_FUZZ_READER=$$reader evsed-libfuzz FILE)"; exit 1; }; \
	done

## scenarios: run every shipped scenario with its checks
scenarios: build
	@for scenario in boards/scenarios/*.toml; do \
	  "$$($(SWIFT) build --show-bin-path)/evsed" simulate --scenario $$scenario --readings 0 --check > /dev/null || exit 1; \
	done

## release: the release binary, with the Swift runtime linked in (the board needs no Swift)
release: deps
	$(SWIFT) build -c release --static-swift-stdlib --product evsed

## install: the binary, the systemd unit, sysusers/tmpfiles/udev files, boards, docs; the default
## board file only where none exists; then (without DESTDIR) create the user and reload systemd
install: release
	install -D -m 0755 -s $(RELEASE_BIN) $(DESTDIR)$(BINDIR)/evsed
	install -d $(DESTDIR)$(UNITDIR)
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' systemd/evsed.service.in > $(DESTDIR)$(UNITDIR)/evsed.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/evsed.service
	install -D -m 0644 systemd/evsed.sysusers $(DESTDIR)$(SYSUSERSDIR)/evsed.conf
	install -D -m 0644 systemd/evsed.tmpfiles $(DESTDIR)$(TMPFILESDIR)/evsed.conf
	install -D -m 0644 systemd/90-evsed.rules $(DESTDIR)$(UDEVRULESDIR)/90-evsed.rules
	install -d $(DESTDIR)$(DATADIR)/boards/scenarios
	install -m 0644 boards/*.toml boards/README.md $(DESTDIR)$(DATADIR)/boards/
	install -m 0644 boards/scenarios/*.toml $(DESTDIR)$(DATADIR)/boards/scenarios/
	install -D -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	@if [ -e "$(DESTDIR)$(CONFDIR)/board.toml" ]; then \
	  echo "kept $(DESTDIR)$(CONFDIR)/board.toml"; \
	else \
	  install -D -m 0640 boards/sim.toml $(DESTDIR)$(CONFDIR)/board.toml; \
	  echo "installed the simulated board as $(DESTDIR)$(CONFDIR)/board.toml: replace it with your board's file"; \
	fi
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
	  systemd-sysusers $(SYSUSERSDIR)/evsed.conf && \
	  systemd-tmpfiles --create $(TMPFILESDIR)/evsed.conf && \
	  chgrp evsed $(CONFDIR)/board.toml && \
	  udevadm control --reload && udevadm trigger --subsystem-match=gpio --subsystem-match=i2c-dev --subsystem-match=pwm && \
	  systemctl daemon-reload && \
	  echo "installed; start it with: systemctl enable --now evsed"; \
	fi

## uninstall: remove what install put in place (not the board file, the ledger or the user)
uninstall:
	-[ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ] && systemctl disable --now evsed
	rm -f $(DESTDIR)$(BINDIR)/evsed $(DESTDIR)$(UNITDIR)/evsed.service \
	  $(DESTDIR)$(SYSUSERSDIR)/evsed.conf $(DESTDIR)$(TMPFILESDIR)/evsed.conf $(DESTDIR)$(UDEVRULESDIR)/90-evsed.rules
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)
	-[ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ] && systemctl daemon-reload
	@echo "kept $(CONFDIR) and /var/lib/evsed (configuration and state)"

clean:
	rm -rf .build-asan .build-tsan
	$(SWIFT) package clean
