"""The clerk's page in a real headless browser: Debian's chromium through chromium-driver
(Selenium), against the web app over HTTPS (its own certificate) and a running station behind
its control socket. One browser per test module (the machine is small)."""

from __future__ import annotations

import base64
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import uvicorn

from contract.status import LinkState
from contract.vocabulary import ActionSource
from controller.core.commands import StationCommands
from controller.local.server import ControlServer
from controller.queue.audit import Actor
from controller.web.app import build_app
from controller.web.tls import own_certificate
from testkit.waiting import wait_until
from tests.station.conftest import Running, make_station  # noqa: F401 - the fixture

CHROMEDRIVER = "/usr/bin/chromedriver"
IMAGES = Path(__file__).parents[2] / "docs" / "images"
ROOT = Actor(ActionSource.LOCAL, "root (uid 0, pid 10)", user="root", superuser=True)
PASSWORDS = {"siti": "siti-sandi-1", "budi": "budi-sandi-1", "ani": "ani-sandi-1"}
ROLES = {"siti": "supervisor", "budi": "operator", "ani": "supervisor"}
# The MQTT link as the daemon reports it with the broker down: the page never asks the broker.
BROKER_DOWN = LinkState(connected=False, session=None, unsent_events=3)


@dataclass
class Site:
    running: Running
    url: str


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if shutil.which(CHROMEDRIVER) is None:
        pytest.fail(
            "chromium-driver is not installed (apt-get install chromium chromium-driver;"
            " .ci/run does)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1366,768",
        "--hide-scrollbars",
        "--ignore-certificate-errors",  # the page's own self-signed certificate
        "--disable-features=AutofillServerCommunication",
        "--lang=id-ID",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


@pytest.fixture
def site(make_station, tmp_path: Path, browser: Any) -> Iterator[Site]:  # noqa: F811
    """A station with siti (supervisor), budi (operator) and ani (supervisor), the control
    socket, and the page on a free port over HTTPS; the browser starts logged out."""
    running = make_station(faults='{ at_card = 1, kind = "unplug", seconds = 0.2 }', paused=True)
    local = StationCommands(running.station, local=True, link=lambda: BROKER_DOWN)
    for name, password in PASSWORDS.items():
        account = {"name": name, "full_name": name.title(), "role": ROLES[name]}
        local.handle("account-add", account, ROOT)
        local.handle("account-password", {"name": name, "password": password}, ROOT)
    control = ControlServer(running.config.control_socket, local)
    control.start()
    cert, key = own_certificate(tmp_path)
    app = build_app(running.config.control_socket, ZoneInfo("Asia/Jakarta"))
    listener = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            ssl_certfile=str(cert),
            ssl_keyfile=str(key),
            log_level="warning",
            timeout_graceful_shutdown=1,  # the browser keeps its connections open
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    wait_until(lambda: server.started, timeout=15)
    browser.delete_all_cookies()
    yield Site(running, f"https://127.0.0.1:{listener.getsockname()[1]}")
    server.should_exit = True
    thread.join(10)
    control.stop()


def log_in(browser: Any, site: Site, name: str, password: str | None = None) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{site.url}/masuk")
    browser.find_element(By.ID, "nama").send_keys(name)
    browser.find_element(By.ID, "sandi").send_keys(password or PASSWORDS[name])
    submit_and_wait(browser, browser.find_element(By.ID, "masuk"))


def log_out(browser: Any) -> None:
    from selenium.webdriver.common.by import By

    submit_and_wait(browser, browser.find_element(By.ID, "keluar"))


def fill(browser: Any, form_id: str, values: dict[str, str]) -> None:
    """Fill the form `form_id`'s fields by name (a select by its option's value) and send it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select

    form = browser.find_element(By.ID, form_id)
    for name, value in values.items():
        field = form.find_element(By.NAME, name)
        if field.tag_name == "select":
            Select(field).select_by_value(value)
        else:
            field.clear()
            field.send_keys(value)
    submit_and_wait(browser, form.find_element(By.TAG_NAME, "button"))


def submit_and_wait(browser: Any, button: Any) -> None:
    """Click `button` and wait until the page it was on is gone (not read its notice again)."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.wait import WebDriverWait

    def gone(_: Any) -> bool:
        try:
            button.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            # Caught mid-navigation, Chromium says the node "does not belong to the document"
            # rather than stale (CI, 2026-12-07): the page it was on is just as gone.
            if "does not belong to the document" in (exc.msg or ""):
                return True
            raise
        return False

    button.click()
    WebDriverWait(browser, 15).until(gone)


def notice(browser: Any) -> str:
    from selenium.webdriver.common.by import By

    return str(browser.find_element(By.ID, "pemberitahuan").text)


def screenshot(browser: Any, name: str) -> None:
    """The whole page as docs/images/NAME.png (for docs/panduan-operator.md)."""
    size = browser.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
    shot = browser.execute_cdp_cmd(
        "Page.captureScreenshot", {"captureBeyondViewport": True, "clip": clip}
    )
    IMAGES.mkdir(exist_ok=True)
    (IMAGES / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))


Fill = Callable[[Any, str, dict[str, str]], None]
