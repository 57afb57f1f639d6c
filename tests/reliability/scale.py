"""How much the reliability suite does: CI mode by default, long mode for local runs.

`PRINTSTATION_RELIABILITY=long` scales every count up (about 5 times the CI figures, which
are the issue's minimums with a margin), `short` down (about a fifth, for a quick look);
`PRINTSTATION_RELIABILITY_SEED=N` replays a run's random choices (the seed is printed in the
summary).
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, replace

MODE_ENV = "PRINTSTATION_RELIABILITY"
SEED_ENV = "PRINTSTATION_RELIABILITY_SEED"


@dataclass(frozen=True)
class Scale:
    mode: str
    seed: int
    jobs: int  # valid jobs the central office publishes during the kill run
    daemon_kills: int  # SIGKILLs of the station, each followed by a restart
    broker_kills: int  # SIGKILLs of mosquitto, each followed by a restart
    proxy_faults: int  # delay / blackhole / reset episodes of the fault proxy
    mqtt_fuzz: int  # bad job and command payloads published to the running station
    fuzz_jobs: int  # hypothesis examples: job payloads through the validator
    fuzz_intake: int  # hypothesis examples: job payloads through the stored intake
    fuzz_commands: int  # hypothesis examples: command payloads through the processor
    fuzz_control: int  # hypothesis examples: requests on the local control socket
    deadline_s: float  # the kill run's own time limit, drain included

    @property
    def fuzz_in_process(self) -> int:
        return self.fuzz_jobs + self.fuzz_intake + self.fuzz_commands + self.fuzz_control

    def through_cups(self) -> Scale:
        """The kill run's IPP variant: each card is a CUPS job and a backend process (about a
        second, against the virtual printer's tens of milliseconds), so a sixth of the jobs
        and a quarter of the kills (CI mode: about a minute)."""
        return replace(
            self,
            jobs=max(12, self.jobs // 6),
            daemon_kills=max(5, self.daemon_kills // 4),
            broker_kills=max(1, self.broker_kills // 6),
            proxy_faults=max(1, self.proxy_faults // 6),
            mqtt_fuzz=max(60, self.mqtt_fuzz // 10),
        )


def current_scale() -> Scale:
    mode = os.environ.get(MODE_ENV, "ci").strip().lower() or "ci"
    if mode not in ("ci", "long", "short"):
        raise ValueError(f"{MODE_ENV} must be 'ci', 'long' or 'short', not {mode!r}")
    seed_text = os.environ.get(SEED_ENV)
    seed = int(seed_text) if seed_text else random.SystemRandom().randrange(1, 2**31)
    if mode == "long":
        return Scale(
            mode, seed, 1600, 520, 100, 60, 15000, 40000, 3000, 12000, 3000, deadline_s=1800
        )
    if mode == "short":  # a quick look while working on one part; not enough for CI
        return Scale(mode, seed, 60, 20, 4, 3, 300, 650, 40, 250, 60, deadline_s=300)
    # The deadline only stops a stuck run; a loaded 2-core CI machine needs the margin.
    return Scale(mode, seed, 330, 110, 22, 12, 3000, 6500, 400, 2500, 600, deadline_s=540)
