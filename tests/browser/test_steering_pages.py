"""Steering in the browser (PRODUCT.md §5): the team page opens with what needs attention (each red KPI
with its area and why), then the unit's own KPIs (a tile per perspective opens them, each KPI with its
comments), its open actions and the meeting pack; the seller page has the KPIs' comments, the seller's
actions with their baseline and follow-up and notes, and goal conversations. Free text stays text.

The pages run against a copy of the demo company of their own (`steering_server`), so the comments and
actions written here never show in the other tests' demo pages. Expected figures come from the API's
own answers, formatted with app/charts/formats.py's percent rule (the pages' rule, tests/test_i18n*.py).
"""

import re
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from app.charts.formats import percent_text
from tests.browser.conftest import DemoServer
from tests.browser.test_pages import SELLER_CHARTS, TEAM_CHARTS, TIMEOUT, expect_charts, sign_in
from tests.liveserver import serving

pytestmark = pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods")
browser = pytest.mark.browser

PERIOD = "period=2026-10&range=ytd"  # the demo company's last month
LEADER = "jorgen.jakobsen"  # leads district Rogaland (STV): red hit rate, no goal conversations
SELLER = "nora.naess"  # seller S148 in Viken
MARKUP = "<img src=x onerror=alert(1)>"
AREAS = {
    "goals": "Goals",
    "culture": "Culture",
    "sales_meetings": "Sales meetings",
    "goal_conversations": "Goal conversations",
    "management": "Management by objectives",
    "sales_process": "Sales process",
    "recruiting": "Recruiting",
}
AREAS_NB = {"Mål", "Kultur", "Salgsmøter", "Målsamtaler", "Målstyring", "Salgsprosess", "Rekruttering"}
FRONTEND = Path(__file__).resolve().parents[2] / "frontend"


@pytest.fixture(scope="module")
def steering_server(demo_server, tmp_path_factory) -> Iterator[DemoServer]:
    """The demo company copied (SQLite's backup: one consistent snapshot) and served on its own."""
    workdir = tmp_path_factory.mktemp("steering")
    target = workdir / "steering.db"
    source = sqlite3.connect(demo_server.database_url.removeprefix("sqlite:///"))
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    database_url = f"sqlite:///{target.as_posix()}"
    with serving(database_url, workdir) as url:
        yield DemoServer(url=url, database_url=database_url)


def _headers(server, local: str) -> dict[str, str]:
    res = httpx.post(
        f"{server.url}/api/v1/auth/token", data={"username": server.email(local), "password": server.password}
    )
    assert res.status_code == 200, res.text
    return {"Authorization": f"Bearer {res.json()['access_token']}"}


def _get(server, local: str, path: str, **params) -> dict:
    res = httpx.get(f"{server.url}/api/v1{path}", params=params, headers=_headers(server, local), timeout=60)
    assert res.status_code == 200, res.text
    return res.json()


def _thresholds(server, local: str, level: str, code: str) -> dict[str, tuple[float, float]]:
    card = _get(server, local, f"/scorecards/{level}/{code}", period="2026-10", range="ytd")
    return {k["code"]: (k["amber_threshold"], k["green_threshold"]) for p in card["perspectives"] for k in p["kpis"]}


def _month_text(n: int) -> str:
    return "1 month" if n == 1 else f"{n} months in a row"


# --- the strings ---------------------------------------------------------------------------------


def _blocks() -> tuple[str, str]:
    source = (FRONTEND / "i18n.js").read_text(encoding="utf-8")
    en_block, rest = source.split("\n  nb: {", 1)
    return en_block.split("  en: {", 1)[1], rest.split("\n  },", 1)[0]


def _keys(block: str) -> list[str]:
    return re.findall(r'"([\w.,-]+)":\s*"', block)


def test_both_languages_have_every_string_the_steering_pages_use():
    en_block, nb_block = _blocks()
    en, nb = _keys(en_block), _keys(nb_block)
    assert len(en) == len(set(en)) and len(nb) == len(set(nb)), "a key written twice"
    assert set(en) == set(nb), set(en) ^ set(nb)
    used: set[str] = set()
    for name in ("steering.js", "team.js", "seller.js", "admin.js"):
        used |= set(re.findall(r'\bt\("([\w.]+)"', (FRONTEND / "pages" / name).read_text(encoding="utf-8")))
    for family, names in (
        ("area", AREAS),
        ("arena", ("appraisal", "training", "practice", "problem_solving", "goals", "plan")),
        ("action.status", ("open", "done", "dropped")),
        ("action.mark", ("done", "dropped")),
        ("action.marked", ("done", "dropped")),
    ):
        used |= {f"{family}.{n}" for n in names}
    assert sorted(used - set(en)) == []


# --- the team page ---------------------------------------------------------------------------------


@browser
def test_the_team_page_opens_with_what_needs_attention_then_the_units_own_kpis(page: Page, steering_server):
    sign_in(page, steering_server, LEADER)
    expect(page).to_have_url(re.compile(r"#/team/district/STV\?period=2026-10&range=ytd$"), timeout=TIMEOUT)
    expect_charts(page, TEAM_CHARTS)
    answer = _get(steering_server, LEADER, "/attention", period="2026-10", range="ytd", level="district", code="STV")
    items = answer["items"]
    assert len(items) > 8  # the story: Rogaland is red in many places
    # the panel comes first, after the page's head; the most costly 8 shown, the rest behind a button
    expect(page.locator(".page > section").first).to_have_id("attention")
    shown = page.locator(".attention-item:visible")
    expect(shown).to_have_count(8)
    first, rule = items[0], {r["rule"]: r for r in answer["rules"]}[items[0]["rule"]]
    item = shown.first
    expect(item.locator(".item-unit")).to_have_text(f"{first['name']} ({first['code']})")
    expect(item.locator(".item-kpi")).to_have_text(first["kpi_name"])
    expect(item.locator(".area")).to_have_text(AREAS[first["area"]])
    expect(item.locator(".why")).to_have_text(rule["text"])
    expect(item.locator(".months-red")).to_have_text(_month_text(first["months_red"]))
    expect(item.locator(".item-figures dd").nth(2)).to_have_text(
        percent_text(
            first["attainment"], "en", thresholds=_thresholds(steering_server, LEADER, "district", "STV")[first["kpi"]]
        )
    )
    # the unit's page and its KPI's, keeping the period and the trail down
    unit_page = "#/seller/" if first["level"] == "seller" else "#/team/district/"
    href = item.locator(".item-unit").get_attribute("href")
    assert href.startswith(f"{unit_page}{first['code']}?period=2026-10&range=ytd"), href
    assert item.locator(".item-kpi").get_attribute("href") == f"{href}&kpi={first['kpi']}"
    page.get_by_role("button", name=f"Show all {len(items)}").click()
    expect(shown).to_have_count(len(items))

    # the unit's own card: each perspective's KPIs behind its tile, opened by click or keyboard
    hit_rate = page.locator("#unit-kpis tr[data-kpi=hit_rate]")
    tile = page.locator("button.tile[data-perspective=process]")
    expect(tile).to_have_attribute("aria-expanded", "false")
    expect(hit_rate).to_be_hidden()
    tile.click()
    expect(tile).to_have_attribute("aria-expanded", "true")
    expect(hit_rate).to_be_visible()
    expect(hit_rate.locator(".status")).to_have_text("✗ behind")
    expect(hit_rate.locator("td").nth(1)).to_have_text(re.compile(r"^\d+%$"))
    tile.click()
    expect(hit_rate).to_be_hidden()
    customer = page.locator("button.tile[data-perspective=customer]")
    customer.focus()
    page.keyboard.press("Enter")
    expect(customer).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#unit-kpis tr[data-kpi=csat]")).to_be_visible()
    # the ranking's rows stay the only clickable rows, with no control inside one (axe: nested-interactive)
    expect(page.locator("tr.clickable button, tr.clickable input, tr.clickable textarea")).to_have_count(0)
    expect(page.locator("#actions")).to_be_visible()
    expect(page.locator(".meeting-pack")).to_be_visible()


@browser
def test_a_comment_on_a_kpi_is_kept_and_shown_as_text_never_as_markup(page: Page, steering_server):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    # the KPI the URL names opens its perspective
    sign_in(page, steering_server, LEADER, f"/#/team/district/STV?{PERIOD}&kpi=meetings")
    row = page.locator("#unit-kpis tr[data-kpi=meetings]")
    expect(row).to_be_visible(timeout=TIMEOUT)
    before = len(
        _get(steering_server, LEADER, "/comments", level="district", code="STV", period="2026-10", kpi="meetings")[
            "items"
        ]
    )
    row.get_by_role("button", name=re.compile(r"^Comment")).click()
    box = page.get_by_label("Comment on Customer meetings")
    expect(box).to_be_focused()
    box.fill("   ")  # only spaces: the API's 422, in words beside the form
    page.get_by_role("button", name="Save comment").click()
    expect(page.locator("#unit-kpis [role=alert]")).to_have_text("Comment: Value error, must not be empty")
    box.fill(MARKUP)
    page.get_by_role("button", name="Save comment").click()
    thread = page.locator("#unit-kpis tr[data-comments-of=meetings]")
    expect(thread.locator(".comment-text")).to_have_count(before + 1)
    expect(thread.locator(".comment-text").last).to_have_text(MARKUP)
    expect(thread.locator(".comment-by").last).to_contain_text(steering_server.email(LEADER))
    expect(row.get_by_role("button", name=re.compile(rf"^Comment \({before + 1}\)"))).to_be_focused()
    expect(page.locator("img")).to_have_count(0)
    stored = _get(steering_server, LEADER, "/comments", level="district", code="STV", period="2026-10", kpi="meetings")[
        "items"
    ]
    assert stored[-1]["text"] == MARKUP
    # the scorecard answer carries it: after a reload it is there, still as text
    page.reload()
    expect(thread.locator(".comment-text").last).to_have_text(MARKUP, timeout=TIMEOUT)
    expect(page.locator("img")).to_have_count(0)
    assert dialogs == []


@browser
def test_an_action_opened_from_an_attention_item_shows_in_the_open_actions_with_its_baseline(
    page: Page, steering_server
):
    sign_in(page, steering_server, LEADER, f"/#/team/district/STV?{PERIOD}")
    items = _get(steering_server, LEADER, "/attention", period="2026-10", range="ytd", level="district", code="STV")[
        "items"
    ]
    index, item = next((i, it) for i, it in enumerate(items) if it["level"] == "seller")
    seller = _get(steering_server, LEADER, f"/sellers/{item['code']}")
    li = page.locator(".attention-item").nth(index)
    expect(li.locator(".item-unit")).to_have_text(f"{item['name']} ({item['code']})", timeout=TIMEOUT)
    li.get_by_role("button", name=re.compile(r"^Open action")).click()
    form = li.locator("form.action-form")
    # defaults: the seller's e-mail as the owner, due two weeks ahead (the browser's today)
    expect(form.get_by_label("Owner's e-mail")).to_have_value(seller["email"])
    in_two_weeks = page.evaluate("""() => { const d = new Date(); d.setDate(d.getDate() + 14);
      const two = (n) => String(n).padStart(2, "0");
      return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`; }""")
    expect(form.get_by_label("Due")).to_have_value(in_two_weeks)
    assert form.get_by_label("Arena").locator("option").all_inner_texts() == [
        "Appraisal",
        "Training",
        "Practice",
        "Problem solving",
        "Goals",
        "Plan",
    ]
    form.get_by_label("Arena").select_option("practice")
    title = "Role-play losing proposals <b>weekly</b>"
    form.get_by_label("Title").fill(title)
    form.get_by_role("button", name="Save action").click()
    count = item["open_actions"] + 1
    expect(li.locator(".open-actions")).to_have_text("1 open action" if count == 1 else f"{count} open actions")
    expect(li.get_by_role("status")).to_have_text(f"Action opened: {title}")

    card = page.locator("#actions .action-card", has_text=title)
    expect(card).to_be_visible(timeout=TIMEOUT)
    expect(card.locator(".action-title")).to_have_text(title)
    expect(card.locator("b")).to_have_count(0)
    expect(card.locator(".arena")).to_have_text("Practice")
    expect(card.locator(".action-kpi")).to_have_text(item["kpi_name"])
    action = next(
        a
        for a in _get(steering_server, LEADER, "/actions", level="seller", code=item["code"])["items"]
        if a["title"] == title
    )
    assert action["status"] == "open" and action["owner_email"] == seller["email"]
    assert action["baseline"]["period"] == "2026-10"  # the month on screen
    thresholds = _thresholds(steering_server, LEADER, "district", "STV")[item["kpi"]]
    expect(card.locator(".baseline .effect-month")).to_have_text("Baseline Oct 2026")
    expect(card.locator(".baseline .effect-value")).to_have_text(
        percent_text(action["baseline"]["attainment"], "en", thresholds=thresholds)
    )
    expect(card.locator(".follow")).to_have_count(len(action["follow_up"]))

    # the meeting decides: done, with its outcome
    card.get_by_label("Outcome").fill("Two sessions held")
    card.get_by_role("button", name=re.compile(r"^Done")).click()
    expect(card.locator(".flag.closed")).to_have_text("Done")
    expect(card.locator(".action-outcome")).to_have_text("Outcome: Two sessions held")
    expect(card.get_by_role("button", name=re.compile(r"^(Done|Dropped)"))).to_have_count(0)
    closed = _get(steering_server, LEADER, f"/actions/{action['id']}")
    assert (closed["status"], closed["outcome"]) == ("done", "Two sessions held")


@browser
def test_the_meeting_pack_downloads_as_pdf_and_xlsx_in_the_pages_language(page: Page, steering_server):
    sign_in(page, steering_server, LEADER, f"/#/team/district/STV?{PERIOD}")
    pack = page.locator(".meeting-pack")
    for fmt, magic in (("pdf", b"%PDF"), ("xlsx", b"PK")):
        with page.expect_request(lambda r: "/meetings/pack" in r.url) as asked, page.expect_download() as info:
            pack.get_by_role("button", name=re.compile(rf"^{fmt.upper()}")).click()
        assert "level=district&code=STV&period=2026-10&range=ytd" in asked.value.url and "lang=en" in asked.value.url
        assert info.value.suggested_filename == f"meeting-pack-district-STV-2026-10.{fmt}"
        assert Path(info.value.path()).read_bytes().startswith(magic)
    expect(pack.get_by_role("status")).to_have_text("Downloaded meeting-pack-district-STV-2026-10.xlsx.")


# --- the seller page -----------------------------------------------------------------------------


@browser
def test_the_seller_sees_my_actions_with_their_follow_up_notes_them_and_comments_on_their_card(
    page: Page, steering_server
):
    # an action on the seller's margin, opened by the sales director with August as its baseline
    title = "Price list first, discounts approved"
    res = httpx.post(
        f"{steering_server.url}/api/v1/actions",
        headers=_headers(steering_server, "linn.sorensen"),
        json={
            "level": "seller",
            "code": "S148",
            "kpi": "margin_pct",
            "arena": "problem_solving",
            "title": title,
            "due": (date.today() + timedelta(days=14)).isoformat(),
            "owner_email": steering_server.email(SELLER),
            "period": "2026-08",
        },
    )
    assert res.status_code == 201, res.text
    made = res.json()
    assert [f["period"] for f in made["follow_up"]] == ["2026-09", "2026-10"]
    thresholds = _thresholds(steering_server, SELLER, "seller", "S148")["margin_pct"]

    sign_in(page, steering_server, SELLER, f"/#/seller/S148?{PERIOD}")
    expect(page.get_by_role("heading", name=re.compile(r"^My actions"))).to_be_visible(timeout=TIMEOUT)
    card = page.locator("#actions .action-card", has_text=title)
    expect(card.locator(".baseline .effect-value")).to_have_text(
        percent_text(made["baseline"]["attainment"], "en", thresholds=thresholds)
    )
    expect(card.locator(".follow .effect-month")).to_have_text(["Sept 2026", "Oct 2026"])
    expect(card.locator(".follow .effect-value")).to_have_text(
        [
            re.compile(rf"^{re.escape(percent_text(f['attainment'], 'en', thresholds=thresholds))} [✓!✗–]$")
            for f in made["follow_up"]
        ]
    )
    # the seller notes it, and does not close it
    expect(card.get_by_role("button", name=re.compile(r"^(Done|Dropped)"))).to_have_count(0)
    card.get_by_role("button", name=re.compile(r"^Add a note")).click()
    card.get_by_label(f"Note on {title}").fill(MARKUP)
    card.get_by_role("button", name="Save note").click()
    expect(card.locator(".notes .comment-text").last).to_have_text(MARKUP)
    expect(card.get_by_role("status")).to_have_text("Note added.")
    notes = _get(steering_server, SELLER, f"/actions/{made['id']}")["notes"]
    assert notes[-1]["text"] == MARKUP and notes[-1]["author"] == steering_server.email(SELLER)
    # goal conversations: read, not recorded, by the seller
    expect(page.get_by_role("heading", name="Goal conversations")).to_be_visible()
    expect(page.get_by_role("button", name="Record goal conversation")).to_have_count(0)

    # a comment on their own card
    revenue = page.locator("#unit-kpis tr[data-kpi=revenue]")
    revenue.get_by_role("button", name=re.compile(r"^Comment")).click()
    page.get_by_label("Comment on Revenue").fill("Two big orders moved to November")
    page.get_by_role("button", name="Save comment").click()
    thread = page.locator("#unit-kpis tr[data-comments-of=revenue]")
    expect(thread.locator(".comment-text").last).to_have_text("Two big orders moved to November")
    expect(page.locator("img")).to_have_count(0)
    # and removes it again (its author may), after saying yes
    mine = thread.locator("li.comment", has_text="Two big orders moved to November")
    page.once("dialog", lambda dialog: dialog.accept())
    mine.get_by_role("button", name=re.compile(r"^Remove")).click()
    expect(mine).to_have_count(0)
    texts = [
        c["text"]
        for c in _get(steering_server, SELLER, "/comments", level="seller", code="S148", period="2026-10")["items"]
    ]
    assert "Two big orders moved to November" not in texts


@browser
def test_a_leader_records_a_goal_conversation_and_closes_an_action_on_the_seller_page(page: Page, steering_server):
    sign_in(page, steering_server, "linn.sorensen", f"/#/seller/S148?{PERIOD}")
    expect(page.get_by_role("heading", name=re.compile(r"^Coaching actions"))).to_be_visible(timeout=TIMEOUT)
    page.get_by_role("button", name="Record goal conversation").click()
    section = page.locator("#goal-conversations")
    section.get_by_label("Date").fill("2026-11-20")
    section.get_by_label("Notes").fill("Agreed: revenue for November, meetings for the year")
    section.locator(".goal-row").nth(0).get_by_label("KPI").select_option("revenue")
    section.locator(".goal-row").nth(0).get_by_label("Period (YYYY or YYYY-MM)").fill("2026-11")
    section.locator(".goal-row").nth(0).get_by_label("Target").fill("950000")
    section.get_by_role("button", name="Add a KPI").click()
    section.locator(".goal-row").nth(1).get_by_label("KPI").select_option("meetings")
    section.locator(".goal-row").nth(1).get_by_label("Target").fill("160")
    section.get_by_role("button", name="Save goal conversation").click()
    expect(section.get_by_role("status")).to_have_text("Goal conversation recorded.")
    newest = section.locator("li.goal").first
    expect(newest.locator("h3")).to_have_text("20 Nov 2026")
    expect(newest.locator("tbody tr")).to_have_text(
        [re.compile(r"^Revenue2026-11NOK\s950,000$"), re.compile(r"^Customer meetings2026160$")]
    )
    expect(newest.locator(".goal-notes")).to_have_text("Agreed: revenue for November, meetings for the year")
    stored = _get(steering_server, "linn.sorensen", "/goal-conversations", seller_code="S148")["items"][0]
    assert stored["held_on"] == "2026-11-20"
    assert [(k["kpi"], k["period"], k["target"]) for k in stored["kpis"]] == [
        ("revenue", "2026-11", 950000),
        ("meetings", "2026", 160),
    ]

    # a leader also opens actions from here (the KPI asked for) and has Done/Dropped on each open one
    actions = page.locator("#actions")
    actions.get_by_role("button", name="Open action").click()
    actions.get_by_label("KPI").select_option("meetings")
    actions.get_by_label("Title").fill("Plan ten meetings a week")
    actions.get_by_role("button", name="Save action").click()
    card = actions.locator(".action-card", has_text="Plan ten meetings a week")
    expect(card).to_be_visible(timeout=TIMEOUT)
    expect(card).to_contain_text(f"Owner: {steering_server.email(SELLER)}")
    card.get_by_role("button", name=re.compile(r"^Dropped")).click()
    expect(card.locator(".flag.closed")).to_have_text("Dropped")


@browser
def test_finance_sees_the_figures_and_no_coaching(page: Page, steering_server):
    sign_in(page, steering_server, "okonomi", f"/#/team/district/STV?{PERIOD}")
    expect_charts(page, TEAM_CHARTS)
    expect(page.locator("#attention")).to_be_visible()
    expect(page.locator("#attention").get_by_role("button", name=re.compile(r"^Open action"))).to_have_count(0)
    expect(page.locator("#actions")).to_have_count(0)
    expect(page.locator(".meeting-pack")).to_have_count(0)
    page.goto(f"{steering_server.url}/#/seller/S148?{PERIOD}")
    expect_charts(page, SELLER_CHARTS)
    expect(page.locator("#unit-kpis tr[data-kpi=revenue]")).to_be_visible()
    expect(page.locator("#actions, #goal-conversations")).to_have_count(0)
    expect(page.get_by_role("alert")).to_have_count(0)


@browser
def test_a_closed_months_red_kpis_ask_for_a_comment_when_the_setting_is_on(page: Page, steering_server):
    sign_in(page, steering_server, "admin", "/#/admin")
    box = page.get_by_label("Require a comment on every red KPI of a closed month")
    expect(box).not_to_be_checked(timeout=TIMEOUT)
    box.check()
    settings = box.locator("xpath=ancestor::div[contains(@class, 'controls')][1]")
    settings.get_by_role("button", name="Save").click()
    expect(settings.get_by_role("status")).to_have_text("Saved.")
    assert _get(steering_server, "admin", "/settings/scorecard")["require_comment_on_red"] is True
    try:
        page.goto(f"{steering_server.url}/#/team/district/STV?period=2026-09&range=ytd")
        expect(page.locator("#attention .attention-item").first).to_be_visible(timeout=TIMEOUT)
        answer = _get(
            steering_server, "admin", "/attention", period="2026-09", range="ytd", level="district", code="STV"
        )
        assert answer["closed"] is True
        wanted = sum(1 for item in answer["items"] if item["needs_comment"])
        assert wanted > 0
        expect(page.locator("#attention .needs-comment")).to_have_count(wanted)
        expect(page.locator("#attention .needs-comment").first).to_have_text("! Needs a comment")
    finally:
        res = httpx.patch(
            f"{steering_server.url}/api/v1/settings/scorecard",
            headers=_headers(steering_server, "admin"),
            json={"require_comment_on_red": False},
        )
        assert res.status_code == 200, res.text


@browser
def test_the_steering_pages_in_bokmal(page: Page, steering_server):
    sign_in(page, steering_server, LEADER, f"/#/team/district/STV?{PERIOD}")
    expect(page.locator("#attention .attention-item").first).to_be_visible(timeout=TIMEOUT)
    with page.expect_request(lambda r: "/meetings/pack" in r.url) as asked:
        page.locator("#lang").select_option("nb")
        expect(page.get_by_role("heading", name="Trenger oppfølging")).to_be_visible(timeout=TIMEOUT)
        page.locator(".meeting-pack").get_by_role("button", name=re.compile(r"^PDF")).click()
    assert "lang=nb" in asked.value.url
    item = page.locator(".attention-item").first
    expect(item.locator(".item-why strong")).to_have_text(re.compile(r"^Hvorfor dette området:\s*$"))
    assert set(page.locator(".attention-item .area").all_inner_texts()) <= AREAS_NB
    expect(item.get_by_role("button", name=re.compile(r"^Kommentar"))).to_be_visible()
    expect(item.get_by_role("button", name=re.compile(r"^Nytt tiltak"))).to_be_visible()
    expect(page.locator(".meeting-pack")).to_contain_text("Møtepakke:")
    expect(page.get_by_role("heading", name=re.compile(r"^Åpne tiltak"))).to_be_visible()
    open_actions = _get(steering_server, LEADER, "/actions", level="district", code="STV", status="open")["items"]
    expect(page.locator("#actions .flag.overdue")).to_have_count(sum(a["overdue"] for a in open_actions))
    expect(page.locator("#actions .flag.overdue")).to_have_text(["! Forfalt"] * sum(a["overdue"] for a in open_actions))
    expect(page.locator("button.tile .tile-name").first).to_have_text("Økonomi")
    page.goto(f"{steering_server.url}/#/seller/S130?{PERIOD}&trail=district:STV")
    expect(page.get_by_role("heading", name=re.compile(r"^Tiltak"))).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("heading", name="Målsamtaler")).to_be_visible()
    expect(page.get_by_role("button", name="Registrer målsamtale")).to_be_visible()


@browser
@pytest.mark.parametrize("path", [f"/#/team/district/STV?{PERIOD}", f"/#/seller/S130?{PERIOD}&trail=district:STV"])
def test_the_steering_pages_fit_a_phone(page: Page, steering_server, path):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, steering_server, LEADER, path)
    expect(page.locator("#actions .action-list, #actions .empty")).to_be_visible(timeout=TIMEOUT)
    # nothing wider than the screen but the tables and charts, which scroll in their own boxes
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
