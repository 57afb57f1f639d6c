"""Issue 27: the clerk's page in a real browser (Debian's chromium): a day at the kiosk (log in,
see the state in words with the broker down, receive a lot with a countersignature, decide a
review with a reason, hand a card over, reload with a countersignature, record a destruction,
print the report), every action audited under the person's name; the lock after five wrong
passwords; a POST without the CSRF token refused; the page at 1366×768 and on a phone."""

from __future__ import annotations

import base64
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from testkit.jobs import make_job, payload
from testkit.waiting import wait_until
from tests.station.test_custody import ROOT
from tests.web.conftest import (
    PASSWORDS,
    Site,
    fill,
    log_in,
    log_out,
    notice,
    screenshot,
    submit_and_wait,
)

pytestmark = pytest.mark.slow  # a browser: seconds per test
TODAY = datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()


def text(browser, element_id: str) -> str:
    return str(browser.find_element(By.ID, element_id).text)


def fits(browser) -> bool:
    """The page needs no sideways scrolling at the window's width."""
    width = browser.execute_script("return document.documentElement.scrollWidth")
    return bool(width <= browser.execute_script("return window.innerWidth"))


def test_a_day_at_the_kiosk_in_bahasa_indonesia(site: Site, browser) -> None:
    running = site.running
    browser.get(f"{site.url}/masuk")
    screenshot(browser, "masuk")
    log_in(browser, site, "budi")
    state = text(browser, "keadaan")
    assert "Dijeda" in state and "Hari ini: 0 dari 500 kartu" in state
    assert "Tautan ke kantor pusat: terputus" in state and "3 peristiwa belum terkirim" in state

    countersign = {"penyelia": "siti", "sandi_penyelia": PASSWORDS["siti"]}
    lot = {"bahan": "cards", "lot": "L-2026-01", "jumlah": "100"}
    fill(browser, "terima-lot", {**lot, **countersign})
    assert notice(browser) == "Lot diterima dan ditandatangani penyelia: masuk persediaan."

    running.store.intake.submit(payload(make_job(1)))  # the printer is unplugged at card 1
    running.commands.handle("resume", {}, ROOT)
    wait_until(lambda: running.states()["needs_review"] == 1, timeout=20)
    live = WebDriverWait(browser, 15)  # htmx polls the panel every 5 s: no reload
    live.until(lambda b: "kartu menunggu keputusan Anda" in text(b, "keadaan"))
    browser.get(site.url)
    assert "menunggu keputusan Anda" in text(browser, "antrean")
    assert fits(browser)  # 1366×768: no sideways scrolling
    screenshot(browser, "beranda")
    review = browser.find_element(By.CSS_SELECTOR, "form.review")
    review.find_element(By.CSS_SELECTOR, "option[value=spoiled]").click()
    review.find_element(By.NAME, "alasan").send_keys("kartu tertekuk di jalur")
    submit_and_wait(browser, review.find_element(By.TAG_NAME, "button"))
    assert notice(browser) == "Keputusan dicatat."

    running.store.intake.submit(payload(make_job(2)))
    wait_until(lambda: running.states()["printed"] == 1, timeout=20)
    fill(browser, "serahkan", {"job_id": "JOB-2026-000002"})
    assert notice(browser) == "Kartu diserahkan: dicatat."

    fill(browser, "isi-ulang", {"bahan": "ribbon", "jumlah": "150", **countersign})
    assert notice(browser) == "Isi ulang dicatat dengan tanda tangan penyelia."
    fill(browser, "isi-ulang", {**{"bahan": "ribbon", "jumlah": "150"}, **countersign,
                                "sandi_penyelia": "salah"})  # fmt: skip
    assert notice(browser).startswith("Ditolak"), notice(browser)  # a wrong countersignature
    assert text(browser, "rincian") == "nama atau kata sandi salah"  # the daemon's why

    log_out(browser)
    log_in(browser, site, "siti")
    assert "Blangko rusak dalam penyimpanan: 1" in text(browser, "kustodi")
    fill(browser, "musnahkan", {"jumlah": "1", "saksi": "budi"})  # destroyed today (default)
    assert notice(browser) == "Pemusnahan dicatat."

    browser.get(f"{site.url}/laporan?periode={TODAY[:7]}")
    assert "L-2026-01" in text(browser, "laporan") and "Persediaan" in text(browser, "laporan")
    assert fits(browser)
    screenshot(browser, "laporan")
    pdf = browser.execute_cdp_cmd("Page.printToPDF", {"printBackground": False})
    assert base64.b64decode(pdf["data"]).startswith(b"%PDF")  # the report prints

    audited = [(e.command, e.account, e.outcome) for e in running.store.audit.entries()]
    for action in [
        ("lot-receive", "budi", "ok"),
        ("lot-countersign", "siti", "ok"),
        ("resolve", "budi", "ok"),
        ("collect", "budi", "ok"),
        ("reload", "siti", "ok"),
        ("destroy-spoiled", "siti", "ok"),
    ]:
        assert action in audited

    browser.set_window_size(390, 844)
    try:
        browser.get(site.url)
        assert fits(browser)
        screenshot(browser, "beranda-ponsel")
    finally:
        browser.set_window_size(1366, 768)


def test_a_refusal_says_why_in_the_pages_language(site: Site, browser) -> None:
    """Under the generic line, the daemon's refusal said again in the page's language (the
    station's catalog); English when English is chosen."""
    over = {"bahan": "ribbon", "jumlah": "99999", "penyelia": "siti",
            "sandi_penyelia": PASSWORDS["siti"]}  # fmt: skip
    log_in(browser, site, "budi")
    fill(browser, "isi-ulang", over)
    assert notice(browser) == "Ditolak: periksa isian Anda."
    assert text(browser, "rincian").startswith("jumlah 99999 melebihi kapasitas ribbon ")
    browser.get(f"{site.url}/bahasa/en")
    fill(browser, "isi-ulang", over)
    assert notice(browser) == "Refused: check what you filled in."
    assert text(browser, "rincian").startswith("count 99999 is more than the ribbon capacity ")
    browser.get(site.url)  # said once
    assert not browser.find_elements(By.ID, "rincian")


def test_five_wrong_passwords_lock_the_account(site: Site, browser) -> None:
    for _ in range(4):
        log_in(browser, site, "budi", "bukan-sandinya")
        assert notice(browser).startswith("Ditolak")
    log_in(browser, site, "budi", "bukan-sandinya")
    assert notice(browser) == "Akun terkunci: minta kata sandi baru kepada penyelia."
    log_in(browser, site, "budi")  # the right password no longer opens it
    assert notice(browser) == "Akun terkunci: minta kata sandi baru kepada penyelia."
    assert browser.current_url.endswith("/masuk")


def test_a_post_without_the_csrf_token_is_refused(site: Site, browser) -> None:
    log_in(browser, site, "budi")
    send = """
        const [body, done] = [arguments[0], arguments[arguments.length - 1]];
        fetch("/aksi/serahkan", {method: "POST", body: new URLSearchParams(body),
                                 redirect: "manual"}).then(r => done(r.status));
    """
    assert browser.execute_async_script(send, {"job_id": "JOB-2026-000009"}) == 403
    token = browser.find_element(By.NAME, "csrf").get_attribute("value")
    with_token = {"job_id": "JOB-2026-000009", "csrf": token}
    assert browser.execute_async_script(send, with_token) == 0  # opaque redirect: accepted
    assert [e.command for e in site.running.store.audit.entries()][-1] == "collect"


def test_english_is_there_on_request(site: Site, browser) -> None:
    log_in(browser, site, "budi")
    assert "Antrean" in text(browser, "antrean")
    browser.get(f"{site.url}/bahasa/en")
    assert "Queue" in text(browser, "antrean") and "Link to the central office" in text(
        browser, "keadaan"
    )
