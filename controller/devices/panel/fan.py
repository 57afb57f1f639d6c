"""The cabinet fan: on when the print head model or the Pi's CPU gets hot, with hysteresis."""

from __future__ import annotations

import threading

import structlog
from gpiozero import CPUTemperature, OutputDevice

log = structlog.get_logger(__name__)


class FanControl:
    """Switches `fan` on when the hotter of head and CPU reaches `on_c`, off only below `off_c`.

    An unreadable CPU sensor is logged once and left out until it reads again.
    """

    def __init__(
        self,
        fan: OutputDevice | None,
        cpu: CPUTemperature | None,
        *,
        on_c: float,
        off_c: float,
    ) -> None:
        self.fan, self.cpu = fan, cpu
        self.on_c, self.off_c = on_c, off_c
        self._lock = threading.Lock()
        self._cpu_failing = False

    def update(self, head_c: float | None) -> None:
        """Re-evaluate with the latest head model temperature (None: not known yet)."""
        if self.fan is None:
            return
        readings = [c for c in (head_c, self._cpu_c()) if c is not None]
        if not readings:
            return
        hottest = max(readings)
        with self._lock:
            if hottest >= self.on_c and not self.fan.is_active:
                self.fan.on()
                log.info("panel.fan", on=True, temp_c=round(hottest, 1))
            elif hottest < self.off_c and self.fan.is_active:
                self.fan.off()
                log.info("panel.fan", on=False, temp_c=round(hottest, 1))

    def _cpu_c(self) -> float | None:
        if self.cpu is None:
            return None
        try:
            celsius = float(self.cpu.temperature)
        except (OSError, ValueError) as exc:
            if not self._cpu_failing:
                log.warning("panel.cpu_temp_unreadable", file=self.cpu.sensor_file, error=str(exc))
            self._cpu_failing = True
            return None
        self._cpu_failing = False
        return celsius
