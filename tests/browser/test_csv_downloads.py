"""The scorecard pages' table downloads in a real browser: on the demo company, a region's leader switches
to bokmål and downloads the team page's ranking; the file (read back with the csv module) is Norwegian
Excel's CSV, headed in bokmål, and its rows are the table's rows on the page, in the page's order."""

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_pages import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods"),
]

TIMEOUT = 30_000
LEADER = "hilde.andersen"  # the leader of region Vest: lands on the region's team page


def _percent(text: str) -> float:
    """'98 %' or '99,5 %' (nb) as 98.0 or 99.5."""
    return float(re.sub(r"[^\d,\-\u2212]", "", text).replace("\u2212", "-").replace(",", "."))


def test_the_rankings_csv_in_bokmal_is_the_table_on_the_page(page: Page, demo_server):
    sign_in(page, demo_server, LEADER)
    expect(page).to_have_url(re.compile(r"#/team/region/VEST\?"), timeout=TIMEOUT)
    page.locator("#lang").select_option("nb")
    ranking = page.locator("section.card").filter(has=page.get_by_role("heading", name="Rangering", exact=True))
    expect(ranking.locator("table tbody tr").first).to_be_visible(timeout=TIMEOUT)

    with page.expect_download(timeout=TIMEOUT) as info:
        ranking.get_by_role("button", name="Last ned rangering (CSV)").click()
    download = info.value
    assert re.fullmatch(r"scorecard-ranking-region-VEST-\d{4}-\d{2}-ytd\.csv", download.suggested_filename)
    expect(ranking.locator(".download-status")).to_contain_text(f"Lastet ned {download.suggested_filename}")
    raw = Path(download.path()).read_text(encoding="utf-8")
    assert raw.startswith("\ufeff")  # a byte-order mark: Excel reads æøå as UTF-8
    reader = csv.DictReader(io.StringIO(raw.removeprefix("\ufeff")), delimiter=";")
    rows = list(reader)
    assert reader.fieldnames[:5] == ["#", "Navn", "Kode", "Totalscore", "Status"]

    # the table as the page shows it: rank, "name (code)", overall score, status, then a column per KPI
    headers = ranking.locator("table thead th").all_inner_texts()
    cells = ranking.locator("table tbody tr").evaluate_all(
        "trs => trs.map((tr) => [...tr.cells].map((c) => c.innerText.trim()))")
    assert reader.fieldnames[5:] == headers[4:]  # the KPIs, in bokmål, in the page's order
    assert "Omsetning" in headers
    assert [(r["#"], f"{r['Navn']} ({r['Kode']})") for r in rows] == [(c[0], c[1]) for c in cells]
    for row, shown in zip(rows, cells, strict=True):
        assert row["Status"] in shown[3], (row, shown)
        if row["Totalscore"] == "":
            assert shown[2] == "–"
        else:  # the file's fraction (decimal comma) is the page's percent, before the page rounds it
            assert abs(float(row["Totalscore"].replace(",", ".")) * 100 - _percent(shown[2])) < 1, (row, shown)
