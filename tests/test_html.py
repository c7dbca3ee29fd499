"""HTML report: one self-contained file, checked statically and in headless Chromium.

The browser test drives Debian's chromium + chromedriver through selenium and
asserts: no console error, no network request besides the file:// document,
the verdict shown, finding rows present, the severity filter hiding rows, and
the print stylesheet. It skips (saying why) only when chromium, chromedriver
or selenium is missing on this machine; CI installs all three.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Iterator

import pytest

from mlops_audit import audit
from mlops_audit.config import AuditConfig
from mlops_audit.render.html import chart_rows, render

from .conftest import FIXTURES, materialize
from .workflow_support import sample_report, wft_rules  # noqa: F401  (fixture)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
BROWSER_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,1800")


# -- static checks ----------------------------------------------------------------------------------------------
def test_self_contained_and_escaped() -> None:
    html = render(sample_report())
    assert html.startswith("<!DOCTYPE html>")
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?!data:|#)""", html), "only data: or in-page references"
    assert not re.search(r"https?://", html)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_content() -> None:
    html = render(sample_report())
    assert '<span class="verdict NOT_READY" id="verdict">NOT_READY</span>' in html
    assert html.count('<tr class="finding"') == 7
    assert 'data-severity="critical" data-area="serving"' in html
    assert "notebooks/explore.ipynb [cell 4]:2" in html and "(repository)" in html
    assert "<svg" in html and "Area scores" in html
    assert "Registry and lineage" in html and "not applicable" in html           # chart rows and tooltips
    assert "experiment tracking" in html and "mlflow" in html                      # capabilities with tools
    assert "(declared only)" in html and "models/model.pkl" in html
    assert "Immediate" in html and "SRV001 Model loaded inside a request handler" in html
    assert "@media print" in html
    assert "2 findings suppressed inline" in html


def test_chart_geometry() -> None:
    rows = {r["area"]: r for r in chart_rows(sample_report())}
    assert rows["registry"]["width"] == 300 and rows["serving"]["width"] == 60
    assert rows["llm"]["width"] == 0 and not rows["llm"]["applicable"]


def test_real_audit_renders(wft_rules, tmp_path: Path) -> None:  # noqa: F811
    report = audit(materialize(FIXTURES / "workflow" / "suppress", tmp_path / "repo"), AuditConfig(use_cache=False))
    html = render(report)
    assert html.count('<tr class="finding"') == len(report.findings) > 0


# -- in the browser ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("chromium and chromedriver are not installed here "
                    "(apt-get install chromium chromium-driver); CI installs them")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in BROWSER_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def page(browser, tmp_path: Path):
    path = tmp_path / "report.html"
    path.write_text(render(sample_report()), encoding="utf-8")
    browser.get_log("performance")  # drop what earlier pages logged
    browser.get_log("browser")
    browser.get(path.as_uri())
    return browser, path.as_uri()


def _requests(driver, uri: str) -> list[str]:
    """URLs the page's document requested, plus any request to the network at all while it was open.

    Chromium's own start-up page logs chrome:// and data: loads too; those never leave the machine and are
    not the report's, so only they are left out.
    """
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] != "Network.requestWillBeSent":
            continue
        params = message["params"]
        url = params["request"]["url"]
        if params.get("documentURL") == uri or not url.startswith(("chrome://", "chrome-untrusted://", "data:")):
            urls.append(url)
    return urls


def test_in_browser(page) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver, uri = page
    assert driver.find_element(By.ID, "verdict").text == "NOT_READY"
    rows = driver.find_elements(By.CSS_SELECTOR, "#findings tbody tr.finding")
    assert len(rows) == 7 and all(r.is_displayed() for r in rows)

    Select(driver.find_element(By.ID, "filter-severity")).select_by_value("high")
    visible = [r for r in rows if r.is_displayed()]
    assert [r.get_attribute("data-severity") for r in visible] == ["high", "high"]
    assert driver.find_element(By.ID, "shown").text == "(2 of 7)"

    Select(driver.find_element(By.ID, "filter-area")).select_by_value("monitoring")
    assert [r.get_attribute("data-area") for r in rows if r.is_displayed()] == ["monitoring"]
    Select(driver.find_element(By.ID, "filter-area")).select_by_value("tracking")
    assert not any(r.is_displayed() for r in rows)
    assert driver.find_element(By.ID, "none-shown").is_displayed()

    Select(driver.find_element(By.ID, "filter-severity")).select_by_value("")
    Select(driver.find_element(By.ID, "filter-area")).select_by_value("")
    driver.find_element(By.ID, "filter-text").send_keys("torch.load")
    assert [r.get_attribute("data-severity") for r in rows if r.is_displayed()] == ["high"]

    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []
    requested = _requests(driver, uri)
    assert uri in requested                     # the log does capture the page's own load
    assert set(requested) == {uri}, "the report must make no request besides its own file"


def test_print_stylesheet(page) -> None:
    from selenium.webdriver.common.by import By

    driver, _ = page
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not driver.find_element(By.CSS_SELECTOR, ".filters").is_displayed()
        fixes = driver.find_elements(By.CSS_SELECTOR, "p.fix.print-only")
        assert fixes and all(f.is_displayed() for f in fixes)
        rows = driver.find_elements(By.CSS_SELECTOR, "#findings tbody tr.finding")
        assert all(r.is_displayed() for r in rows)
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
