"""Every figure the chart API serves, drawn in chromium by the Plotly the page loaded: the custom bundle
of frontend/vendor (scripts/build-plotly-bundle.sh), whatever URL it is served at.

One sign-in per role that sees charts; then each chart route of the OpenAPI document (so a new route is
covered without a change here), in both languages, is fetched with the page's token and drawn into a
fresh div. plotly.js draws a trace of a type it has not registered as an empty scatter, silently, so
each drawn trace's type is compared with the figure's. (The page fixture fails on any CSP violation.)
"""

import json
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_pages import TIMEOUT, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods"),
]

ABOUT = Path(__file__).resolve().parents[2] / "frontend" / "vendor" / "plotly-bundle.json"
CHARTS = "/api/v1/charts/"
# the demo company's last month, its year so far, and each role's own unit
QUERY = {"period": "2026-10", "from": "2026-01", "to": "2026-10", "year": "2026"}
UNIT = {"nora.naess": ("seller", "S148"), "hilde.andersen": ("region", "VEST"), "okonomi": ("company", "-")}
# what a role may not see, refused with 403 (the leader and finance see every chart)
REFUSED = {"nora.naess": CHARTS + "budget/"}

_DRAW = """async (urls) => {
  const token = sessionStorage.getItem("token");
  const out = {version: Plotly.version, traces: Object.keys(Plotly.PlotSchema.get().traces).sort(), figures: []};
  for (const url of urls) {
    const res = await fetch(url, {headers: {Authorization: `Bearer ${token}`}});
    const row = {url, status: res.status};
    out.figures.push(row);
    if (!res.ok) continue;
    const fig = await res.json();
    const gd = document.createElement("div");
    gd.style.width = "900px";
    document.body.append(gd);
    try {
      await Plotly.newPlot(gd, fig.data, fig.layout);
      row.types = fig.data.map((t) => t.type || "scatter");
      row.drawn = gd._fullData.map((t) => t.type);
      row.svg = gd.querySelectorAll("svg.main-svg").length;
    } catch (err) {
      row.error = String(err && err.stack || err);
    } finally {
      Plotly.purge(gd);
      gd.remove();
    }
  }
  return out;
}"""


def _chart_urls(server, local: str) -> list[str]:
    """Each GET route under /api/v1/charts, its parameters filled for `local`, in English and bokmål."""
    answer = httpx.get(server.url + "/api/openapi.json", timeout=30)
    answer.raise_for_status()
    spec = answer.json()
    level, code = UNIT[local]
    urls = []
    for path, ops in spec["paths"].items():
        if not path.startswith(CHARTS) or "get" not in ops:
            continue
        url = path.replace("{level}", level).replace("{code}", code)
        assert "{" not in url, f"no value for the path parameter of {path}: add it to this test"
        query = []
        for param in ops["get"].get("parameters", []):
            if param["in"] == "query" and param.get("required"):
                assert param["name"] in QUERY, f"no value for {path}'s required {param['name']}: add it to QUERY"
                query.append(f"{param['name']}={QUERY[param['name']]}")
        urls += [f"{url}?{'&'.join([*query, f'lang={lang}'])}" for lang in ("en", "nb")]
    assert any("/scorecards/" in u for u in urls) and any("/budget/" in u for u in urls), urls
    return urls


@pytest.mark.parametrize("local", list(UNIT))
def test_every_chart_the_api_serves_draws_with_the_pages_plotly(page: Page, demo_server, local):
    sign_in(page, demo_server, local)
    # the landing page draws its charts, so the page has loaded plotly.js however it loads it
    expect(page.locator(".chart[data-state=drawn]").first).to_be_visible(timeout=TIMEOUT)
    live = page.evaluate(_DRAW, _chart_urls(demo_server, local))

    about = json.loads(ABOUT.read_text(encoding="utf-8"))
    assert live["version"] == about["plotly.js"]
    assert live["traces"] == about["traces"], (
        f"the page's Plotly registers {live['traces']}, not the trace types of {ABOUT}: it did not load "
        "the custom bundle"
    )
    refused = REFUSED.get(local)
    drawn = 0
    for row in live["figures"]:
        if refused and row["url"].startswith(refused):
            assert row["status"] == 403, row
            continue
        assert row["status"] == 200, row
        assert "error" not in row, row
        assert row["types"], f"{row['url']} has no trace to draw"  # the demo data has something in each chart
        assert row["drawn"] == row["types"], row  # as many traces, each of its own type
        assert row["svg"] >= 1, row
        drawn += 1
    assert drawn
