#!/usr/bin/env python3
"""Regenerate the README's screenshots (docs/screenshots/*.png) from the demo office, in a real browser.

Start the portal first (it seeds the demo office on a fresh database), then run this script:

    python3 dev.py run --bind 127.0.0.1:8000 &
    .venv/bin/python scripts/screenshots.py --port 8000

It logs in through the login form as the demo office's bookkeeper and one of its clients (the logins printed
by ``biurko run``, from offices/demo.py) and saves each page, in Polish, on a laptop and/or a phone.
Needs Playwright for Python and a Chromium (``/usr/bin/chromium`` or ``CHROMIUM_PATH``); nothing else from the
project is imported, so it also works against a portal running elsewhere (``--host``).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORTS = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
# The demo office's logins (offices/demo.py: DEMO_OWNER, DEMO_CLIENTS, DEMO_PASSWORD).
STAFF = "ksiegowa@example.com"
CLIENT = "jan.kowalski@example.com"
PASSWORD = "demo-biurko-2026"


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    if "/accounts/login/" in page.url:
        sys.exit(f"could not log in as {email} at {base}: is the demo office seeded (biurko run)?")


def save(page: Page, name: str, *, full_page: bool = True) -> None:
    page.wait_for_load_state("networkidle")
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    print(f"saved {path.relative_to(ROOT)}")


def first_company_with_pending(page: Page, base: str) -> str:
    page.goto(f"{base}/panel/companies/?unapproved=on&sort=name")
    link = page.locator("table.companies tbody tr td.name a").first
    href = link.get_attribute("href")
    if not href:
        sys.exit("the demo office has no company waiting for approval")
    return href


def staff_pages(browser, base: str) -> None:
    for viewport in ("laptop", "phone"):
        context = browser.new_context(viewport=VIEWPORTS[viewport], locale="pl-PL", timezone_id="Europe/Warsaw",
                                      **({"is_mobile": True, "has_touch": True, "device_scale_factor": 2}
                                         if viewport == "phone" else {}))
        page = context.new_page()
        if viewport == "laptop":
            page.goto(f"{base}/accounts/login/")
            save(page, "login-laptop")
        log_in(page, base, STAFF)
        if viewport == "laptop":
            save(page, "home-alice-laptop")
        page.goto(f"{base}/panel/companies/")
        save(page, f"panel-companies-{viewport}")
        company = first_company_with_pending(page, base)
        page.goto(f"{base}{company}")
        save(page, "panel-company" if viewport == "laptop" else "panel-company-phone")
        page.goto(f"{base}/panel/events/")
        save(page, f"panel-events-{viewport}", full_page=False)
        context.close()


def client_pages(browser, base: str) -> None:
    context = browser.new_context(viewport=VIEWPORTS["phone"], locale="pl-PL", timezone_id="Europe/Warsaw",
                                  is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    log_in(page, base, CLIENT)
    save(page, "home-bob-phone", full_page=False)
    page.goto(f"{base}/client/")
    save(page, "client-dashboard-phone")
    month = page.locator("a[href*='/client/company/']").filter(has_text=re.compile(r"\d")).first
    href = month.get_attribute("href") if month.count() else None
    if href:
        page.goto(f"{base}{href}")
        save(page, "client-month-phone")
    context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8000, help="the port `biurko run` serves on (8000)")
    parser.add_argument("--host", default="demo.localhost", help="the demo office's host (demo.localhost)")
    args = parser.parse_args()
    base = f"http://{args.host}:{args.port}"
    if not Path(CHROMIUM).exists():
        sys.exit(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)")
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            staff_pages(browser, base)
            client_pages(browser, base)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
