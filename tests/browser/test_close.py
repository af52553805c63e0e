"""The month-end close in a real browser (issue 19), on the demo company, with one browser page:

the controller (finance) locks June 2026 on the Close page and its snapshot's totals are June's sales;
the team page marks the locked month; an administrator's June sales import is refused, the page naming
the row and 2026-06; a leader sees the lock but no lock button; the controller unlocks (after a
confirmation she first declines); the administrator imports the correction; the Close page's "What
changed since the lock" shows the changed figures before and after, and the budget page for June says
"Restated since the lock" with the same row.

Every expected figure is worked out here from the demo's database by plain SQL (the sales of June, of
one district and product), never read from the API's answer. The demo server is shared by the other
browser tests: whatever happens, June ends unlocked and the corrected sale has its amount back."""

import csv
import io
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods"),
]

TIMEOUT = 30_000
JUNE = "2026-06"
# the amount of one June sale lowered by 1,000 kroner (a lower figure records no goal reached that was not before)
CORRECTION = Decimal("-1000.00")
HEADER = "id,date,seller_code,account_code,product_code,quantity,amount,cost\n"


@dataclass(frozen=True)
class Sale:
    id: str
    date: str
    seller: str
    account: str
    product: str
    quantity: Decimal
    amount: Decimal
    cost: Decimal | None
    district: str
    group_actual: Decimal  # the month's sales of the sale's district and product
    month_actual: Decimal  # all of the month's sales

    def csv(self, amount: Decimal) -> str:
        """The sale as a sales file of one row, its amount `amount`."""
        cost = "" if self.cost is None else f"{self.cost}"
        return (
            HEADER
            + f"{self.id},{self.date},{self.seller},{self.account},{self.product},{self.quantity},{amount},{cost}\n"
        )


def _cents(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


# Each sale of a month with the district its seller belonged to on the sale's day (the latest move on or before it).
_MONTH_SALES = """
SELECT s.id, s.date, se.code AS seller, a.code AS account, p.code AS product, s.quantity, s.amount, s.cost,
       (SELECT d.code FROM seller_districts sd JOIN districts d ON d.id = sd.district_id
         WHERE sd.seller_id = s.seller_id AND sd.valid_from <= s.date ORDER BY sd.valid_from DESC LIMIT 1) AS district,
       (SELECT r.code FROM seller_districts sd JOIN districts d ON d.id = sd.district_id
          JOIN regions r ON r.id = d.region_id
         WHERE sd.seller_id = s.seller_id AND sd.valid_from <= s.date ORDER BY sd.valid_from DESC LIMIT 1) AS region
FROM sales s JOIN sellers se ON se.id = s.seller_id JOIN accounts a ON a.id = s.account_id
  JOIN products p ON p.id = s.product_id
WHERE s.date LIKE ? || '-%'
"""


def region_sale(database_url: str, month: str, region: str = "VEST") -> Sale:
    """A sale of `month` ('YYYY-MM') in `region` of more than 2,000 kroner (the first by id), with the month's
    sums worked out (its district and product's, and all of them). tests/browser/test_axe.py corrects one too."""
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute(_MONTH_SALES, (month,)).fetchall()
    pick = min((r for r in rows if r["region"] == region and _cents(r["amount"]) > 2000), key=lambda r: r["id"])
    group = sum(
        _cents(r["amount"]) for r in rows if r["district"] == pick["district"] and r["product"] == pick["product"]
    )
    return Sale(
        id=pick["id"],
        date=pick["date"],
        seller=pick["seller"],
        account=pick["account"],
        product=pick["product"],
        quantity=_cents(pick["quantity"]),
        amount=_cents(pick["amount"]),
        cost=None if pick["cost"] is None else _cents(pick["cost"]),
        district=pick["district"],
        group_actual=group,
        month_actual=sum(_cents(r["amount"]) for r in rows),
    )


def _money(amount: Decimal) -> str:
    """Whole kroner as the English page writes them: 'NOK 1,234,567', '-NOK 1,000' (halves away from zero)."""
    kroner = int(abs(amount).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    return f"{'-' if amount < 0 and kroner else ''}NOK {kroner:,}"


def _day(iso: str) -> str:
    """A moment's day in this machine's time zone (the browser's), as the English page writes it: '2 Dec', with the
    year when it is not this year's."""
    at = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone()
    return f"{at.day} {at.strftime('%b')}" + ("" if at.year == datetime.now().year else f" {at.year}")


def _bearer(server, local: str) -> dict[str, str]:
    answer = httpx.post(
        f"{server.url}/api/v1/auth/token", data={"username": server.email(local), "password": server.password}
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _as(page: Page, server, local: str, hash_: str) -> None:
    """Sign out whoever is signed in and sign in as `local`, landing on `hash_` as the sign-in form leads back to
    the page asked for (no new page load once the app is up, no landing page drawn on the way)."""
    if page.url.startswith(server.url) and page.locator("#logout").count():
        page.locator("#logout").click()
    else:
        page.goto(f"{server.url}/#/login")
    page.locator("#login-form input[name=username]").fill(server.email(local))
    page.locator("#login-form input[name=password]").fill(server.password)
    page.evaluate("(h) => sessionStorage.setItem('afterLogin', h)", hash_)
    page.locator("#login-form button[type=submit]").click()
    expect(page.locator("#me-email")).to_have_text(server.email(local), timeout=TIMEOUT)


def _go(page: Page, hash_: str) -> None:
    """Move to `hash_` as a link does (the app is up: no page load)."""
    page.evaluate("(h) => { location.hash = h; }", hash_)


def _upload_sales(page: Page, body: str) -> None:
    page.locator("#dataset").select_option("sales", timeout=TIMEOUT)
    page.locator("#upload-file").set_input_files(
        files=[{"name": "sales-june.csv", "mimeType": "text/csv", "buffer": body.encode()}]
    )
    page.locator("#load").click()


def test_lock_june_refuse_an_import_unlock_correct_and_read_the_restatement(page: Page, demo_server):
    sale = region_sale(demo_server.database_url, JUNE)
    corrected = sale.amount + CORRECTION
    finance = _bearer(demo_server, "okonomi")
    controller = demo_server.email("okonomi")
    june = page.locator(f"#months-table tr[data-period='{JUNE}']")
    try:
        # the controller locks June on the Close page; its snapshot opens, its totals June's sales
        _as(page, demo_server, "okonomi", "#/close")
        expect(june.locator("td").first).to_have_text("Open", timeout=TIMEOUT)
        june.get_by_role("button", name="Lock June 2026").click()
        expect(page.locator("#months-msg")).to_contain_text("June 2026 is locked", timeout=TIMEOUT)
        expect(june).to_have_attribute("data-locked", "true")
        expect(june.locator("td").nth(1)).to_have_text(controller)
        expect(june.get_by_role("button", name="Unlock June 2026")).to_be_focused()
        expect(page.locator("#snapshot h2")).to_have_text("Snapshot of June 2026")
        expect(page.locator("#snapshot-totals dd[data-field=actual_amount]")).to_have_text(_money(sale.month_actual))
        expect(page.locator("#snapshot-unchanged")).to_contain_text("Nothing has changed since the lock")
        # its variance downloads as the file finance sends: the sale's district and product at their June sum
        with page.expect_download(timeout=TIMEOUT) as info:
            page.get_by_role("button", name="CSV Variance by district and product").click()
        rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
        shipped = [r for r in rows if (r["district_code"], r["product_code"]) == (sale.district, sale.product)]
        assert [Decimal(r["actual_amount"]) for r in shipped] == [sale.group_actual]
        assert sum(Decimal(r["actual_amount"]) for r in rows) == sale.month_actual
        lock = next(
            p
            for p in httpx.get(f"{demo_server.url}/api/v1/periods", headers=finance).json()["items"]
            if p["period"] == JUNE
        )
        assert lock["locked"] and lock["locked_by"] == controller

        # the team page marks the locked month beside its period, and in the period picker
        _go(page, f"#/team/company/-?period={JUNE}&range=ytd")
        badge = page.locator("#lock-badge")
        expect(badge).to_have_text(
            f"June 2026 is locked — closed by {controller} on {_day(lock['locked_at'])}. See the close", timeout=TIMEOUT
        )
        picker = page.locator("input[name=period]")
        options = page.locator(f"#{picker.get_attribute('list')} option[value='{JUNE}']")
        expect(options).to_have_attribute("label", "June 2026 — locked")

        # an administrator's June import is refused whole: the page names the row and the locked month
        _as(page, demo_server, "admin", "#/admin")
        _upload_sales(page, sale.csv(corrected))
        result = page.locator("#upload-result")
        expect(result.locator("[role=alert]").first).to_contain_text("nothing was loaded", timeout=TIMEOUT)
        expect(result.locator("#import-locked")).to_contain_text("would change June 2026 (2026-06), a locked month")
        problems = result.locator("#import-problems tbody tr")
        expect(problems).to_have_count(1)  # the file's one row, row 2 after the header
        expect(problems.first.locator("td").first).to_have_text("2")
        expect(problems.first.locator("td").last).to_contain_text(f"{JUNE} is locked")

        # a leader sees the lock on her team page and on the Close page, and no lock button
        _as(page, demo_server, "hilde.andersen", f"#/team/region/VEST?period={JUNE}&range=ytd")
        expect(page.locator("#lock-badge")).to_contain_text("June 2026 is locked", timeout=TIMEOUT)
        _go(page, "#/close")
        expect(june).to_have_attribute("data-locked", "true", timeout=TIMEOUT)
        expect(page.locator("#months-table button.lock-action")).to_have_count(0)
        expect(page.get_by_role("button", name="Subscribe")).to_be_visible()

        # the controller unlocks: declined first (nothing changes), then confirmed
        _as(page, demo_server, "okonomi", "#/close")
        unlock = june.get_by_role("button", name="Unlock June 2026")
        questions: list[str] = []
        page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
        unlock.click(timeout=TIMEOUT)
        expect(page.locator("#months-msg")).to_have_text("Nothing changed: June 2026 is still locked.")
        assert questions and questions[0].startswith("Unlock June 2026?")
        page.once("dialog", lambda dialog: dialog.accept())
        unlock.click()
        expect(page.locator("#months-msg")).to_contain_text("June 2026 is unlocked", timeout=TIMEOUT)
        expect(june).to_have_attribute("data-locked", "false")

        # the administrator loads the correction
        _as(page, demo_server, "admin", "#/admin")
        _upload_sales(page, sale.csv(corrected))
        expect(page.locator("#upload-result")).to_contain_text("1 changed", timeout=TIMEOUT)

        # the Close page: what changed since the lock, before and after, as the correction made it
        _as(page, demo_server, "okonomi", f"#/close?period={JUNE}")
        changed = page.locator(
            f"#variance-diff tbody tr[data-district='{sale.district}'][data-product='{sale.product}']"
            "[data-field=actual_amount]"
        )
        expect(changed.locator("td.before")).to_have_text(_money(sale.group_actual), timeout=TIMEOUT)
        expect(changed.locator("td.after")).to_have_text(_money(sale.group_actual + CORRECTION))
        expect(changed.locator("td.change")).to_have_text(_money(CORRECTION))
        total = page.locator("#variance-diff tfoot tr[data-field=actual_amount]")
        expect(total.locator("td.before")).to_have_text(_money(sale.month_actual))
        expect(total.locator("td.after")).to_have_text(_money(sale.month_actual + CORRECTION))
        expect(page.locator("#snapshot-state")).to_contain_text("unlocked")
        expect(page.locator("#score-diff tbody tr").first).to_be_visible()

        # the budget page for June: "Restated since the lock", with the same row
        _go(page, f"#/budget?from={JUNE}&to={JUNE}&by=district")
        restated = page.locator("#restated")
        expect(restated.get_by_role("heading", name="Restated since the lock")).to_be_visible(timeout=TIMEOUT)
        row = restated.locator(
            f"tbody tr[data-district='{sale.district}'][data-product='{sale.product}'][data-field=actual_amount]"
        )
        expect(row.locator("td.before")).to_have_text(_money(sale.group_actual))
        expect(row.locator("td.after")).to_have_text(_money(sale.group_actual + CORRECTION))
        expect(page.locator("#lock-badge")).to_have_count(0)  # June is open again
    finally:
        # the shared demo as it was: June open, the sale's amount back
        httpx.post(f"{demo_server.url}/api/v1/periods/{JUNE}/unlock", headers=finance)
        restored = httpx.post(
            f"{demo_server.url}/api/v1/imports/sales",
            headers=_bearer(demo_server, "admin"),
            files={"file": ("sales.csv", sale.csv(sale.amount).encode(), "text/csv")},
        )
        assert restored.status_code == 200, restored.text
