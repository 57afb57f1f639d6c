# printstation: make test (lint + all tests, what CI runs), make test-fast (lint + the suite
# without reliability and slow tests, under 90 s), make demo, make bench, make reliability-long,
# make deb (the Debian packages; ARCH=arm64 for the Pi), make systemd-rig (the package on a real
# systemd; systemd-rig-arm64: the Pi's), make test-rig (the real Linux USB stack in a qemu
# guest), make test-arm64 (the Pi's packages built, proved on an emulated arm64 machine with
# systemd, and the fast suite run in an arm64 chroot).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: test test-rig test-arm64 test-fast lint reliability-long demo demo-central bench bench-central deb systemd-rig \
	systemd-rig-arm64 clean

# The tree's five distributions (the contract, the log set-up, the station, the central office,
# the test kit), editable, in one pip command: the contract comes from ./contract, never from an
# index.
DISTRIBUTIONS := pyproject.toml contract/pyproject.toml logsetup/pyproject.toml \
	central/pyproject.toml tests/support/pyproject.toml

$(BIN)/.installed: VERSION $(DISTRIBUTIONS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ./contract -e ./logsetup -e '.[test,bench]' -e ./central \
		-e ./tests/support
	touch $@

lint: $(BIN)/.installed
	$(BIN)/ruff check .

# Everything, the USB rig's checks too (tests/rig: one qemu guest, about 3 minutes; they skip,
# saying why, only where the rig cannot run at all). make test-rig runs the rig alone. Not the
# arm64 build (make test-arm64: too long for CI).
test: lint
	$(BIN)/pytest -m "not arm64"

test-rig: $(BIN)/.installed
	tools/rig/rig.sh build
	$(BIN)/pytest -m rig tests/rig

# The Pi's packages under qemu, as root (tools/arm64/README.md): make deb ARCH=arm64 from a
# clean clone, checked (tests/test_arm64_package.py, which leaves them in build/arm64-dist),
# that package on the emulated arm64 machine with systemd (the systemd rig), then make
# test-fast inside the arm64 chroot. 18 min on a quiet 2-core machine, up to an hour under
# load; not in CI.
ARM64_DIST := $(CURDIR)/build/arm64-dist
test-arm64: $(BIN)/.installed
	PRINTSTATION_ARM64_DIST=$(ARM64_DIST) $(BIN)/pytest -m arm64 tests/test_arm64_package.py
	PRINTSTATION_RIG_DEB="$$(ls $(ARM64_DIST)/printstation_*_arm64.deb)" \
		PRINTSTATION_RIG_PYTHON=$(BIN)/python tools/systemd-rig/run.sh arm64
	tools/arm64/test.sh

# Day-to-day: everything but the reliability suite (also ignored by path, marked or not) and
# tests marked slow (subprocess daemons, SIGKILL runs, real broker waits).
test-fast: lint
	$(BIN)/pytest -n 2 -m "not reliability and not slow and not rig and not arm64" --ignore=tests/reliability

# The reliability suite at about five times CI's counts (docs/reliability.md): about 15 minutes.
reliability-long: $(BIN)/.installed
	PRINTSTATION_RELIABILITY=long $(BIN)/pytest -m reliability tests/reliability

# PRINTER=ipp: through a real CUPS queue (as root: cupsd runs the backend; tools/demo_ipp.py).
demo: $(BIN)/.installed
	$(BIN)/python -m tools.demo $(if $(PRINTER),--printer $(PRINTER))

# The central office: the station's cards become SMS through gammu-smsd's dummy phone (needs
# PostgreSQL on 127.0.0.1:5432 with trust auth, and gammu-smsd).
demo-central: $(BIN)/.installed
	$(BIN)/python -m tools.demo_central

# The central office at national scale (docs/benchmarks.md); BENCH_ARGS=--quick for a short run.
bench-central: $(BIN)/.installed
	$(BIN)/python -m bench.central $(BENCH_ARGS)

bench: $(BIN)/.installed
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# The Debian packages (dh-virtualenv): dist/printstation_<version>_<arch>.deb and
# dist/printstation-central_<version>_<arch>.deb. ARCH=arm64 on an amd64 machine: the Pi's,
# built in an arm64 chroot under qemu user emulation, as root (tools/arm64/README.md).
deb:
	ARCH=$(ARCH) tools/build-deb.sh

# The package on a real systemd in a qemu guest (root; tools/systemd-rig/README.md); the Pi's
# package on an emulated arm64 machine (built with make deb ARCH=arm64 unless
# PRINTSTATION_RIG_DEB names one).
systemd-rig: $(BIN)/.installed
	PRINTSTATION_RIG_PYTHON=$(BIN)/python tools/systemd-rig/run.sh

systemd-rig-arm64: $(BIN)/.installed
	PRINTSTATION_RIG_PYTHON=$(BIN)/python tools/systemd-rig/run.sh arm64

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache demo-out build dist
