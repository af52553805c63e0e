"""Issue 18 in the browser: the charts' labels never overlap and are never cut, at a laptop's width
(1366×900) and on a phone (390×844), in both languages, on the seller, team and budget pages; and
the pages write money in whole kroner exactly as the figures' Python does (`money_text`).

One page, one sign-in (finance sees all three pages), the viewport resized and the pages opened by
their hash. On every chart drawn, each text element of its SVG (tick labels, axis and colour-bar
titles, bar and cell texts, legend, title) is taken as drawn: its own box through its transform,
so a rotated label is a rotated rectangle. No two of those may overlap, and each must lie inside
the SVG's box (this check found the bullet chart's "90%" on "100%" at 1366 px and its "✓ on targ"
cut at the right edge on a phone, before the fix).
"""

import re

import pytest
from playwright.sync_api import Page, expect

from app.charts.formats import money_text
from tests.browser.test_pages import TIMEOUT, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods"),
]

LAPTOP, PHONE = {"width": 1366, "height": 900}, {"width": 390, "height": 844}

# Each page: its hash, and the charts it draws with, for one of them, a title that shows the figure
# is drawn in the language asked for (so a figure left from the page before never passes).
PAGES = {
    "seller": ("#/seller/S148?period=2026-10&range=ytd", 4,
               ("[data-chart^=kpis-] .xtitle", {"en": "Attainment (%)", "nb": "Måloppnåelse (%)"})),
    "team": ("#/team/region/VEST?period=2026-10&range=ytd", 3,
             ("[data-chart^=team-] .cbtitle", {"en": "Attainment (%)", "nb": "Måloppnåelse (%)"})),
    "budget": ("#/budget?from=2026-01&to=2026-10&by=district", 3,
               ("[data-chart^=waterfall] .ytitle", {"en": "Amount (NOK million)", "nb": "Beløp (mill. kr)"})),
}

# Every problem with the text of the charts drawn: a text outside its SVG, or two texts overlapping
# by more than a pixel (separating axes of the two rectangles as drawn).
_PROBLEMS = """() => {
  const drawn = (el) => {
    const b = el.getBBox(), m = el.getScreenCTM();
    return [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]]
      .map(([x, y]) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f]);
  };
  const apart = (p, q) => [p, q].some((poly) => poly.some(([x1, y1], i) => {
    const [x2, y2] = poly[(i + 1) % 4];
    const nx = y1 - y2, ny = x2 - x1, len = Math.hypot(nx, ny) || 1;
    const a = p.map(([x, y]) => (x * nx + y * ny) / len), b = q.map(([x, y]) => (x * nx + y * ny) / len);
    return Math.max(...a) - 1 <= Math.min(...b) || Math.max(...b) - 1 <= Math.min(...a);
  }));
  const out = [];
  for (const chart of document.querySelectorAll(".chart[data-state=drawn]")) {
    const svgs = [...chart.querySelectorAll("svg.main-svg")];
    const box = svgs[0].getBoundingClientRect();
    const texts = svgs.flatMap((s) => [...s.querySelectorAll("text")]).filter((t) => {
      const style = getComputedStyle(t);
      return t.textContent.trim() && t.getBBox().width > 0 && style.display !== "none"
        && style.visibility !== "hidden" && Number(style.opacity) > 0;
    }).map((t) => ({ text: t.textContent, poly: drawn(t) }));
    const where = `${chart.dataset.chart} at ${Math.round(box.width)}×${Math.round(box.height)}`;
    for (const t of texts) {
      if (t.poly.some(([x, y]) => x < box.left - 1 || x > box.right + 1 || y < box.top - 1 || y > box.bottom + 1))
        out.push(`${where}: "${t.text}" reaches outside the figure`);
    }
    texts.forEach((a, i) => texts.slice(i + 1).forEach((b) => {
      if (!apart(a.poly, b.poly)) out.push(`${where}: "${a.text}" overlaps "${b.text}"`);
    }));
  }
  return out;
}"""


def _check(page: Page, server, name: str, lang: str, size: dict) -> list[str]:
    """Open page `name` (unless it is open: then it is being drawn again, in `lang`), wait for its
    charts, and return the problems with their labels."""
    path, count, (marker, titles) = PAGES[name]
    if not page.url.endswith(path):
        page.goto(server.url + "/" + path)
    expect(page.locator(marker)).to_have_text(titles[lang], timeout=TIMEOUT)
    expect(page.locator(".chart[data-state=drawn]")).to_have_count(count, timeout=TIMEOUT)
    expect(page.locator(".chart:not([data-state=drawn])")).to_have_count(0)
    return [f"{lang} {size['width']} px, {name}: {p}" for p in page.evaluate(_PROBLEMS)]


def test_chart_labels_never_overlap_nor_leave_the_figure(page: Page, demo_server):
    page.set_viewport_size(PHONE)
    sign_in(page, demo_server, "okonomi")  # finance lands on the budget page
    expect(page).to_have_url(re.compile(r"#/budget\?"))
    # each page at each size in each language, once; the language switched where the page is wide
    # enough to show the switch, drawing the page open again in bokmål
    visits = [("en", PHONE, ["budget", "seller", "team"]), ("en", LAPTOP, ["budget", "seller", "team"]),
              ("nb", LAPTOP, ["team", "budget", "seller"]), ("nb", PHONE, ["team", "budget", "seller"])]
    problems: list[str] = []
    for lang, size, names in visits:
        page.set_viewport_size(size)
        if lang == "nb" and page.locator("html[lang=en]").count():
            page.locator("#lang").select_option("nb")
        for name in names:
            problems += _check(page, demo_server, name, lang, size)
    assert not problems, "\n".join(problems)


_MONEY = """(values) => import("/static/i18n.js").then((m) => {
  const out = {};
  for (const lang of ["en", "nb"]) { m.setLang(lang); out[lang] = values.map((v) => m.fmt.money(v)); }
  m.setLang("en");
  return out;
})"""

# øre to be rounded away, halves (away from zero), a few øre below zero, the table cell
AMOUNTS = [150_896_074.87, 1234.5, -1234.5, 2.5, -0.3, 0.0, 52_664_447.74, -8_548_393.49]


def test_pages_write_money_in_whole_kroner_as_the_figures_do(page: Page, demo_server):
    page.goto(demo_server.url + "/")
    expect(page.get_by_label("E-mail")).to_be_visible(timeout=TIMEOUT)
    got = page.evaluate(_MONEY, AMOUNTS)
    assert got["en"][0] == "NOK\u00a0150,896,075" and got["nb"][0] == "150\u00a0896\u00a0075\u00a0kr"
    assert got["en"] == [money_text(v, "en") for v in AMOUNTS]
    assert got["nb"] == [money_text(v, "nb") for v in AMOUNTS]
