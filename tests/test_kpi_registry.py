"""The KPI registry (app.analytics.kpis) is the one place a built-in KPI is written: the docs' table,
the API's vocabularies and the facts each KPI is made of agree with it."""

import re
from pathlib import Path
from typing import get_args

import pandas as pd
import pytest

from app.analytics.actuals import actuals_from_sums
from app.analytics.freshness import ACTIVITY_KPIS, SALES_KPIS
from app.analytics.kpis import KPI_BY_CODE, KPIS, PERSPECTIVES, SALES_SUMS, PerspectiveKey, Unit
from app.kpis.schemas import KpiRead, ManualKpiCreate

README = Path(__file__).resolve().parents[1] / "README.md"
HEADER = ["| perspective (weight) | KPI | definition | rolls up as |", "| --- | --- | --- | --- |"]


def _row(*cells: str) -> str:
    return "|" + "|".join(f" {c} " if c else " " for c in cells) + "|"


def registry_table() -> list[str]:
    """The README's table of the figures, as the registry says it."""
    rows = list(HEADER)
    for p in PERSPECTIVES:
        for i, k in enumerate(k for k in KPIS if k.perspective == p.key):
            perspective = f"{p.name.lower()} ({round(p.weight * 100)} %)" if i == 0 else ""
            rows.append(_row(perspective, f"`{k.code}`", k.definition, k.rolls_up_as))
    return rows


def readme_table() -> list[str]:
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index(HEADER[0], lines.index("## The figures"))
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    return lines[start:end]


def test_the_readme_table_is_the_registry():
    expected = registry_table()
    assert readme_table() == expected, "README.md, The figures: the registry's table is\n" + "\n".join(expected)


def test_every_built_in_kpi_has_a_perspective_and_comes_in_its_order():
    assert [k.perspective for k in KPIS] == sorted(
        (k.perspective for k in KPIS), key=[p.key for p in PERSPECTIVES].index
    )
    assert len(KPI_BY_CODE) == len(KPIS)
    assert sum(p.weight for p in PERSPECTIVES) == pytest.approx(1)


def test_the_api_vocabularies_are_the_registry():
    assert get_args(PerspectiveKey) == tuple(p.key for p in PERSPECTIVES)
    assert {k.unit for k in KPIS} <= set(get_args(Unit))
    assert ManualKpiCreate.model_fields["perspective"].annotation == PerspectiveKey
    assert ManualKpiCreate.model_fields["unit"].annotation == Unit
    assert {k.direction for k in KPIS} <= set(get_args(KpiRead.model_fields["direction"].annotation))


def test_sales_kpis_read_only_sales_and_activity_kpis_only_activities():
    """Each KPI's `facts` (what freshness masks it by) is what its formula reads: sales KPIs do not move
    with the activities, activity KPIs not with the sales."""
    index = pd.Index(["G"], name="group")
    no_sales = pd.DataFrame({c: [0] for c in SALES_SUMS}, index=index)
    sales = pd.DataFrame(
        {"amount": [10_000], "margin": [4_000], "costed_amount": [9_000], "key_amount": [2_000],
         "costed_lines": [3], "lines": [4], "active": [2], "new": [1]}, index=index)
    no_acts = pd.DataFrame({"group": [], "type": [], "value": [], "n": []})
    types = ["meeting", "proposal", "won", "lost", "csat", "training_hours", "coaching_session", "goal_conversation"]
    acts = pd.DataFrame({"group": "G", "type": types, "value": range(100, 900, 100), "n": 2})
    base = actuals_from_sums(no_sales, no_acts).iloc[0]
    with_sales = actuals_from_sums(sales, no_acts).iloc[0]
    with_acts = actuals_from_sums(no_sales, acts).iloc[0]
    moved_by_sales = {c for c in base.index if not _same(base[c], with_sales[c])}
    moved_by_acts = {c for c in base.index if not _same(base[c], with_acts[c])}
    assert moved_by_sales == set(SALES_KPIS) == {k.code for k in KPIS if k.facts == "sales"}
    assert moved_by_acts == set(ACTIVITY_KPIS) == {k.code for k in KPIS if k.facts == "activities"}
    assert list(base.index) == [k.code for k in KPIS]


def _same(a: float, b: float) -> bool:
    return (pd.isna(a) and pd.isna(b)) or a == b


def test_the_pages_mark_unloaded_kpis_by_the_registry_facts():
    """frontend/ui.js keeps its own list of the KPIs by their facts (a page reads it without a call):
    it must be the registry's, or a page would say "not loaded yet" of the wrong KPIs."""
    ui = (Path(__file__).resolve().parents[1] / "frontend" / "ui.js").read_text(encoding="utf-8")
    block = re.search(r"export const FACT_KPIS = \{(.*?)\};", ui, re.S)
    assert block is not None, "FACT_KPIS not found in frontend/ui.js"
    lists = {name: re.findall(r'"(\w+)"', items) for name, items in re.findall(r"(\w+): \[(.*?)\]", block.group(1))}
    assert lists == {"sales": list(SALES_KPIS), "activities": list(ACTIVITY_KPIS)}
    assert sorted(lists["sales"] + lists["activities"]) == sorted(k.code for k in KPIS)
