"""The shipped units (the station's, its web page's and the central office's) pass
`systemd-analyze verify` and score under 2.0 in `security`.

Both run offline against a throw-away root holding the unit, systemd's own units and stand-ins
for the programs it runs (the package's paths do not exist on a build machine).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UNITS = ("printstation.service", "printstation-web.service", "printstation-central.service")
UNIT = ROOT / "systemd" / "printstation.service"  # the daemon's
EXPOSURE_LIMIT = 2.0

pytestmark = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed"
)


@pytest.fixture(params=UNITS)
def unit(request: pytest.FixtureRequest) -> Path:
    return ROOT / "systemd" / request.param


@pytest.fixture
def system_root(tmp_path: Path, unit: Path) -> Path:
    root = tmp_path / "root"
    (root / "etc/systemd/system").mkdir(parents=True)
    shutil.copy(unit, root / "etc/systemd/system" / unit.name)
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    programs = re.findall(r"^Exec\w+=(\S+)", unit.read_text(), re.M)
    assert programs
    for program in {*programs, "/bin/kill"}:
        (root / program.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy("/bin/kill", root / program.lstrip("/"))
    return root


def analyze(root: Path, unit: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", *args, f"--root={root}", unit.name],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_unit_verifies(system_root: Path, unit: Path) -> None:
    result = analyze(system_root, unit, "verify", "--man=no")
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_the_units_exposure_is_well_under_two(system_root: Path, unit: Path) -> None:
    result = analyze(system_root, unit, "security", "--offline=true", "--no-pager")
    score = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout)
    assert score is not None, result.stdout + result.stderr
    print(f"systemd-analyze security exposure: {score.group(1)}")
    assert float(score.group(1)) < EXPOSURE_LIMIT


def test_the_unit_bounds_file_descriptors_with_room_for_the_clients() -> None:
    """Issue 28: a flood of control-socket clients took every descriptor. The unit sets the
    limit, and [local] max_clients_per_user keeps 64 users' clients within half of it."""
    from controller.local.settings import LocalSettings

    station_unit = ROOT / "systemd" / UNITS[0]  # the control socket is the station's
    limit = re.search(r"^LimitNOFILE=(\d+)$", station_unit.read_text(), re.M)
    assert limit is not None
    assert 64 * LocalSettings().max_clients_per_user <= int(limit.group(1)) // 2
