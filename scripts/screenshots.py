"""Screenshots of each page for the README: `python scripts/screenshots.py [OUT_DIR]`.

Builds the demo company in a temporary SQLite file, serves it, and drives Debian's chromium with
Playwright (no `playwright install`). Writes small PNGs (laptop 1280 px wide, one phone shot).
"""

import shutil
import sys
import tempfile
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.liveserver import run_scorecard, serving  # noqa: E402

DOMAIN = "fjordkjokken.example.com"
PASSWORD = "demo-scorecard"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PERIOD = "period=2026-10&range=ytd"


def sign_in(page: Page, base: str, local: str, path: str) -> None:
    page.goto(f"{base}/#/login")
    page.locator("input[name=username]").fill(f"{local}@{DOMAIN}")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    page.locator("#me-email").wait_for(state="attached")  # on a phone it sits behind the menu
    page.goto(f"{base}/{path}")


def lock(base: str, period: str) -> None:
    """Lock `period` as finance, over the API: the Close page then shows a locked month and its snapshot."""
    token = httpx.post(f"{base}/api/v1/auth/token", data={"username": f"okonomi@{DOMAIN}", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    httpx.post(f"{base}/api/v1/periods/{period}/lock", headers=headers, timeout=120).raise_for_status()


def settle(page: Page, charts: int) -> None:
    if charts:
        # a locator, not wait_for_function: a string evaluated in the page is eval, which the CSP refuses
        page.locator(".chart[data-state=drawn]").nth(charts - 1).wait_for(timeout=30_000)
    page.wait_for_timeout(600)  # plotly's transitions


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db = work / "demo.db"
        # made as on 27 November 2026 (sales through October), the month the URLs below name
        done = run_scorecard(["demo", "--no-serve", "--database", str(db), "--today", "2026-11-27"],
                             f"sqlite:///{work / 'other.db'}", work, timeout=300)
        if done.returncode:
            raise SystemExit(done.stdout + done.stderr)
        with serving(f"sqlite:///{db}", work) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=ARGS)
            shots = [
                ("login", None, "#/login", 0, 1280, 420),
                ("seller", "nora.naess", f"#/seller/S148?{PERIOD}&kpi=revenue&months=24", 3, 1280, 1500),
                ("team", "hilde.andersen", f"#/team/district/STV?{PERIOD}&trail=region:VEST", 2, 1280, 1250),
                ("budget", "okonomi", "#/budget?from=2026-01&to=2026-10&by=district", 3, 1280, 1500),
                ("admin", "admin", "#/admin", 0, 1280, 1000),
                ("tokens", "okonomi", "#/tokens", 0, 1280, 560),
                ("phone-seller", "nora.naess", f"#/seller/S148?{PERIOD}", 3, 390, 1400),
                ("budget-nb", "okonomi", "#/budget?from=2026-01&to=2026-10&by=product_group", 3, 1280, 900),
                ("close", "okonomi", "#/close?period=2026-09", 0, 1280, 1300),  # last: September locked first
            ]
            for name, local, path, charts, width, height in shots:
                if name == "close":
                    lock(base, "2026-09")
                page = browser.new_page(viewport={"width": width, "height": height})
                if name.endswith("-nb"):
                    page.add_init_script("localStorage.setItem('lang', 'nb')")
                if local:
                    sign_in(page, base, local, path)
                else:
                    page.goto(f"{base}/{path}")
                settle(page, charts)
                page.screenshot(path=str(out / f"{name}.png"))
                page.close()
            browser.close()
    print(f"wrote screenshots to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/screenshots"))
