"""Issue 29, fleet updates: the kiosk's policy for unattended-upgrades (config/apt) lets through
the printstation package from the office's repository and nothing else, and the office's tool
(tools/apt-repo/publish.sh) makes a repository that policy matches, signed by the office's key,
refusing to go back a version. The update itself, on a real systemd with unattended-upgrades,
is the systemd rig's (tools/systemd-rig/guest/fleet-update.sh)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "config/apt/52printstation-unattended-upgrades"
PUBLISH = ROOT / "tools/apt-repo/publish.sh"
# What Debian's 50unattended-upgrades sets (and Raspberry Pi OS' the like): the policy clears it.
DEBIANS = """
Unattended-Upgrade::Origins-Pattern {
        "origin=Debian,codename=${distro_codename},label=Debian-Security";
};
Unattended-Upgrade::Allowed-Origins { "Raspbian:${distro_codename}"; };
Unattended-Upgrade::Package-Whitelist { "openssl"; };
"""

needs_apt = pytest.mark.skipif(shutil.which("apt-config") is None, reason="no apt here")


def read_with_debians(tmp_path: Path) -> dict[str, list[str]]:
    """The lists unattended-upgrades reads once Debian's file and then the policy are read."""
    debians = tmp_path / "50unattended-upgrades"
    debians.write_text(DEBIANS)
    dump = subprocess.run(
        ["apt-config", "-c", str(debians), "-c", str(POLICY), "dump", "Unattended-Upgrade"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    lists: dict[str, list[str]] = {}
    for key, value in re.findall(r'^Unattended-Upgrade::([\w-]+):: "(.*)";$', dump, re.M):
        lists.setdefault(key, []).append(value)
    return lists


def origin_pattern() -> dict[str, str]:
    found = re.findall(r'^\s*"(origin=[^"]*)";', POLICY.read_text(), re.M)
    assert len(found) == 1
    return dict(part.split("=", 1) for part in found[0].split(","))


@needs_apt
def test_the_policy_allows_the_offices_origin_alone(tmp_path: Path) -> None:
    lists = read_with_debians(tmp_path)
    assert lists["Origins-Pattern"] == [
        "origin=printstation,label=printstation,codename=${distro_codename}"
    ]
    assert "Allowed-Origins" not in lists


@needs_apt
def test_the_policy_allows_the_station_package_alone(tmp_path: Path) -> None:
    allowed = read_with_debians(tmp_path)["Package-Whitelist"]
    # unattended-upgrades matches each entry with re.match: at the start of the name only.
    passes = [
        name
        for name in ("printstation", "printstation-central", "printstation-rig-other", "openssl")
        if any(re.match(entry, name) for entry in allowed)
    ]
    assert passes == ["printstation"]
    assert 'Unattended-Upgrade::Package-Whitelist-Strict "true";' in POLICY.read_text()


def test_the_policy_names_the_origin_publish_sh_writes() -> None:
    script = PUBLISH.read_text()
    origin = re.search(r"^ORIGIN=(\S+)", script, re.M)
    codename = re.search(r"^CODENAME=(\S+)", script, re.M)
    assert origin and codename
    pattern = origin_pattern()
    assert pattern["origin"] == pattern["label"] == origin.group(1)
    assert "Label: $ORIGIN" in script and "Origin: $ORIGIN" in script
    assert codename.group(1) == "bookworm"  # what ${distro_codename} is on the kiosk


@pytest.fixture
def gnupg() -> Iterator[Path]:
    """A keyring of its own, on a short path (gpg-agent's socket), its agent ended after."""
    home = Path(tempfile.mkdtemp(prefix="gpg", dir="/tmp"))
    home.chmod(0o700)
    yield home
    subprocess.run(
        ["gpgconf", "--kill", "gpg-agent"],
        env={**os.environ, "GNUPGHOME": str(home)},
        check=False,
        timeout=30,
    )
    shutil.rmtree(home, ignore_errors=True)


def dummy_deb(where: Path, version: str) -> Path:
    tree = where / f"tree-{version}"
    (tree / "DEBIAN").mkdir(parents=True)
    (tree / "DEBIAN/control").write_text(
        f"Package: printstation\nVersion: {version}\nArchitecture: all\nSection: misc\n"
        "Priority: optional\nMaintainer: test <test@localhost>\nDescription: test\n"
    )
    deb = where / f"printstation_{version}_all.deb"
    subprocess.run(
        ["dpkg-deb", "--build", "--root-owner-group", str(tree), str(deb)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return deb


@pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("reprepro", "gpg", "gpgv", "dpkg-deb")),
    reason="needs reprepro, gnupg and dpkg-dev (apt install reprepro gnupg dpkg-dev)",
)
def test_publish_signs_a_repository_the_kiosk_verifies_and_never_goes_back(
    tmp_path: Path, gnupg: Path
) -> None:
    env = {**os.environ, "GNUPGHOME": str(gnupg)}

    def publish(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(PUBLISH), *args], env=env, capture_output=True, text=True, timeout=120
        )

    made = publish("new-key", "--no-passphrase", "office (test) <office@test>")
    fingerprint = made.stdout.strip()
    assert made.returncode == 0 and re.fullmatch(r"[0-9A-F]{40}", fingerprint), made.stderr
    repo = tmp_path / "repo"
    assert publish("init", str(repo), fingerprint, "https://apt.test/printstation").returncode == 0
    assert publish("add", str(repo), str(dummy_deb(tmp_path, "0.1.1"))).returncode == 0

    # The kiosk's copy of the key verifies the release; its Origin and Label are the policy's.
    keyring = repo / "kiosk/printstation-archive-keyring.gpg"
    inrelease = repo / "public/dists/bookworm/InRelease"
    verified = subprocess.run(
        ["gpgv", "--keyring", str(keyring), str(inrelease)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert verified.returncode == 0, verified.stderr
    release = inrelease.read_text()
    assert re.search(r"^Origin: printstation$", release, re.M)
    assert re.search(r"^Label: printstation$", release, re.M)
    assert (
        "Signed-By: /etc/apt/keyrings/printstation-archive-keyring.gpg"
        in (repo / "kiosk/printstation.sources").read_text()
    )

    # Going back is refused, saying how to roll back; what is published stays.
    back = publish("add", str(repo), str(dummy_deb(tmp_path, "0.1.0")))
    assert back.returncode == 2
    assert "not newer than the published 0.1.1" in back.stderr
    assert "printstation 0.1.1" in publish("list", str(repo)).stdout
    assert publish("init", str(repo), "not-a-fingerprint", "https://x").returncode == 2
