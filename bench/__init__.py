"""The benchmarks: the station's (`make bench`, bench/run.py) and the central office's
(`make bench-central`, bench/central.py), each a suite of bench/runner.py; see
docs/benchmarks.md."""
