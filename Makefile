# printstation: make test (lint + all tests, what CI runs), make test-fast (lint + the suite
# without reliability and slow tests, under 90 s), make demo, make bench, make reliability-long,
# make deb (the Debian packages), make systemd-rig (the package on a real systemd), make test-rig
# (the real Linux USB stack in a qemu guest).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: test test-rig test-fast lint reliability-long demo demo-central bench bench-central deb systemd-rig clean

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
# saying why, only where the rig cannot run at all). make test-rig runs the rig alone.
test: lint
	$(BIN)/pytest

test-rig: $(BIN)/.installed
	tools/rig/rig.sh build
	$(BIN)/pytest -m rig tests/rig

# Day-to-day: everything but the reliability suite (also ignored by path, marked or not) and
# tests marked slow (subprocess daemons, SIGKILL runs, real broker waits).
test-fast: lint
	$(BIN)/pytest -n 2 -m "not reliability and not slow and not rig" --ignore=tests/reliability

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
# dist/printstation-central_<version>_<arch>.deb.
deb:
	tools/build-deb.sh

# The package on a real systemd in a qemu guest (root; tools/systemd-rig/README.md).
systemd-rig: $(BIN)/.installed
	PRINTSTATION_RIG_PYTHON=$(BIN)/python tools/systemd-rig/run.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache demo-out build dist
