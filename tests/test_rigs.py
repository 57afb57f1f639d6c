"""Issue 28: both qemu rigs take Debian's kernel the same way (the version linux-image-amd64
points at today, never a pinned one that ages out of the mirror) from one cache."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RIGS = (ROOT / "tools/rig/rig.sh", ROOT / "tools/systemd-rig/run.sh")
PINNED = re.compile(r"\b\d+\.\d+\.\d+-\d+-amd64\b")


def test_both_rigs_use_the_one_kernel_finder_and_pin_nothing() -> None:
    for rig in RIGS:
        text = rig.read_text()
        assert "tools/rig/kernel.sh" in text, rig
        assert not PINNED.search(text), f"{rig} pins a kernel version"
        assert "apt-get download" not in text, f"{rig} fetches a kernel of its own"


@pytest.mark.slow  # apt-cache reads its lists: seconds on a busy machine
@pytest.mark.skipif(shutil.which("apt-cache") is None, reason="no apt here")
def test_the_kernel_is_the_one_linux_image_amd64_points_at() -> None:
    found = subprocess.run(
        ["bash", "-c", f". {ROOT / 'tools/rig/kernel.sh'}; kernel_version; echo $RIG_CACHE"],
        capture_output=True,
        text=True,
        timeout=30,
        env={"HOME": "/home/someone", "PATH": "/usr/bin:/bin"},
    )
    version, cache = found.stdout.split("\n")[:2]
    depends = subprocess.run(
        ["apt-cache", "depends", "linux-image-amd64"], capture_output=True, text=True, timeout=30
    ).stdout
    if "linux-image-" not in depends:
        pytest.skip("apt's lists know no linux-image-amd64")
    assert f"Depends: linux-image-{version}" in depends
    assert cache == "/home/someone/.cache/printstation-rig"


def test_the_systemd_rig_names_the_guests_it_has() -> None:
    done = subprocess.run([str(RIGS[1]), "armhf"], capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "tools/systemd-rig/run.sh: no guest for armhf (amd64 or arm64)\n"


def metadata(name: str, version: str) -> str:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="no dpkg-deb here")
def test_the_arm64_guest_upgrades_to_the_same_package_as_the_next_version(tmp_path) -> None:
    """Issue 29: the arm64 guest's newer package is its build packed again as the next version:
    the control file, the project's distributions (the daemon's reported version) and the
    md5sums of what changed; the environment's other distributions keep their versions."""
    tree = tmp_path / "tree"
    site = tree / "opt/venvs/printstation/lib/python3.11/site-packages"
    files = {
        site / "printstation-0.1.0.dist-info/METADATA": metadata("printstation", "0.1.0"),
        site / "printstation_contract-0.1.0.dist-info/METADATA": metadata("contract", "0.1.0"),
        site / "paho_mqtt-2.1.0.dist-info/METADATA": metadata("paho-mqtt", "2.1.0"),
        tree / "DEBIAN/control": "Package: printstation\nVersion: 0.1.0\nArchitecture: arm64\n"
        "Maintainer: t <t@localhost>\nDescription: test\n",
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    old = tmp_path / "old.deb"
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", str(tree), str(old)],
                   check=True, capture_output=True)  # fmt: skip
    subprocess.run(
        ["bash", "-c", f'REPO={ROOT} PACKAGES=x; . {ROOT}/tools/systemd-rig/arm64.sh; '
         f'rig_next_version {old} 0.1.0+rig1 {tmp_path}/new.deb'],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    new = tmp_path / "new"
    subprocess.run(["dpkg-deb", "-R", str(tmp_path / "new.deb"), str(new)], check=True)
    field = subprocess.run(["dpkg-deb", "-f", str(tmp_path / "new.deb"), "Version"],
                           capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert field == "0.1.0+rig1\n"
    site = new / site.relative_to(tree)
    versions = {
        path.parent.name: path.read_text().splitlines()[2]
        for path in site.glob("*.dist-info/METADATA")
    }
    assert versions == {
        "printstation-0.1.0.dist-info": "Version: 0.1.0+rig1",
        "printstation_contract-0.1.0.dist-info": "Version: 0.1.0+rig1",
        "paho_mqtt-2.1.0.dist-info": "Version: 2.1.0",
    }
    sums = subprocess.run(["md5sum", "-c", "DEBIAN/md5sums"], cwd=new, capture_output=True,
                          text=True)  # fmt: skip
    assert sums.returncode == 0, sums.stdout
    assert sums.stdout.count(": OK") == 3


def test_the_systemd_rigs_guest_is_followed_as_it_runs(tmp_path) -> None:
    """Issue 28: CI is not silent while the guest runs: its RIG lines as they come (the console's
    other lines left out) and a line every interval (a minute in the rig, a second here)."""
    log = tmp_path / "console.log"
    log.write_text("")
    guest = (
        f"(echo '[  1.0] boot' >>{log}; sleep 2.5; echo 'x RIG PASS start' >>{log}; sleep 0.5; "
        f"echo 'RIG DONE failures=0' >>{log}; sleep 0.5) &"
    )
    followed = subprocess.run(
        ["bash", "-c", f". {ROOT}/tools/systemd-rig/follow.sh; {guest} follow_guest $! {log} 1"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    lines = followed.stdout.splitlines()
    assert [line for line in lines if line.startswith("RIG")] == [
        "RIG PASS start",
        "RIG DONE failures=0",
    ]
    ticks = [line for line in lines if line.startswith("guest running")]
    seconds = [int(re.fullmatch(r"guest running (\d+) s", line)[1]) for line in ticks]
    assert len(seconds) >= 2 and seconds == sorted(seconds) and seconds[0] >= 1
    assert lines.index(ticks[1]) < lines.index("RIG PASS start")
