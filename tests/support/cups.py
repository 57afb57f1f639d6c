"""A real cupsd for tests: its own config, spool and log directories, on a free loopback port.

`CupsServer` writes cupsd.conf (anyone on 127.0.0.1 may do anything: a test rig only),
cups-files.conf with a private ServerBin whose `backend/` holds the virtual printer's backend
(`cardsim`, tests/support/cups_backend.py) and a copy of CUPS' own `ipp` backend; the other
ServerBin folders are CUPS' own. It runs cupsd in the foreground (`cupsd -f`), waits for the
port, and `add_card_queue` makes a raw queue (the document reaches the backend unchanged) with
the abort-job error policy. cupsd runs as root here, so the backend file is root's, mode 0700.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from .broker import Broker, free_port
from .waiting import wait_until

CUPSD = "/usr/sbin/cupsd"
LPADMIN = "/usr/sbin/lpadmin"
CUPS_LIB = Path("/usr/lib/cups")
SHARED_BIN = ("cgi-bin", "daemon", "driver", "filter", "monitor", "notifier")
REPO = Path(__file__).resolve().parents[2]
AVAHI_SOCKET = Path("/run/avahi-daemon/socket")  # the host's avahi-daemon is running


def backend_program() -> str:
    """The `cardsim` backend: this Python running tests/support/cups_backend.py."""
    script = Path(__file__).with_name("cups_backend.py")
    return (
        f"#!{sys.executable}\nimport runpy, sys\nsys.path.insert(0, {str(REPO)!r})\n"
        f"runpy.run_path({str(script)!r}, run_name='__main__')\n"
    )


class CupsServer:
    """A private cupsd under `root`; `start()`, `stop()`, `kill()`."""

    def __init__(self, root: Path) -> None:
        self.root, self.port = root, free_port()
        self.process: subprocess.Popen[bytes] | None = None
        for name in ("etc/ppd", "etc/ssl", "spool/tmp", "log", "cache", "state", "bin/backend"):
            (root / name).mkdir(parents=True, exist_ok=True)
        for name in SHARED_BIN:
            (root / "bin" / name).symlink_to(CUPS_LIB / name)
        # a copy, mode 0700, so that it runs as root: lp cannot reach a test's 0700 tmp dir
        shutil.copy(CUPS_LIB / "backend/ipp", root / "bin/backend/ipp")
        (root / "bin/backend/ipp").chmod(0o700)
        backend = root / "bin/backend/cardsim"
        backend.write_text(backend_program())
        backend.chmod(0o700)
        os.chmod(root / "bin/backend", 0o755)
        self.files_conf, self.conf = root / "etc/cups-files.conf", root / "etc/cupsd.conf"
        self.files_conf.write_text(self._files())
        self.conf.write_text(self._server())

    def _files(self) -> str:
        r = self.root
        return (
            f"ServerRoot {r}/etc\nServerBin {r}/bin\nRequestRoot {r}/spool\n"
            f"TempDir {r}/spool/tmp\nCacheDir {r}/cache\nStateDir {r}/state\n"
            f"AccessLog {r}/log/access_log\nErrorLog {r}/log/error_log\n"
            f"PageLog {r}/log/page_log\nSystemGroup root\n"
        )

    def _server(self) -> str:
        return (
            f"Listen 127.0.0.1:{self.port}\nLogLevel debug\nBrowsing No\n"
            "BrowseLocalProtocols none\nWebInterface No\nDefaultAuthType None\n"
            "PreserveJobHistory Yes\nPreserveJobFiles No\nJobRetryInterval 5\n"
            "<Location />\n  Order allow,deny\n  Allow from 127.0.0.1\n</Location>\n"
            "<Policy default>\n  JobPrivateAccess all\n  JobPrivateValues none\n"
            "  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n"
        )

    def start(self) -> None:
        self.process = subprocess.Popen(
            [CUPSD, "-f", "-c", str(self.conf), "-s", str(self.files_conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: Broker._accepts(self.port), timeout=10.0, what="cupsd's port")

    def lpadmin(self, *args: str) -> None:
        subprocess.run([LPADMIN, "-h", f"127.0.0.1:{self.port}", *args], check=True)

    def add_card_queue(self, name: str, printer_port: int, messages: bool = False) -> None:
        """A raw queue for the virtual printer at 127.0.0.1:`printer_port`; `messages`: its
        backend reports faults as text only (`?report=messages`, cups_backend)."""
        uri = f"cardsim://127.0.0.1:{printer_port}" + ("/?report=messages" if messages else "")
        self.lpadmin("-p", name, "-E", "-v", uri)
        self.lpadmin("-p", name, "-o", "printer-error-policy=abort-job")

    def add_ipp_queue(self, name: str, uri: str) -> None:
        """A raw queue sending its jobs on to an IPP printer at `uri`, unchanged."""
        self.lpadmin("-p", name, "-E", "-v", uri)
        self.lpadmin("-p", name, "-o", "printer-error-policy=abort-job")

    def error_log(self) -> str:
        path = self.root / "log/error_log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=15)
        self.process = None


class EvePrinter:
    """`ippeveprinter` (CUPS' IPP Everywhere printer) on a free port, keeping every document
    in `root/spool`. It will not start without DNS-SD: the host's avahi-daemon where one runs
    (a host with systemd), else a private D-Bus and an avahi-daemon on it beside it (avahi
    keeps its pid in /run/avahi-daemon: one such rig at a time)."""

    def __init__(self, root: Path) -> None:
        self.root, self.port = root, free_port()
        self.spool = root / "spool"
        self.spool.mkdir(parents=True, exist_ok=True)
        self.bus = f"unix:path={root / 'dbus.sock'}"
        self.processes: list[subprocess.Popen[bytes]] = []

    @property
    def uri(self) -> str:
        return f"ipp://127.0.0.1:{self.port}/ipp/print"

    def _spawn(self, *command: str, private_bus: bool = True) -> subprocess.Popen[bytes]:
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.bus) if private_bus else None
        log = (self.root / f"{Path(command[0]).name}.log").open("ab")
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def start(self) -> None:
        private_bus = not AVAHI_SOCKET.exists()
        if private_bus:
            config = "/usr/share/dbus-1/system.conf"
            bus = (f"--config-file={config}", f"--address={self.bus}")
            self._spawn("dbus-daemon", *bus, "--nofork", "--nopidfile")
            wait_until(lambda: (self.root / "dbus.sock").exists(), timeout=10.0, what="D-Bus")
            self._spawn("avahi-daemon", "--no-chroot", "--no-drop-root", "--no-rlimits")
            # ippeveprinter aborts if avahi is still starting: wait for avahi's own socket
            wait_until(AVAHI_SOCKET.exists, timeout=20.0, what="avahi-daemon")
        self._spawn(
            "ippeveprinter", "-p", str(self.port), "-d", str(self.spool), "-k", "-2",
            "-f", "image/tiff,application/octet-stream", "-m", "CardSim Eve", "-M", "Test",
            "EveCard", private_bus=private_bus,
        )  # fmt: skip
        wait_until(lambda: Broker._accepts(self.port), timeout=20.0, what="ippeveprinter")

    def documents(self) -> list[Path]:
        return sorted(path for path in self.spool.rglob("*") if path.is_file())

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=15)
        self.processes.clear()
