"""A real mosquitto for tests, on a free port with a temporary config.

`Broker` starts the binary and waits until its ports accept connections, and can kill it
(SIGKILL), start it again on the same ports with the same persistence directory (sessions and
queued messages survive, as far as mosquitto had saved them), freeze it (SIGSTOP: connections
stay open but nothing answers, a half-open link) and thaw it (SIGCONT).
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import json
import os
import random
import re
import signal
import socket
import subprocess
import sysconfig
import time
from pathlib import Path

SHIPPED = Path(__file__).resolve().parents[2] / "config" / "mosquitto"  # the repo's configs
MOSQUITTO = "/usr/sbin/mosquitto"
MOSQUITTO_PASSWD = "/usr/bin/mosquitto_passwd"
DYNSEC_ITERATIONS = 101  # what mosquitto_ctrl's dynsec uses


_handed_out: set[int] = set()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago, never handed out before by this
    process, and outside the kernel's ephemeral range (never 1883): a port from that range may
    meanwhile become the source port of any outgoing connection, and two calls there may get
    the same port (CI once had a client refused on a port a broker had just answered on)."""
    low, high = ephemeral_port_range()
    pool = range(10000, low) if low > 12000 else range(high + 1, 65536)
    rng = random.SystemRandom()
    for _ in range(1000):
        port = rng.choice(pool)
        if port == 1883 or port in _handed_out:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free TCP port among {pool}")


def ephemeral_port_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


def plain_config(port: int, workdir: Path, save_every: int = 1) -> str:
    """A broker for link tests: anonymous, no TLS, persistence saved after every `save_every`
    changes (a SIGKILL loses at most the changes since the last save)."""
    return "\n".join(
        [
            f"listener {port} 127.0.0.1",
            "allow_anonymous true",
            "persistence true",
            f"persistence_location {workdir}/",
            "autosave_on_changes true",
            f"autosave_interval {save_every}",
            "max_queued_messages 100000",
            *_test_lines(workdir),
        ]
    )


def for_this_machine(line: str, multiarch: str | None = None) -> str:
    """A shipped `plugin` line (Debian's multiarch directory of the amd64 office server) made to
    name the library of this machine's architecture (`multiarch`, by default this Python's):
    the suite also runs on arm64 (make test-arm64)."""
    multiarch = multiarch or sysconfig.get_config_var("MULTIARCH")
    return re.sub(r"/usr/lib/[a-z0-9_]+-linux-gnu[a-z]*/", f"/usr/lib/{multiarch}/", line)


def adapt_config(
    text: str, ports: list[int], workdir: Path, files: dict[str, Path | list[Path]]
) -> str:
    """A shipped config made runnable here: its listeners on `ports` (in order, on localhost),
    the file options in `files` pointing to test files (a list: one per occurrence, in order),
    persistence in `workdir`. Every option to replace must be present, so that the test runs
    the shipped file and not a look-alike."""
    listeners = iter(ports)
    values = {key: iter(v if isinstance(v, list) else []) for key, v in files.items()}
    seen: set[str] = set()
    lines = []
    for line in text.splitlines():
        key = line.split(" ", 1)[0]
        if key == "listener":
            line = f"listener {next(listeners)} 127.0.0.1"
        elif key in files:
            value = files[key]
            line = f"{key} {next(values[key]) if isinstance(value, list) else value}"
        elif key == "persistence_location":
            line = f"persistence_location {workdir}/"
        elif key == "plugin":
            line = for_this_machine(line)
        elif key == "log_dest":
            continue
        seen.add(key)
        lines.append(line)
    missing = set(files) - seen
    leftover = [key for key, rest in values.items() if next(rest, None) is not None]
    if missing or leftover or next(listeners, None) is not None:
        raise ValueError(f"config does not match the test: {missing=} {leftover=} or listeners")
    return "\n".join([*lines, *_test_lines(workdir)])


def write_password_file(path: Path, users: dict[str, str]) -> Path:
    """A mosquitto password file with `users` (name -> password), made by mosquitto_passwd."""
    path.write_text("".join(f"{name}:{password}\n" for name, password in users.items()))
    subprocess.run([MOSQUITTO_PASSWD, "-U", str(path)], check=True, capture_output=True)
    return path


def write_dynsec_file(path: Path, shipped: Path, passwords: dict[str, str]) -> Path:
    """The shipped dynamic-security file with `passwords` (name -> password) set for its
    accounts, hashed as the plugin stores them (PBKDF2-SHA512); an account it does not have is
    an error, so that the test runs the shipped accounts and roles."""
    document = json.loads(shipped.read_text())
    clients = {client["username"]: client for client in document["clients"]}
    for name, password in passwords.items():
        salt = os.urandom(12)
        digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, DYNSEC_ITERATIONS)
        clients[name].update(
            password=base64.b64encode(digest).decode(),
            salt=base64.b64encode(salt).decode(),
            iterations=DYNSEC_ITERATIONS,
        )
    path.write_text(json.dumps(document))
    return path


def shipped_password_broker(
    workdir: Path,
    server: tuple[Path, Path],
    stations: dict[str, str],
    central: dict[str, str],
) -> Broker:
    """The shipped mosquitto-password.conf on two free ports (stations', central), with
    `server` (certificate, key), the stations' password file and the shipped central accounts
    (dynsec-central.json) with these passwords. Not started."""
    workdir.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path | list[Path]] = {
        "password_file": write_password_file(workdir / "passwd-stations", stations),
        "acl_file": SHIPPED / "acl-stations",
        "plugin_opt_config_file": write_dynsec_file(
            workdir / "dynsec.json", SHIPPED / "dynsec-central.json", central
        ),
        "certfile": server[0],
        "keyfile": server[1],
    }
    ports = [free_port(), free_port()]
    text = adapt_config((SHIPPED / "mosquitto-password.conf").read_text(), ports, workdir, files)
    return Broker(workdir, text, ports)


def _test_lines(workdir: Path) -> list[str]:
    # As root, mosquitto would switch to the `mosquitto` user and lose the temp directory.
    return [f"user {getpass.getuser()}", f"log_dest file {workdir}/mosquitto.log", "log_type all"]


class Broker:
    def __init__(self, workdir: Path, config: str, ports: list[int]) -> None:
        self.workdir, self.ports = workdir, ports
        workdir.mkdir(parents=True, exist_ok=True)
        self.config_path = workdir / "mosquitto.conf"
        self._logs_here = f"log_dest file {workdir / 'mosquitto.log'}" in config
        if self._logs_here and not {"log_type all", "log_type information"} & set(
            config.splitlines()
        ):
            raise ValueError("a test broker logging to its work directory logs `information`")
        self.config_path.write_text(config + "\n")
        self._process: subprocess.Popen[bytes] | None = None

    @classmethod
    def plain(cls, workdir: Path, save_every: int = 1) -> Broker:
        """`save_every`: mosquitto writes its whole database at each save, so a large backlog
        saved after every change holds each PUBACK up for milliseconds."""
        port = free_port()
        return cls(workdir, plain_config(port, workdir, save_every), [port])

    @property
    def port(self) -> int:
        return self.ports[0]

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 10.0) -> None:
        if self.running:
            raise RuntimeError("broker already running")
        log = self.workdir / "mosquitto.log"
        logged_before = log.stat().st_size if log.exists() else 0
        with (self.workdir / "stderr.log").open("ab") as stderr:
            self._process = subprocess.Popen(
                [MOSQUITTO, "-c", str(self.config_path)], stdout=subprocess.DEVNULL, stderr=stderr
            )
        deadline = time.monotonic() + timeout
        for port in self.ports:
            while not (self._accepts(port) and self._running_since(logged_before)):
                if self._process.poll() is not None:
                    raise RuntimeError(f"mosquitto exited: {self.log_tail()}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"mosquitto did not listen on {port}: {self.log_tail()}")
                time.sleep(0.01)

    def _running_since(self, offset: int) -> bool:
        """mosquitto's log, where the config sends it to the work directory, says this start
        got past opening every listener ("mosquitto version ... running", an `information`
        line): a port that answers may be another process's, and mosquitto exits when one
        listener cannot bind."""
        log = self.workdir / "mosquitto.log"
        if not self._logs_here:
            return True
        if not log.exists():
            return False
        with log.open("rb") as text:
            text.seek(offset)
            return b" running\n" in text.read()

    def kill(self) -> None:
        """SIGKILL: no goodbye, no final save of the persistence file."""
        self._signal_and_wait(signal.SIGKILL)

    def terminate(self) -> None:
        """SIGTERM: a clean shutdown that saves the persistence file."""
        self._signal_and_wait(signal.SIGTERM)

    def restart(self) -> None:
        self.kill()
        self.start()

    def freeze(self) -> None:
        """SIGSTOP: the kernel keeps the connections open, the broker answers nothing."""
        self._signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self._signal(signal.SIGCONT)

    def log_tail(self, lines: int = 30) -> str:
        text = ""
        for name in ("stderr.log", "mosquitto.log"):
            path = self.workdir / name
            if path.exists():
                text += path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def subscribed(self, client_id: str, topic_filter: str) -> bool:
        """The broker's log shows it took `client_id`'s subscription to `topic_filter` at QoS 1
        (its `subscribe` line): from then on, what is published there reaches the client."""
        path = self.workdir / "mosquitto.log"
        line = f" {client_id} 1 {topic_filter}"
        return path.exists() and any(
            entry.endswith(line) for entry in path.read_text(errors="replace").splitlines()
        )

    def _signal(self, signum: signal.Signals) -> None:
        if self._process is None or self._process.poll() is not None:
            raise RuntimeError("broker not running")
        self._process.send_signal(signum)

    def _signal_and_wait(self, signum: signal.Signals) -> None:
        if not self.running:
            return
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)  # a frozen broker cannot handle SIGTERM
        self._process.send_signal(signum)
        self._process.wait(timeout=10)

    @staticmethod
    def _accepts(port: int) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False
