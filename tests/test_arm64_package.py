"""Issue 29: the Pi's (arm64) packages. tools/debcheck.py, which `make deb ARCH=arm64` runs on
what it built, is checked here on packages made in the test (dpkg-deb --build, seconds): it names
a wrong Architecture, an ELF file for another machine and a compiled module the environment
lacks. The build itself (about half an hour under emulation) is `make test-arm64`, marked
arm64 and left out of make test."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tools.debcheck import MACHINES, NEEDED, NEEDED_ON, SITE, problems

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="no dpkg-deb here")


def elf(machine: int) -> bytes:
    """The start of a 64-bit little-endian ELF file for `machine` (all debcheck reads)."""
    return b"\x7fELF\x02\x01\x01" + bytes(11) + machine.to_bytes(2, "little") + bytes(44)


def deb(tmp_path: Path, package: str, arch: str, files: dict[str, bytes]) -> Path:
    tree = tmp_path / f"{package}-{arch}"
    (tree / "DEBIAN").mkdir(parents=True)
    (tree / "DEBIAN/control").write_text(
        f"Package: {package}\nVersion: 0.1.0\nArchitecture: {arch}\n"
        "Maintainer: t <t@localhost>\nDescription: test\n"
    )
    for name, content in files.items():
        path = tree / name.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    out = tmp_path / f"{package}_0.1.0_{arch}.deb"
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", str(tree), str(out)],
                   check=True, capture_output=True)  # fmt: skip
    return out


def station_files(machine: int, *, arch: str = "arm64") -> dict[str, bytes]:
    """The station's needed modules, each a file for `machine` matching its pattern."""
    site = f"opt/venvs/printstation/{SITE}"
    patterns = NEEDED["printstation"] + NEEDED_ON.get(("printstation", arch), ())
    return {f"{site}/{pattern.replace('*', '.cpython-311')}": elf(machine) for pattern in patterns}


def test_a_station_package_for_arm64_passes(tmp_path) -> None:
    good = deb(tmp_path, "printstation", "arm64", station_files(MACHINES["arm64"]))
    assert problems(good, "arm64") == []


def test_the_architecture_field_must_be_the_one_built_for(tmp_path) -> None:
    files = station_files(MACHINES["arm64"])
    wrong = deb(tmp_path, "printstation", "amd64", files)
    assert problems(wrong, "arm64") == [f"{wrong.name}: Architecture is amd64, not arm64"]


def test_an_elf_file_for_another_machine_is_named(tmp_path) -> None:
    """A wheel for the build machine in the Pi's package (pip outside the chroot, say)."""
    files = station_files(MACHINES["arm64"])
    amd64_pillow = f"opt/venvs/printstation/{SITE}/PIL/_imaging.cpython-311.so"
    files[amd64_pillow] = elf(MACHINES["amd64"])
    files["usr/bin/helper"] = elf(MACHINES["amd64"])
    mixed = deb(tmp_path, "printstation", "arm64", files)
    assert problems(mixed, "arm64") == [
        f"{mixed.name}: /{amd64_pillow} is for ELF machine 62, not arm64",
        f"{mixed.name}: /usr/bin/helper is for ELF machine 62, not arm64",
    ]


def test_lgpio_is_needed_on_arm64_only(tmp_path) -> None:
    files = station_files(MACHINES["arm64"])
    without = {name: data for name, data in files.items() if "lgpio" not in name}
    on_arm = deb(tmp_path, "printstation", "arm64", without)
    assert problems(on_arm, "arm64") == [
        f"{on_arm.name}: no _lgpio.*.so in /opt/venvs/printstation/{SITE}",
        f"{on_arm.name}: no lgpio.py in /opt/venvs/printstation/{SITE}",
    ]
    pc = station_files(MACHINES["amd64"], arch="amd64")
    assert not any("lgpio" in name for name in pc)
    assert problems(deb(tmp_path, "printstation", "amd64", pc), "amd64") == []


def test_the_central_package_needs_psycopg_binary(tmp_path) -> None:
    empty = deb(tmp_path, "printstation-central", "arm64", {"usr/share/doc/x": b"text"})
    assert problems(empty, "arm64") == [
        f"{empty.name}: no psycopg_binary/pq.*.so in /opt/venvs/printstation-central/{SITE}"
    ]


def test_an_architecture_not_built_here_is_refused_in_one_line() -> None:
    host = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                          check=True).stdout.strip()  # fmt: skip
    done = subprocess.run(["tools/build-deb.sh"], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "ARCH": "armhf"}, timeout=60)  # fmt: skip
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"ARCH=armhf: this machine ({host}) builds for {host} and arm64 only\n"


@pytest.mark.arm64
def test_make_deb_for_arm64_builds_both_packages_that_load_on_arm64(tmp_path) -> None:
    """`make deb ARCH=arm64` as on a clean clone: the build runs the packages' modules in the
    arm64 chroot and tools/debcheck.py on them; the packages it leaves are checked again."""
    if os.geteuid() != 0:
        pytest.skip("the arm64 chroot needs root")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    subprocess.run(["make", "deb", "ARCH=arm64"], cwd=clone, check=True, timeout=3600)
    built = sorted((clone / "dist").glob("*_arm64.deb"))
    assert sorted(path.name.split("_")[0] for path in built) == [
        "printstation",
        "printstation-central",
    ]
    for path in built:
        assert problems(path, "arm64") == []
    # make test-arm64 proves them next on the emulated arm64 machine (the systemd rig).
    if dist := os.environ.get("PRINTSTATION_ARM64_DIST"):
        shutil.rmtree(dist, ignore_errors=True)
        Path(dist).mkdir(parents=True)
        for path in built:
            shutil.copy(path, dist)
