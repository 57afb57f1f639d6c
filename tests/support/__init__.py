"""The test kit, imported as `testkit` (tests/support/pyproject.toml, installed by `make`): a
real mosquitto, the daemon and the central office as child processes, sample and poison jobs,
a fault proxy, waiting with a deadline. Used by the tests, the benchmarks and the demos."""
