"""The station's benchmarks: `make bench` (bench/run.py) runs them all; see docs/benchmarks.md."""
