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
