"""The real USB stack: boots the rig (tools/rig/rig.sh) once and runs tests/rig/guest inside it,
then reports each guest check as a test here. Skips, with the reason, only where the rig cannot
run at all (no qemu, no Debian package lists); a rig that runs and fails is a failure."""

from __future__ import annotations

import ast
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RIG = ROOT / "tools" / "rig" / "rig.sh"
GUEST = Path(__file__).parent / "guest" / "check_usb_stack.py"
CHECKS = [
    node.name
    for node in ast.parse(GUEST.read_text()).body
    if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
]

pytestmark = [pytest.mark.slow, pytest.mark.rig]


@pytest.fixture(scope="module")
def guest_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ET.Element]:
    check = subprocess.run([str(RIG), "check"], capture_output=True, text=True)
    if check.returncode != 0:
        pytest.skip(f"the USB rig cannot run here: {check.stdout.strip() or check.stderr.strip()}")
    # Bytecode for the guest: it sees this tree read-only, and compiling under emulation is slow.
    packages = ("contract", "controller", "evolis_wire", "firmware", "logsetup", "tests")
    subprocess.run([sys.executable, "-m", "compileall", "-q", *packages], cwd=ROOT, check=True)
    out = Path("/tmp") / f"printstation-rig-{tmp_path_factory.getbasetemp().name}.xml"
    # The guest's daemon and gadget logs come out here (the guest sees the host's /tmp).
    artifacts = tmp_path_factory.mktemp("rig-logs")
    artifacts.chmod(0o777)
    command = (
        f"{sys.executable} -m pytest -p no:cacheprovider -o python_files='check_*.py' -q -s "
        f"--basetemp=/var/tmp/rig --junitxml={out} --durations=0 tests/rig/guest"
    )
    run = subprocess.run(
        [
            *(str(RIG), "run", "--timeout", "900", "--env", f"PYTHONPATH={ROOT}"),
            *("--env", f"RIG_ARTIFACTS={artifacts}", "--", command),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    log = tmp_path_factory.getbasetemp() / "rig.log"
    log.write_text(run.stdout + run.stderr)
    shown = ("RIG:", "DAEMON:") if run.returncode else ("RIG:",)
    for line in run.stdout.splitlines():
        if line.startswith(shown) or " call " in line or " setup " in line or "passed" in line:
            print(line)
    print(run.stderr.splitlines()[-1] if run.stderr else "")
    print(f"the guest's logs: {log} and {artifacts}")
    assert out.exists(), f"the guest wrote no results (status {run.returncode}); see {log}"
    cases = {case.get("name"): case for case in ET.parse(out).getroot().iter("testcase")}
    out.unlink()
    return cases


@pytest.mark.parametrize("check", CHECKS)
def test_in_the_rig(guest_results: dict[str, ET.Element], check: str) -> None:
    case = guest_results.get(check)
    assert case is not None, f"{check} did not run in the guest"
    problems = [child for child in case if child.tag in ("failure", "error")]
    assert not problems, "\n".join(
        (p.get("message") or "") + "\n" + (p.text or "") for p in problems
    )
    skipped = [child for child in case if child.tag == "skipped"]
    if skipped:
        if skipped[0].get("type") == "pytest.xfail":
            pytest.xfail(skipped[0].get("message") or "expected to fail")
        pytest.skip(skipped[0].get("message") or "skipped in the guest")
