"""Regenerate docs/html-report.png: the HTML report of the demo repository in headless Chromium.

    python scripts/screenshot_html.py [PATH] [--output docs/html-report.png] [--height 2200]

Needs Debian's chromium + chromium-driver and the selenium package (the same as tests/test_html.py).
Nothing leaves the machine: the report is a local file and makes no request.
"""
from __future__ import annotations

import argparse
import base64
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--force-device-scale-factor=1")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default="examples/churn-model",
                        help="repository to scan, relative to the project root (default: the demo)")
    parser.add_argument("--output", default=str(ROOT / "docs" / "html-report.png"))
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=2200, help="crop the full page to this height (px)")
    args = parser.parse_args()

    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver_path:
        print("needs chromium and chromedriver (apt-get install chromium chromium-driver)", file=sys.stderr)
        return 2
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from mlops_audit import audit
    from mlops_audit.config import AuditConfig
    from mlops_audit.render.html import render

    os.chdir(ROOT)  # a relative target path reads better in the picture
    report = audit(args.path, AuditConfig(use_cache=False))
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(render(report), encoding="utf-8")
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={Path(tmp) / 'profile'}")
        options.add_argument(f"--window-size={args.width},{args.height}")
        driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
        try:
            driver.get(page.as_uri())
            height = min(args.height, int(driver.execute_script("return document.documentElement.scrollHeight")))
            shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": args.width, "height": height, "scale": 1}})
        finally:
            driver.quit()
    Path(args.output).write_bytes(base64.b64decode(shot["data"]))
    print(f"wrote {args.output} ({args.width}x{height}) from a scan of {args.path}: "
          f"{len(report.findings)} findings, verdict {report.summary.verdict if report.summary else '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
