"""The meeting pack's tables as the PDF and the XLSX show them, from one pack (the JSON shape of
GET /meetings/pack, app.steering.schemas.MeetingPackRead), in English or Norwegian bokmål.

Each table is a list of plain rows (dicts of numbers, text, None) with its columns: the XLSX writes
the numbers as numbers, the PDF writes them as text (`value_text`, `attainment_text`), so the two
cannot disagree. Dates and times may come as `date`/`datetime` or as their ISO text (a cached
answer is JSON). Free text (comments, titles) is passed on as it was written: each writer makes it
text in its own format (escaped in the PDF, neutralized in the XLSX).
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from app.charts.formats import DEFAULT_THRESHOLDS, MINUS, NBSP, number_text, percent_text
from app.charts.scorecard import UNIT_DECIMALS

LANGS = ("en", "nb")

_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Sales meeting pack",
        "generated": "Generated {when}",
        "data_through": "Sales through {date}",
        "no_sales": "No sales are loaded for {month} yet; the figures run through {date}.",
        "overall": "Overall score",
        "previous_month": "previous month {value}",
        "scorecard": "Scorecard",
        "chart": "Attainment by KPI",
        "chart_note": "Bars end at 150%; the lines mark 90% (close) and 100% (on target).",
        "no_chart": "No KPI has a target for this period.",
        "ranking": "Ranking of the units below",
        "attention": "Needs attention",
        "actions": "Open coaching actions",
        "none_below": "No units below this one.",
        "no_attention": "No red KPIs below this unit.",
        "no_actions": "No open coaching actions.",
        "perspective": "Perspective",
        "perspective_score": "Perspective score",
        "kpi": "KPI",
        "code": "Code",
        "actual": "Actual",
        "target": "Target",
        "stretch": "Stretch",
        "stretch_attainment": "Stretch attainment",
        "chance": "Chance of the year's revenue target",
        "year_target": "Year's target",
        "actual_to_date": "Actual to date",
        "p10": "p10",
        "p50": "Most likely (p50)",
        "p90": "p90",
        "probability": "Chance of the target",
        "basis": "Read from",
        "attainment": "Attainment",
        "status": "Status",
        "previous_actual": "Previous actual",
        "previous_attainment": "Previous attainment",
        "rank": "#",
        "name": "Name",
        "unit": "Unit",
        "level": "Level",
        "score": "Overall score",
        "months_red": "Months red",
        "area": "Area",
        "comments": "Comments",
        "no_comments": "No comments.",
        "arena": "Arena",
        "title_col": "Title",
        "owner": "Owner",
        "due": "Due",
        "overdue": "Overdue",
        "baseline": "Baseline",
        "baseline_period": "Baseline month",
        "baseline_attainment": "Baseline attainment",
        "latest": "Latest follow-up",
        "latest_period": "Latest month",
        "latest_attainment": "Latest attainment",
        "latest_status": "Latest status",
        "yes": "yes",
        "no": "no",
        "page": "Page {n}",
        "listed": "The first {shown} of {total} are listed here; the XLSX lists them all.",
        # the scorecard pages' table downloads (app.exports.scorecard_tables)
        "kpi_unit": "Unit of measure",
        "kpi_score": "Score",
        "previous_status": "Previous status",
    },
    "nb": {
        "title": "Salgsmøtepakke",
        "generated": "Laget {when}",
        "data_through": "Salg til og med {date}",
        "no_sales": "Ingen salg er lastet inn for {month} ennå; tallene går til og med {date}.",
        "overall": "Totalscore",
        "previous_month": "forrige måned {value}",
        "scorecard": "Målekort",
        "chart": "Måloppnåelse per nøkkeltall",
        "chart_note": "Stolpene slutter ved 150 %; linjene viser 90 % (nær) og 100 % (på mål).",
        "no_chart": "Ingen nøkkeltall har mål for denne perioden.",
        "ranking": "Rangering av enhetene under",
        "attention": "Trenger oppfølging",
        "actions": "Åpne coachingtiltak",
        "none_below": "Ingen enheter under denne.",
        "no_attention": "Ingen røde nøkkeltall under denne enheten.",
        "no_actions": "Ingen åpne coachingtiltak.",
        "perspective": "Perspektiv",
        "perspective_score": "Perspektivscore",
        "kpi": "Nøkkeltall",
        "code": "Kode",
        "actual": "Faktisk",
        "target": "Mål",
        "stretch": "Strekkmål",
        "stretch_attainment": "Oppnåelse av strekkmål",
        "chance": "Sjanse for årets omsetningsmål",
        "year_target": "Årets mål",
        "actual_to_date": "Faktisk hittil",
        "p10": "p10",
        "p50": "Mest sannsynlig (p50)",
        "p90": "p90",
        "probability": "Sjanse for målet",
        "basis": "Lest fra",
        "attainment": "Måloppnåelse",
        "status": "Status",
        "previous_actual": "Forrige faktisk",
        "previous_attainment": "Forrige måloppnåelse",
        "rank": "#",
        "name": "Navn",
        "unit": "Enhet",
        "level": "Nivå",
        "score": "Totalscore",
        "months_red": "Måneder rød",
        "area": "Område",
        "comments": "Kommentarer",
        "no_comments": "Ingen kommentarer.",
        "arena": "Arena",
        "title_col": "Tittel",
        "owner": "Ansvarlig",
        "due": "Frist",
        "overdue": "Forfalt",
        "baseline": "Utgangspunkt",
        "baseline_period": "Utgangsmåned",
        "baseline_attainment": "Måloppnåelse ved start",
        "latest": "Siste oppfølging",
        "latest_period": "Siste måned",
        "latest_attainment": "Siste måloppnåelse",
        "latest_status": "Siste status",
        "yes": "ja",
        "no": "nei",
        "page": "Side {n}",
        "listed": "De første {shown} av {total} er listet her; XLSX-filen har alle.",
        # the scorecard pages' table downloads (app.exports.scorecard_tables)
        "kpi_unit": "Måleenhet",
        "kpi_score": "Poeng",
        "previous_status": "Forrige status",
    },
}

STATUS = {
    "en": {"stretch": "stretch reached", "green": "on target", "amber": "close", "red": "behind", "none": "no target"},
    "nb": {"stretch": "strekkmål nådd", "green": "på mål", "amber": "nær", "red": "bak", "none": "uten mål"},
}
LEVELS = {
    "en": {"company": "Company", "region": "Region", "district": "District", "seller": "Seller", "account": "Account"},
    "nb": {"company": "Selskap", "region": "Region", "district": "Distrikt", "seller": "Selger", "account": "Kunde"},
}
# A KPI's unit of measure (app.analytics.kpis): a ratio is a fraction (0.35 = 35 %).
UNITS = {
    "en": {"currency": "NOK", "ratio": "ratio", "count": "count", "hours": "hours", "days": "days", "score": "score"},
    "nb": {"currency": "kr", "ratio": "andel", "count": "antall", "hours": "timer", "days": "dager", "score": "poeng"},
}
RANGES = {
    "en": {"month": "Month", "quarter": "Quarter", "ytd": "Year to date", "r12": "Last 12 months"},
    "nb": {"month": "Måned", "quarter": "Kvartal", "ytd": "Hittil i år", "r12": "Siste 12 måneder"},
}
# The seven areas to improve when sales fail, and the six coaching arenas (app.steering.schemas).
AREAS = {
    "en": {
        "goals": "Goals",
        "culture": "Culture",
        "sales_meetings": "Sales meetings",
        "goal_conversations": "Goal conversations",
        "management": "Management by objectives",
        "sales_process": "Sales process",
        "recruiting": "Recruiting",
    },
    "nb": {
        "goals": "Mål",
        "culture": "Kultur",
        "sales_meetings": "Salgsmøter",
        "goal_conversations": "Målsamtaler",
        "management": "Målstyring",
        "sales_process": "Salgsprosess",
        "recruiting": "Rekruttering",
    },
}
ARENAS = {
    "en": {
        "appraisal": "Appraisal",
        "training": "Training",
        "practice": "Practice",
        "problem_solving": "Problem solving",
        "goals": "Goals",
        "plan": "Plan",
    },
    "nb": {
        "appraisal": "Medarbeidersamtale",
        "training": "Opplæring",
        "practice": "Trening",
        "problem_solving": "Problemløsning",
        "goals": "Mål",
        "plan": "Plan",
    },
}
MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "nb": [
        "januar",
        "februar",
        "mars",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "desember",
    ],
}


def _lang(lang: str) -> str:
    return lang if lang in LANGS else "en"


def label(key: str, lang: str, **values: Any) -> str:
    """The label `key` in `lang` (English when the language is unknown), with `values` filled in."""
    text = _LABELS[_lang(lang)][key]
    return text.format(**values) if values else text


def word(table: Mapping[str, Mapping[str, str]], key: str | None, lang: str) -> str:
    """`key`'s word in one of the vocabularies above (STATUS, AREAS, ARENAS, …); the key itself when unknown."""
    if key is None:
        return "–"
    return table[_lang(lang)].get(key, key)


def named(row: Mapping[str, Any], lang: str, field: str = "name") -> str:
    """A KPI's or a perspective's name in `lang`: `name_nb` (or `kpi_name_nb`) in bokmål where given."""
    if _lang(lang) == "nb" and row.get(f"{field}_nb"):
        return str(row[f"{field}_nb"])
    return str(row.get(field) or "")


def month_text(period: str | None, lang: str) -> str:
    """`2026-02` as `February 2026` (nb `februar 2026`)."""
    if not period:
        return "–"
    year, month = period.split("-")
    return f"{MONTHS[_lang(lang)][int(month) - 1]} {year}"


def when_text(value: date | datetime | str | None) -> str:
    """A date as YYYY-MM-DD, a time as YYYY-MM-DD HH:MM (as it was given: the API's times are UTC)."""
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        text = value.replace("T", " ")
        return text[:16] if len(text) > 10 else text
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def _finite(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def _pdf_safe(text: str) -> str:
    """The minus sign as a hyphen: Helvetica, the PDF's font, has no glyph for U+2212 in every reader."""
    return text.replace(MINUS, "-")


def value_text(value: Any, unit: str | None, lang: str) -> str:
    """A KPI value in its unit: money in whole kroner (en `NOK 1,234,567`, nb `1 234 567 kr`), a ratio
    as a percent with one decimal (`78.5%`, nb `78,5 %`), counts whole, hours and days with one
    decimal, scores with two; '–' when missing."""
    v = _finite(value)
    if v is None:
        return "–"
    if unit == "currency":
        amount = number_text(v, 0, lang)
        return _pdf_safe(f"{amount}{NBSP}kr" if _lang(lang) == "nb" else f"NOK{NBSP}{amount}")
    if unit == "ratio":
        percent = number_text(v * 100, UNIT_DECIMALS["ratio"], lang)
        return _pdf_safe(percent + (f"{NBSP}%" if _lang(lang) == "nb" else "%"))
    return _pdf_safe(number_text(v, UNIT_DECIMALS.get(unit or "", 2), lang))


def attainment_text(value: Any, lang: str, thresholds: Iterable[float] = DEFAULT_THRESHOLDS) -> str:
    """An attainment (or a score) as a percent on its status's side of the thresholds, as the pages
    write it (app.charts.formats.percent_text: 99.5 % amber is never "100 %"); '–' when missing."""
    return _pdf_safe(percent_text(_finite(value), lang, thresholds=thresholds))


def score_status(score: Any) -> str:
    """The status of an overall or perspective score, as the pages colour it: green from 100 %, amber
    from 90 %, red below; none without a score."""
    v = _finite(score)
    if v is None:
        return "none"
    return "green" if v >= 1.0 else "amber" if v >= 0.9 else "red"


# --- the tables ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of a table: the row's key, its header, and its kind: `text`, `int`, `bool`, `date`
    (YYYY-MM-DD text), `value` (a KPI value in the unit the row gives under `unit_key`), `percent` (an
    attainment or a score, on its status's side of the row's `thresholds`)."""

    key: str
    header: str
    kind: str = "text"
    unit_key: str = "unit"


@dataclass(frozen=True)
class Table:
    """A table's columns, in order, and its rows (each a dict by column key, with more keys the
    writers use: a KPI row's `unit`, `thresholds`, `status_key`, an item's `comment_list`)."""

    columns: list[Column]
    rows: list[dict[str, Any]]


def _kpi_thresholds(pack: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    """Each KPI's (amber, green) thresholds, from the pack's scorecard."""
    return {
        k["code"]: (float(k["amber_threshold"]), float(k["green_threshold"]))
        for p in pack["scorecard"]["perspectives"]
        for k in p["kpis"]
    }


def scorecard_table(pack: Mapping[str, Any], lang: str) -> Table:
    """The unit's KPIs perspective by perspective (each row says its perspective and that perspective's
    score): actual, target, stretch, attainment, status in words, and the previous range's actual and
    attainment (the stretch attainment too, which the scorecard page's KPI download shows)."""
    rows = []
    for p in pack["scorecard"]["perspectives"]:
        for k in p["kpis"]:
            previous = k.get("previous") or {}
            rows.append(
                {
                    "perspective": named(p, lang),
                    "perspective_key": p["key"],
                    "perspective_score": _finite(p.get("score")),
                    "kpi": named(k, lang),
                    "code": k["code"],
                    "unit": k["unit"],
                    "actual": _finite(k.get("actual")),
                    "target": _finite(k.get("target")),
                    "stretch": _finite(k.get("stretch")),
                    "attainment": _finite(k.get("attainment")),
                    "stretch_attainment": _finite(k.get("stretch_attainment")),
                    "status": word(STATUS, k.get("status"), lang),
                    "status_key": k.get("status"),
                    "previous_actual": _finite(previous.get("actual")),
                    "previous_attainment": _finite(previous.get("attainment")),
                    "thresholds": (float(k["amber_threshold"]), float(k["green_threshold"])),
                    # not in the pack's table; the scorecard page's KPI download shows them
                    "score": _finite(k.get("score")),
                    "previous_status": word(STATUS, previous.get("status") or "none", lang),
                    "comment_count": len(k.get("comments") or []),
                }
            )
    columns = [
        Column("perspective", label("perspective", lang)),
        Column("kpi", label("kpi", lang)),
        Column("code", label("code", lang)),
        Column("actual", label("actual", lang), "value"),
        Column("target", label("target", lang), "value"),
        Column("attainment", label("attainment", lang), "percent"),
        Column("status", label("status", lang)),
        Column("stretch", label("stretch", lang), "value"),
        Column("previous_actual", label("previous_actual", lang), "value"),
        Column("previous_attainment", label("previous_attainment", lang), "percent"),
        Column("perspective_score", label("perspective_score", lang), "percent"),
    ]
    return Table(columns, rows)


def ranking_table(pack: Mapping[str, Any], lang: str) -> Table:
    """The units below, in the pack's order (best overall score first): rank, name and code (`name`
    is both, as the PDF shows it), level, overall score and its status in words."""
    rows = [
        {
            "rank": i,
            "name": f"{c['name']} ({c['code']})",
            "unit_name": c["name"],
            "code": c["code"],
            "level": word(LEVELS, c.get("level"), lang),
            "score": _finite(c.get("overall_score")),
            "status": word(STATUS, score_status(c.get("overall_score")), lang),
            "status_key": score_status(c.get("overall_score")),
        }
        for i, c in enumerate(pack["ranking"], start=1)
    ]
    columns = [
        Column("rank", label("rank", lang), "int"),
        Column("unit_name", label("name", lang)),
        Column("code", label("code", lang)),
        Column("level", label("level", lang)),
        Column("score", label("score", lang), "percent"),
        Column("status", label("status", lang)),
    ]
    return Table(columns, rows)


def comment_line(comment: Mapping[str, Any]) -> str:
    """A comment as one line of text: `text (author, YYYY-MM-DD HH:MM)`."""
    return f"{comment.get('text', '')} ({comment.get('author', '')}, {when_text(comment.get('created_at'))})"


def attention_table(pack: Mapping[str, Any], lang: str) -> Table:
    """The attention items in the pack's order (most costly first): unit, KPI, actual, target,
    attainment, months red, area in words, and the comments (each `comments` row keeps its list)."""
    thresholds = _kpi_thresholds(pack)
    rows = [
        {
            "unit": f"{item['name']} ({item['code']})",
            "kpi": named(item, lang, "kpi_name"),
            "unit_kind": item.get("unit"),
            "actual": _finite(item.get("actual")),
            "target": _finite(item.get("target")),
            "attainment": _finite(item.get("attainment")),
            "thresholds": thresholds.get(item["kpi"], DEFAULT_THRESHOLDS),
            "months_red": item.get("months_red"),
            "area": word(AREAS, item.get("area"), lang),
            "comments": "\n".join(comment_line(c) for c in item.get("comments") or []),
            "comment_list": list(item.get("comments") or []),
        }
        for item in pack["attention"]
    ]
    columns = [
        Column("unit", label("unit", lang)),
        Column("kpi", label("kpi", lang)),
        Column("actual", label("actual", lang), "value", unit_key="unit_kind"),
        Column("target", label("target", lang), "value", unit_key="unit_kind"),
        Column("attainment", label("attainment", lang), "percent"),
        Column("months_red", label("months_red", lang), "int"),
        Column("area", label("area", lang)),
        Column("comments", label("comments", lang)),
    ]
    return Table(columns, rows)


def actions_table(pack: Mapping[str, Any], lang: str) -> Table:
    """The open coaching actions: unit, KPI, arena in words, title, owner, due, overdue, the baseline's
    month and attainment, and the latest follow-up's month, attainment and status."""
    thresholds = _kpi_thresholds(pack)
    rows = []
    for a in pack["actions"]:
        baseline = a.get("baseline") or {}
        latest = (a.get("follow_up") or [{}])[-1]
        rows.append(
            {
                "unit": f"{a['name']} ({a['code']})",
                "kpi": named(a, lang, "kpi_name"),
                "arena": word(ARENAS, a.get("arena"), lang),
                "title": a.get("title", ""),
                "owner": a.get("owner_email", ""),
                "due": when_text(a.get("due")),
                "overdue": bool(a.get("overdue")),
                "baseline_period": baseline.get("period"),
                "baseline_attainment": _finite(baseline.get("attainment")),
                "latest_period": latest.get("period"),
                "latest_attainment": _finite(latest.get("attainment")),
                "latest_status": word(STATUS, latest["status"], lang) if latest.get("status") else None,
                "thresholds": thresholds.get(a["kpi"], DEFAULT_THRESHOLDS),
            }
        )
    columns = [
        Column("unit", label("unit", lang)),
        Column("kpi", label("kpi", lang)),
        Column("arena", label("arena", lang)),
        Column("title", label("title_col", lang)),
        Column("owner", label("owner", lang)),
        Column("due", label("due", lang), "date"),
        Column("overdue", label("overdue", lang), "bool"),
        Column("baseline_period", label("baseline_period", lang)),
        Column("baseline_attainment", label("baseline_attainment", lang), "percent"),
        Column("latest_period", label("latest_period", lang)),
        Column("latest_attainment", label("latest_attainment", lang), "percent"),
        Column("latest_status", label("latest_status", lang)),
    ]
    return Table(columns, rows)


def heading(pack: Mapping[str, Any], lang: str) -> tuple[str, str]:
    """The pack's title (`Sales meeting pack: District Oslo (D1)`) and its subtitle (`District ·
    February 2026 · Year to date`)."""
    unit = pack["name"] if pack["level"] == "company" else f"{pack['name']} ({pack['code']})"
    subtitle = " · ".join(
        [word(LEVELS, pack["level"], lang), month_text(pack["period"], lang), word(RANGES, pack["range"], lang)]
    )
    return f"{label('title', lang)}: {unit}", subtitle
