"""Run every benchmark of the station, print one table and write JSON (`make bench`).

    .venv/bin/python -m bench.run [--quick] [--only card,intake] [--json PATH] [--strict]

Each measure is printed beside its raw baseline, measured in the same run (these machines
are noisy). `--quick` shortens the idle window to 10 s and uses fewer cards and jobs.
`--strict` exits 1 when a target is missed; otherwise a missed target is reported, not an
error. docs/benchmarks.md explains each measure and the last recorded run.
"""

from __future__ import annotations

from bench import card, duty, gap, idle, intake, ipp_card, outbox, selection, web
from bench.runner import RESULTS, Suite, main

STATION = Suite(
    benchmarks={
        "card": card.run,
        "gap": gap.run,
        "intake": intake.run,
        "outbox": outbox.run,
        "selection": selection.run,
        "idle": idle.run,
        "duty": duty.run,
        "ipp": ipp_card.run,
        "web": web.run,
    },
    libraries=(
        "paho-mqtt",
        "Pillow",
        "pyusb",
        "structlog",
        "persist-queue",
        "gpiozero",
        "pycups",
        "starlette",
        "uvicorn",
    ),
    results=RESULTS / "latest.json",
)

if __name__ == "__main__":
    raise SystemExit(main(STATION, __doc__))
