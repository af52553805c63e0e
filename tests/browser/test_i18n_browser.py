"""Issue #15 in the browser: frontend/i18n.js's percent rule against the table the Python rule is
checked with (and against the Python rule itself, on random values), and a leader's pages in bokmål:
Norwegian KPI and perspective names in the table and the chart, and a CSV button that writes `;` and
decimal `,`."""

import csv
import io
import random
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from app.charts.formats import shown_percent
from tests.browser.test_pages import TEAM_CHARTS, TIMEOUT, expect_charts, sign_in
from tests.percent_cases import PERCENT_CASES

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods"),
]

# In the page: the app's own module (the same instance app.js uses), in each language.
_FORMAT = """async (cases) => {
  const m = await import("/static/i18n.js");
  const out = {};
  for (const lang of ["en", "nb"]) {
    m.setLang(lang);
    out[lang] = cases.map(([v, t]) => m.fmt.statusPct(v, t));
  }
  m.setLang("en");
  out.shown = cases.map(([v, t]) => m.shownPercent(v, t));
  return out;
}"""


def test_the_js_percent_rule_gives_the_tables_text_and_the_python_rules_numbers(page: Page, live_server):
    page.goto(live_server.url + "/")
    expect(page.get_by_label("E-mail")).to_be_visible(timeout=TIMEOUT)
    got = page.evaluate(_FORMAT, [[v, list(t)] for v, t, *_ in PERCENT_CASES])
    for (value, thresholds, en, nb, working), got_en, got_nb in zip(PERCENT_CASES, got["en"], got["nb"], strict=True):
        assert (got_en, got_nb) == (en, nb), (value, thresholds, working)
    # the same steps as app/charts/formats.py, on values near thresholds as the registry stores them
    rng = random.Random(15)
    cases = []
    for _ in range(3000):
        amber, green = sorted(rng.randrange(0, 20_001) / 10_000 for _ in range(2))
        near = rng.choice((amber, green))
        value = near + rng.choice((rng.uniform(-0.01, 0.01), rng.uniform(-1e-5, 1e-5), rng.uniform(-1, 2)))
        cases.append([value, [amber, green]])
    shown = page.evaluate(_FORMAT, cases)["shown"]
    python = [dict(zip(("value", "decimals"), shown_percent(v, t), strict=True)) for v, t in cases]
    assert [s for s, p in zip(shown, python, strict=True) if s != p] == []


def _number(text: str) -> Decimal:
    """'52 664 448 kr' (nb) as a Decimal."""
    return Decimal(re.sub(r"[^\d,\-\u2212]", "", text).replace("\u2212", "-").replace(",", "."))


def test_a_leaders_pages_in_bokmal(page: Page, demo_server):
    sign_in(page, demo_server, "hilde.andersen")
    expect(page).to_have_url(re.compile(r"#/team/region/VEST\?"), timeout=TIMEOUT)
    page.locator("#lang").select_option("nb")
    expect_charts(page, TEAM_CHARTS)
    # the ranking's KPI columns, the perspective tiles and the heatmap's KPI axis: in bokmål
    headers = page.locator("table thead th").all_inner_texts()
    assert {"Omsetning", "Dekningsbidrag", "Tilslagsrate"} <= set(headers), headers
    assert not {"Revenue", "Gross margin", "Hit rate"} & set(headers), headers
    expect(page.locator(".tile-name").first).to_have_text("Økonomi")
    heat_axis = page.locator("[data-chart^=team] .xtick text").evaluate_all("ts => ts.map((t) => t.textContent)")
    assert "Omsetning" in heat_axis and "Revenue" not in heat_axis, heat_axis
    # a percent beside a status in the table never rounds across it (the rule of fmt.statusPct)
    for cell in page.locator("table.ranking tbody tr td:nth-child(3)").all_inner_texts():
        assert re.fullmatch(r"(\u2212?\d{1,3}(\u00a0\d{3})*(,\d{1,2})?\u00a0%|–)", cell), cell

    page.goto(f"{demo_server.url}/#/budget")
    expect_charts(page, 3)
    with page.expect_download() as info:
        page.get_by_role("button", name="CSV", exact=True).click()
    raw = Path(info.value.path()).read_text(encoding="utf-8")
    assert raw.startswith("\ufeff")  # a byte-order mark: Excel reads æøå as UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.removeprefix("\ufeff")), delimiter=";"))
    assert rows and {"district_code", "budget_amount", "actual_amount"} <= set(rows[0])
    assert all("," in r["actual_amount"] and "." not in r["actual_amount"] for r in rows if r["actual_amount"])
    total = sum(Decimal(r["actual_amount"].replace(",", ".")) for r in rows)
    footer = page.locator("section:has(h2:text('Avvik')) tfoot td").nth(1).inner_text()
    # the file's lines (in øre) add up to the total on screen (in whole kroner, halves up as Intl rounds)
    assert _number(footer) == total.quantize(Decimal(1), rounding=ROUND_HALF_UP)
