"""The tables the scorecard pages show, as downloads: a unit's KPIs (the seller page's and the team page's
KPI table), the ranking of the units below it and the heatmap's figures (the team page), in English or
Norwegian bokmål, as CSV (`write_table_csv`) or XLSX (`app.exports.pack_xlsx.write_table_xlsx`).

Pure: the answers of GET /scorecards/{level}/{code} (`card`) and of its /children, ranked as the page
ranks them (`ranking`: the best overall score first, those without one last, then by code), in; tables
in `pack_tables`' shape (`Table`) out, with the meeting pack's labels and words (`label`, `word`), so a
header reads the same in the pack and in a download.

How the CSV writes a cell (`app.exports.csv_writer`): text neutralized against spreadsheet formulas; an
attainment or a score as the fraction the variance CSV writes its ratios as (up to six decimals, 0.95 =
95 %); a KPI value as a number in its unit, exact: a column of money alone (a ranking's revenue) with
two decimals (øre kept), a column of values in several units (the KPI table's actual and target, where
one row is kroner and the next a ratio) with up to six decimals, trailing zeros dropped (1500.5 is
1 500,50 kr); a missing figure as an empty cell.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from app.exports.csv_writer import write_csv
from app.exports.pack_tables import (
    STATUS,
    UNITS,
    Column,
    Table,
    label,
    named,
    ranking_table,
    scorecard_table,
    word,
)

TABLES = ("kpis", "ranking", "heatmap", "outlook")

# What an outlook is read from (GET /scorecards/{level}/{code}/outlook's `basis`), as the page says it.
BASIS = {
    "en": {
        "history": "its own history",
        "profile": "its months and the seasonality profile",
        "none": "no months of its own yet",
        "not_loaded": "not loaded through the month",
    },
    "nb": {
        "history": "egen historikk",
        "profile": "egne måneder og sesongprofilen",
        "none": "ingen egne måneder ennå",
        "not_loaded": "ikke lastet til og med måneden",
    },
}


def _kpis(card: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The card's KPIs in its display order, perspective by perspective (the page's columns)."""
    return [k for p in card["perspectives"] for k in p["kpis"]]


def kpis_table(card: Mapping[str, Any], lang: str) -> Table:
    """The unit's KPIs, perspective by perspective: perspective, KPI, code, unit of measure, actual,
    target, attainment, score, status in words, stretch and stretch attainment (empty without a
    stretch), the previous range's actual, attainment and status, and the number of comments on the
    KPI for the period."""
    rows = scorecard_table({"scorecard": card}, lang).rows
    rows = [{**r, "unit_word": word(UNITS, r["unit"], lang)} for r in rows]
    columns = [
        Column("perspective", label("perspective", lang)),
        Column("kpi", label("kpi", lang)),
        Column("code", label("code", lang)),
        Column("unit_word", label("kpi_unit", lang)),
        Column("actual", label("actual", lang), "value"),
        Column("target", label("target", lang), "value"),
        Column("attainment", label("attainment", lang), "percent"),
        Column("score", label("kpi_score", lang), "percent"),
        Column("status", label("status", lang)),
        Column("stretch", label("stretch", lang), "value"),
        Column("stretch_attainment", label("stretch_attainment", lang), "percent"),
        Column("previous_actual", label("previous_actual", lang), "value"),
        Column("previous_attainment", label("previous_attainment", lang), "percent"),
        Column("previous_status", label("previous_status", lang)),
        Column("comment_count", label("comments", lang), "int"),
    ]
    return Table(columns, rows)


def team_ranking_table(
    card: Mapping[str, Any],
    ranking: Sequence[Mapping[str, Any]],
    lang: str,
    chances: Mapping[str, float | None] | None = None,
) -> Table:
    """The units below, in `ranking`'s order: rank, name, code, overall score, its status in words
    (green from 100 %, amber from 90 %), with `chances` the chance of reaching the year's revenue target
    (by code, as the team page shows it beside the status), then each KPI's actual (a column per KPI of
    the card, headed by its name, as the page's ranking)."""
    base = ranking_table({"ranking": list(ranking)}, lang)
    kpis = _kpis(card)
    rows = []
    for row, child in zip(base.rows, ranking, strict=True):
        figures = child.get("kpis") or {}
        extra: dict[str, Any] = {}
        for k in kpis:
            extra[f"actual:{k['code']}"] = (figures.get(k["code"]) or {}).get("actual")
            extra[f"unit:{k['code']}"] = k["unit"]
        if chances is not None:
            extra["chance"] = chances.get(child["code"])
        rows.append({**row, **extra})
    keep = {"rank", "unit_name", "code", "score", "status"}
    columns = [c for c in base.columns if c.key in keep]
    if chances is not None:
        columns.append(Column("chance", label("chance", lang), "percent"))
    columns += [Column(f"actual:{k['code']}", named(k, lang), "value", unit_key=f"unit:{k['code']}") for k in kpis]
    return Table(columns, rows)


def outlook_table(answer: Mapping[str, Any], lang: str) -> Table:
    """The outlook's table (the seller and team pages'): per KPI that adds up over time, its name,
    code, unit of measure, the year's target, the actual to date, p10, p50, p90 (values in the KPI's
    unit), the chance of reaching the target (a fraction) and what it is read from, in words."""
    rows = [
        {
            "kpi": k["name"],
            "code": k["kpi"],
            "unit": k["unit"],
            "unit_word": word(UNITS, k["unit"], lang),
            "target": k["target"],
            "actual_to_date": k["actual_to_date"],
            "p10": k["p10"],
            "p50": k["p50"],
            "p90": k["p90"],
            "probability": k["probability"],
            "basis": BASIS.get(lang, BASIS["en"])[k["basis"]],
        }
        for k in answer["kpis"]
    ]
    columns = [
        Column("kpi", label("kpi", lang)),
        Column("code", label("code", lang)),
        Column("unit_word", label("kpi_unit", lang)),
        Column("target", label("year_target", lang), "value"),
        Column("actual_to_date", label("actual_to_date", lang), "value"),
        Column("p10", label("p10", lang), "value"),
        Column("p50", label("p50", lang), "value"),
        Column("p90", label("p90", lang), "value"),
        Column("probability", label("probability", lang), "percent"),
        Column("basis", label("basis", lang)),
    ]
    return Table(columns, rows)


def team_heatmap_table(card: Mapping[str, Any], ranking: Sequence[Mapping[str, Any]], lang: str) -> Table:
    """The heatmap's figures: a row per unit below, in `ranking`'s order (the heatmap's, top down): rank,
    name, code, then for each KPI of the card (the heatmap's columns) its attainment and its status in
    words (`Revenue: attainment`, `Revenue: status`; no attainment: an empty cell and "no target")."""
    kpis = _kpis(card)
    rows = []
    for rank, child in enumerate(ranking, start=1):
        figures = child.get("kpis") or {}
        row: dict[str, Any] = {"rank": rank, "unit_name": child["name"], "code": child["code"]}
        for k in kpis:
            brief = figures.get(k["code"]) or {}
            row[f"attainment:{k['code']}"] = brief.get("attainment")
            row[f"status:{k['code']}"] = word(STATUS, brief.get("status") or "none", lang)
        rows.append(row)
    columns = [
        Column("rank", label("rank", lang), "int"),
        Column("unit_name", label("name", lang)),
        Column("code", label("code", lang)),
    ]
    attainment, status = label("attainment", lang).lower(), label("status", lang).lower()
    for k in kpis:
        name = named(k, lang)
        columns.append(Column(f"attainment:{k['code']}", f"{name}: {attainment}", "percent"))
        columns.append(Column(f"status:{k['code']}", f"{name}: {status}"))
    return Table(columns, rows)


def build(
    table: str,
    card: Mapping[str, Any],
    ranking: Sequence[Mapping[str, Any]],
    lang: str,
    chances: Mapping[str, float | None] | None = None,
) -> Table:
    """The table `table` (one of TABLES) of a unit's card and its ranked children (the ranking with the
    children's `chances`, when given)."""
    if table == "kpis":
        return kpis_table(card, lang)
    if table == "ranking":
        return team_ranking_table(card, ranking, lang, chances)
    if table == "heatmap":
        return team_heatmap_table(card, ranking, lang)
    if table == "outlook":
        return outlook_table(card, lang)
    raise ValueError(f"no table {table!r}: {', '.join(TABLES)}")


# --- CSV ------------------------------------------------------------------------------------------


def _csv_kind(column: Column, rows: Sequence[Mapping[str, Any]]) -> str:
    """The CSV writer's kind of a column (`app.exports.columns.KINDS`): a value column of money alone is
    `money` (two decimals), one of any other or mixed units `percent` (exact, up to six decimals)."""
    if column.kind == "value":
        units = {r.get(column.unit_key) for r in rows}  # of every row: the kind never depends on the figures
        return "money" if units <= {"currency"} else "percent"
    return {"percent": "percent", "int": "int"}.get(column.kind, "text")


def _cell(value: Any, kind: str, lang: str) -> Any:
    if kind == "bool" and value is not None:
        return label("yes" if value else "no", lang)
    return value


def table_frame(table: Table, lang: str = "en") -> tuple[pd.DataFrame, dict[str, str]]:
    """`table` as a frame headed by its columns' headers (a header met twice gets its column's key
    after it), and the CSV writer's kind of each column."""
    headers: list[str] = []
    for column in table.columns:
        header = column.header if column.header not in headers else f"{column.header} ({column.key})"
        headers.append(header)
    data: dict[str, Any] = {}
    kinds: dict[str, str] = {}
    for header, column in zip(headers, table.columns, strict=True):
        kind = _csv_kind(column, table.rows)
        values = [_cell(r.get(column.key), column.kind, lang) for r in table.rows]
        if kind in ("money", "percent"):
            data[header] = pd.array([None if v is None else float(v) for v in values], dtype="Float64")
        elif kind == "int":
            data[header] = pd.array(values, dtype="Int64")
        else:
            data[header] = pd.array([None if v is None else str(v) for v in values], dtype="object")
        kinds[header] = kind
    return pd.DataFrame(data, columns=headers), kinds


def write_table_csv(
    table: Table, *, lang: str = "en", delimiter: str = ",", decimal: str = ".", bom: bool = False
) -> bytes:
    """`table` as UTF-8 CSV (`app.exports.csv_writer.iter_csv`: `delimiter` and `decimal`, `bom`)."""
    frame, kinds = table_frame(table, lang)
    return write_csv(frame, delimiter=delimiter, decimal=decimal, bom=bom, kinds=kinds)
