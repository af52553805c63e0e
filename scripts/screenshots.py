"""Screenshots of each page for the README: `python scripts/screenshots.py [OUT_DIR] [--only NAME ...]`.

Builds the demo company in a temporary SQLite file, serves it, and drives Debian's chromium with
Playwright (no `playwright install`). Writes small PNGs (laptop 1280 px wide, one phone shot) and the
wallboard on a 1920×1080 TV and on one in portrait, and its celebration of a goal an import made reached
(`--only wall` makes those alone).
"""

import shutil
import sqlite3
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


def bearer(base: str, local: str) -> dict[str, str]:
    token = httpx.post(f"{base}/api/v1/auth/token", data={"username": f"{local}@{DOMAIN}", "password": PASSWORD})
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


# An STV seller below October's revenue target (on October's last day in STV), with the gap to it.
_BELOW_TARGET = """
SELECT se.code, t.value - COALESCE((SELECT SUM(s.amount) FROM sales s WHERE s.seller_id = se.id
         AND s.date BETWEEN '2026-10-01' AND '2026-10-31'), 0) AS gap,
       (SELECT a.code FROM accounts a JOIN districts d ON d.id = a.district_id WHERE d.code = 'STV' LIMIT 1)
FROM sellers se JOIN targets t ON t.level = 'seller' AND t.unit_code = se.code AND t.kpi_code = 'revenue'
  AND t.month = '2026-10-01'
WHERE (SELECT d.code FROM seller_districts sd JOIN districts d ON d.id = sd.district_id WHERE sd.seller_id = se.id
       AND sd.valid_from <= '2026-10-31' ORDER BY sd.valid_from DESC LIMIT 1) = 'STV'
ORDER BY gap > 0 DESC, se.code LIMIT 1
"""


def wall_shots(browser, base: str, db: Path, out: Path) -> None:  # noqa: ANN001
    """The wall of district STV (names shown): its ranking on a 1920×1080 TV, the month in portrait, and
    the banner celebrating a goal an import of one October sale made a seller reach."""
    httpx.patch(f"{base}/api/v1/settings/scorecard", json={"wall_show_names": True},
                headers=bearer(base, "admin")).raise_for_status()
    made = httpx.post(f"{base}/api/v1/displays", headers=bearer(base, "hilde.andersen"),
                      json={"name": "Stavanger floor TV", "level": "district", "code": "STV"})
    made.raise_for_status()
    token = made.json()["token"]
    for name, width, height, slide in (("wall", 1920, 1080, "ranking"), ("wall-month", 1920, 1080, "month"),
                                       ("wall-portrait", 1080, 1920, "month")):
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(f"{base}/wall?lang=en&slide={slide}#{token}")
        page.locator(f".slide[data-kind={slide}]").first.wait_for(state="visible", timeout=30_000)
        page.wait_for_timeout(300)
        page.screenshot(path=str(out / f"{name}.png"))
        page.close()
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.emulate_media(reduced_motion="reduce")  # the banner still, without confetti mid-fall
    page.goto(f"{base}/wall?lang=en&slide=achievements#{token}")
    page.locator(".slide[data-kind=achievements]").first.wait_for(state="visible", timeout=30_000)
    with sqlite3.connect(db) as con:
        seller, gap, account = con.execute(_BELOW_TARGET).fetchone()
        product = con.execute("SELECT code FROM products ORDER BY code LIMIT 1").fetchone()[0]
    body = ("id,date,seller_code,account_code,product_code,quantity,amount,cost\n"
            f"wall-shot,2026-10-31,{seller},{account},{product},1,{max(gap, 0) + 1:.2f},\n")
    httpx.post(f"{base}/api/v1/imports/sales", headers=bearer(base, "admin"), timeout=120,
               files={"file": ("sales.csv", body.encode(), "text/csv")}).raise_for_status()
    page.locator("#celebration").wait_for(state="visible", timeout=60_000)  # the next refresh (30 s)
    page.wait_for_timeout(300)
    page.screenshot(path=str(out / "wall-celebration.png"))
    page.close()


def main(out: Path, only: set[str] | None = None) -> None:
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
            if only is None or "wall" in only:
                wall_shots(browser, base, db, out)
            for name, local, path, charts, width, height in shots:
                if only is not None and name not in only:
                    continue
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
    args = sys.argv[1:]
    picked = set(args[args.index("--only") + 1 :]) if "--only" in args else None
    places = args[: args.index("--only")] if "--only" in args else args
    main(Path(places[0]) if places else Path("docs/screenshots"), picked)
