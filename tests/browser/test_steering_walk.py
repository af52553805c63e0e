"""A district leader's month in the browser, in English and in bokmål: the team page on the data's last
month, what needs attention and why, a comment on a red KPI, a coaching action on it, the meeting pack
as PDF; then "next month": an action opened on the month before, whose follow-up shows the last month's
attainment as the API gives it (a second read, with the leader's own token).

The demo company (tests/browser/conftest.py `demo_server`, data through 2026-10) is shared by the run:
what the walk writes carries a token of its own, and is removed (comments) or dropped (actions) after."""

import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.test_pages import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods"),
]

LEADER = "jorgen.jakobsen"  # the leader of district Rogaland (STV), a demo login
LEVEL, CODE, NAME = "district", "STV", "Rogaland"
KPI = "hit_rate"  # Rogaland's story: the hit rate falls, red in every month of 2026
LATEST, BEFORE = "2026-10", "2026-09"
TIMEOUT = 30_000  # a 2-core CI machine draws the charts and the pack while the test waits

# What the pages say, in each language (frontend/i18n.js): the labels and roles the walk goes by.
WORDS = {
    "en": {
        "attention": "Needs attention",
        "why": "Why this area",
        "comment": "Comment",
        "comment_on": "Comment on",
        "save_comment": "Save comment",
        "open_action": "Open action",
        "arena": "Arena",
        "title": "Title",
        "save_action": "Save action",
        "training": "Training",
        "pack": "Meeting pack",
        "period": "Period",
        "effect": "Attainment since the action was opened",
        "open_actions": "Open actions",
        "note": "lost proposals reviewed",
        "first": "training",
        "second": "proposal follow-up",
    },
    "nb": {
        "attention": "Trenger oppfølging",
        "why": "Hvorfor dette området",
        "comment": "Kommentar",
        "comment_on": "Kommentar til",
        "save_comment": "Lagre kommentar",
        "open_action": "Nytt tiltak",
        "arena": "Arena",
        "title": "Tittel",
        "save_action": "Lagre tiltak",
        "training": "Opplæring",
        "pack": "Møtepakke",
        "period": "Periode",
        "effect": "Måloppnåelse siden tiltaket ble opprettet",
        "open_actions": "Åpne tiltak",
        "note": "tapte tilbud gjennomgått",
        "first": "opplæring",
        "second": "tilbudsoppfølging",
    },
}


class Api:
    """The API as the leader, with a token of their own (not the page's)."""

    def __init__(self, server) -> None:
        self.token = uuid.uuid4().hex[:8]  # marks what the walk writes
        self.url = f"{server.url}/api/v1"
        res = httpx.post(f"{self.url}/auth/token", data={"username": server.email(LEADER), "password": server.password})
        res.raise_for_status()
        self.headers = {"Authorization": f"Bearer {res.json()['access_token']}"}

    def get(self, path: str, **params) -> dict:
        res = httpx.get(f"{self.url}{path}", params=params, headers=self.headers, timeout=60)
        assert res.status_code == 200, (path, res.status_code, res.text)
        return res.json()

    def send(self, method: str, path: str, json: dict | None = None) -> httpx.Response:
        return httpx.request(method, f"{self.url}{path}", json=json, headers=self.headers, timeout=60)

    def month_attainment(self, period: str) -> float:
        """The KPI's attainment for the month alone, from the unit's scorecard."""
        card = self.get(f"/scorecards/{LEVEL}/{CODE}", period=period, range="month")
        return next(k for p in card["perspectives"] for k in p["kpis"] if k["code"] == KPI)["attainment"]


@pytest.fixture
def api(demo_server) -> Iterator[Api]:
    """The leader's API; afterwards the walk's comments removed and its actions dropped (the run shares the
    demo), whatever the test left behind: each carries the walk's token (`api.token`)."""
    client = Api(demo_server)
    yield client
    for period in (LATEST, BEFORE):
        for c in client.get("/comments", level=LEVEL, code=CODE, period=period)["items"]:
            if client.token in c["text"]:
                client.send("DELETE", f"/comments/{c['id']}")
    for a in client.get("/actions", level=LEVEL, code=CODE, status="open")["items"]:
        if client.token in a["title"]:
            client.send("PATCH", f"/actions/{a['id']}", {"status": "dropped", "outcome": "browser walk"})


def _percent(text: str) -> tuple[float, int]:
    """'35.6 %' (en) or '35,6 %' (nb): the number and its decimals."""
    match = re.search(r"([\u2212-]?\d+(?:[.,](\d+))?)\s*%", text.replace("\u00a0", " "))
    assert match, text
    return float(match.group(1).replace(",", ".").replace("\u2212", "-")), len(match.group(2) or "")


def _replaced(page: Page, change) -> None:
    """Do `change` (a new hash: the router draws a new page), and wait until the page drawn before is gone, so
    nothing below acts on the month left behind."""
    before = page.locator("#view > .page").element_handle(timeout=TIMEOUT)
    change()
    before.wait_for_element_state("hidden", timeout=TIMEOUT)  # detached
    expect(page.get_by_role("heading", name=re.compile(f"^{NAME}"))).to_be_visible(timeout=TIMEOUT)


def _team_page(page: Page, server, period: str) -> None:
    url = f"{server.url}/#/team/{LEVEL}/{CODE}?period={period}&range=ytd"
    # the landing page first writes its period into the URL: then it is settled, and may be this one already
    expect(page).to_have_url(re.compile(r"#/team/.*[?&]period=\d{4}-\d{2}"), timeout=TIMEOUT)
    if page.url != url:
        _replaced(page, lambda: page.goto(url))
    expect(page.get_by_role("heading", name=re.compile(f"^{NAME}"))).to_be_visible(timeout=TIMEOUT)
    expect(page.locator("input[name=period]")).to_have_value(period, timeout=TIMEOUT)


def _to_month(page: Page, words: dict, period: str) -> None:
    """The month picked in the page's period control, as a leader does."""
    _replaced(page, lambda: page.get_by_label(words["period"], exact=True).fill(period))
    expect(page).to_have_url(re.compile(f"period={period}"), timeout=TIMEOUT)
    expect(page.locator("input[name=period]")).to_have_value(period, timeout=TIMEOUT)


def _attention_item(page: Page, words: dict) -> Locator:
    """The attention panel's item on the district's own red hit rate."""
    panel = page.get_by_role("region", name=words["attention"])
    expect(panel).to_be_visible(timeout=TIMEOUT)
    item = panel.locator(f'li.attention-item[data-unit="{LEVEL}:{CODE}"][data-kpi="{KPI}"]')
    expect(item).to_be_visible(timeout=TIMEOUT)
    return item


def _open_action(page: Page, item: Locator, words: dict, title: str) -> Locator:
    """Open a training action on the item's KPI; the action's card in the page's open actions."""
    item.get_by_role("button", name=re.compile(f"^{re.escape(words['open_action'])}")).click()
    form = item.locator("form.action-form")
    expect(form).to_be_visible(timeout=TIMEOUT)
    form.get_by_label(words["arena"]).select_option("training")
    form.get_by_label(words["title"], exact=True).fill(title)
    form.get_by_role("button", name=words["save_action"]).click()
    expect(item.get_by_role("status")).to_contain_text(title, timeout=TIMEOUT)
    actions = page.get_by_role("region", name=re.compile(f"^{re.escape(words['open_actions'])}"))
    card = actions.locator("li.action-card").filter(has=page.get_by_role("heading", name=title, exact=True))
    expect(card).to_be_visible(timeout=TIMEOUT)
    return card


def _pdf_text(path: Path) -> str:
    assert shutil.which("pdftotext"), "pdftotext is not installed (apt-get install poppler-utils)"
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, timeout=60)
    return " ".join(out.stdout.decode("utf-8").split())


@pytest.mark.parametrize("lang", ["en", "nb"])
def test_a_leaders_month_comment_action_pack_and_the_follow_up(page: Page, demo_server, api, lang, tmp_path):
    words = WORDS[lang]
    token = api.token
    sign_in(page, demo_server, LEADER)
    if lang == "nb":
        page.locator("#lang").select_option("nb")
    _team_page(page, demo_server, LATEST)

    # What needs attention, and why: the rule's own text, as the API gives it in the page's language.
    answer = api.get("/attention", period=LATEST, range="ytd", level=LEVEL, code=CODE)
    mine = next(i for i in answer["items"] if (i["level"], i["code"], i["kpi"]) == (LEVEL, CODE, KPI))
    rule = next(r for r in answer["rules"] if r["rule"] == mine["rule"])
    kpi_name = mine["kpi_name"] if lang == "en" else mine["kpi_name_nb"]
    item = _attention_item(page, words)
    expect(item.locator(".item-why")).to_contain_text(words["why"])
    expect(item.locator(".item-why .why")).to_have_text(rule["text"] if lang == "en" else rule["text_nb"])
    expect(item.locator(".item-kpi")).to_have_text(kpi_name)

    # A comment on the red KPI: it appears in the item.
    comment = f"Walk {lang} {token}: {words['note']}"
    item.get_by_role("button", name=re.compile(f"^{re.escape(words['comment'])}")).click()
    item.get_by_label(re.compile(f"^{re.escape(words['comment_on'])}")).fill(comment)
    item.get_by_role("button", name=words["save_comment"]).click()
    expect(item.locator(".comment-text").filter(has_text=comment)).to_have_count(1, timeout=TIMEOUT)

    # A coaching action on it, listed with the unit's open actions.
    _open_action(page, item, words, f"Walk {lang} {token}: {words['first']}")

    # The meeting pack as PDF: the unit's name and the comment in it.
    pack = page.get_by_role("group", name=words["pack"])
    with page.expect_download(timeout=90_000) as info:
        pack.get_by_role("button", name=re.compile("^PDF")).click()
    path = tmp_path / "pack.pdf"
    info.value.save_as(path)
    assert path.read_bytes()[:5] == b"%PDF-"
    text = _pdf_text(path)
    assert NAME in text
    assert comment in text

    # Next month: the month before, an action opened there (its baseline is that month) ...
    _to_month(page, words, BEFORE)
    title = f"Walk {lang} {token}: {words['second']}"
    card = _open_action(page, _attention_item(page, words), words, title)
    expect(card.get_by_role("list", name=words["effect"]).locator("li.baseline")).to_be_visible()

    # ... and on the last month its follow-up shows that month's attainment, as the scorecard gives it.
    _to_month(page, words, LATEST)
    actions = page.get_by_role("region", name=re.compile(f"^{re.escape(words['open_actions'])}"))
    card = actions.locator("li.action-card").filter(has=page.get_by_role("heading", name=title, exact=True))
    expect(card).to_be_visible(timeout=TIMEOUT)
    effect = card.get_by_role("list", name=words["effect"])
    follow = effect.locator("li.follow")
    expect(follow).to_have_count(1)  # the months after the baseline's through the data's last: 2026-10
    shown, decimals = _percent(follow.locator(".effect-value").inner_text())
    want = api.month_attainment(LATEST) * 100
    assert abs(shown - want) <= 0.5 * 10**-decimals + 1e-9, (shown, want)
    # the action the page opened: baseline 2026-09, follow-up 2026-10, as the actions API answers
    made = next(a for a in api.get("/actions", level=LEVEL, code=CODE, status="open")["items"] if a["title"] == title)
    assert made["baseline"]["period"] == BEFORE
    assert [f["period"] for f in made["follow_up"]] == [LATEST]
    assert made["follow_up"][0]["attainment"] * 100 == pytest.approx(want)
