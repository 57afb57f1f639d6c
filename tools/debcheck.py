"""What a built Debian package of this tree holds, checked without installing it: its
Architecture field, the machine every ELF file in it was compiled for (a wheel for the wrong
machine fails only when it is loaded, on the kiosk) and the compiled modules its Python
environment needs there. `make deb ARCH=arm64` (tools/arm64/build.sh) runs it on what it built.

    python3 -m tools.debcheck --arch arm64 dist/printstation_0.1.0_arm64.deb ...

Exit status 0 when no package has a problem; each problem is one line naming the file.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

# ELF e_machine of each Debian architecture built here (the ELF specification's numbers).
MACHINES = {"amd64": 62, "arm64": 183}
SITE = "lib/python3.11/site-packages"
# Per package, the compiled modules its environment must hold (glob patterns under
# /opt/venvs/<package>/lib/python3.11/site-packages): Pillow's core, pycups (built from its
# sdist against libcups), argon2's binding, cryptography's Rust core, psycopg's binary build;
# lgpio only where its platform marker puts it (aarch64: the Pi's GPIO).
NEEDED = {
    "printstation": (
        "PIL/_imaging.*.so",
        "cups.*.so",
        "_argon2_cffi_bindings/_ffi.*.so",
        "cryptography/hazmat/bindings/_rust.*.so",
        "usb/backend/libusb1.py",
    ),
    "printstation-central": ("psycopg_binary/pq.*.so",),
}
NEEDED_ON = {("printstation", "arm64"): ("_lgpio.*.so", "lgpio.py")}


def field(deb: Path, name: str) -> str:
    """One control field of the package."""
    return subprocess.run(
        ["dpkg-deb", "--field", str(deb), name], capture_output=True, text=True, check=True
    ).stdout.strip()


def elf_machine(path: Path) -> int | None:
    """The ELF e_machine of `path` (little-endian ELF, as both architectures are), or None when
    it is no ELF file."""
    with path.open("rb") as file:
        header = file.read(20)
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    return int.from_bytes(header[18:20], "little")


def elf_files(tree: Path) -> Iterator[Path]:
    for path in sorted(tree.rglob("*")):
        if path.is_file() and not path.is_symlink() and elf_machine(path) is not None:
            yield path


def problems(deb: Path, arch: str) -> list[str]:
    """Every way `deb` is not a package of this tree for `arch`; empty when it is."""
    if arch not in MACHINES:
        return [f"{deb.name}: no ELF machine known for architecture {arch!r}"]
    found: list[str] = []
    package, architecture = field(deb, "Package"), field(deb, "Architecture")
    if architecture != arch:
        found.append(f"{deb.name}: Architecture is {architecture}, not {arch}")
    with tempfile.TemporaryDirectory() as scratch:
        tree = Path(scratch)
        subprocess.run(["dpkg-deb", "--extract", str(deb), scratch], check=True)
        for path in elf_files(tree):
            machine = elf_machine(path)
            if machine != MACHINES[arch]:
                inside = PurePosixPath("/", path.relative_to(tree))
                found.append(f"{deb.name}: {inside} is for ELF machine {machine}, not {arch}")
        site = tree / "opt/venvs" / package / SITE
        for pattern in NEEDED.get(package, ()) + NEEDED_ON.get((package, arch), ()):
            if not any(site.glob(pattern)):
                found.append(f"{deb.name}: no {pattern} in /opt/venvs/{package}/{SITE}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m tools.debcheck", description=__doc__)
    parser.add_argument("--arch", required=True, choices=sorted(MACHINES))
    parser.add_argument("debs", nargs="+", type=Path)
    args = parser.parse_args(argv)
    found = [line for deb in args.debs for line in problems(deb, args.arch)]
    for line in found:
        sys.stderr.write(line + "\n")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
