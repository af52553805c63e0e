"""The rules that pick a red KPI's area (app.analytics.attention), on literal frames; the README's rule
table is the RULES data."""

import math
from pathlib import Path
from typing import get_args

import pandas as pd
import pytest

from app.analytics.attention import RULES, costs, pick_areas, weight_shares
from app.steering.schemas import Area

README = Path(__file__).resolve().parents[1] / "README.md"
HEADING = "### Needs attention: which area a red KPI points to"
HEADER = ["| order | rule | area | when it applies |", "| --- | --- | --- | --- |"]

NAN = float("nan")
# a red item to which no rule but the last applies: a financial KPI at 80 %, a goal conversation held,
# meetings and proposals not red, no team share
PLAIN = {
    "level": "seller",
    "kpi": "revenue",
    "perspective": "financial",
    "attainment": 0.8,
    "seller_red_six_months": False,
    "goal_conversations_in_range": 1,
    "meetings_red": False,
    "proposals_red": False,
    "district_red_share": 0.0,
}


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame([{**PLAIN, **row} for row in rows])


def picked(*rows: dict) -> list[tuple[str, str]]:
    out = pick_areas(frame(*rows))
    return list(zip(out["area"], out["rule"], strict=True))


def readme_table() -> list[str]:
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index(HEADER[0], lines.index(HEADING))
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    return lines[start:end]


def test_the_readme_table_is_the_rules():
    expected = [*HEADER, *(f"| {i} | `{r.rule}` | `{r.area}` | {r.text} |" for i, r in enumerate(RULES, start=1))]
    assert readme_table() == expected, "README.md, " + HEADING + ": the rules' table is\n" + "\n".join(expected)
    # the section sits at the end of "The figures", before "## API"
    text = README.read_text(encoding="utf-8")
    assert text.index("## The figures") < text.index(HEADING) < text.index("## API")


def test_the_rules_cover_the_seven_areas_each_once_with_texts_in_both_languages():
    assert sorted(r.area for r in RULES) == sorted(get_args(Area))
    assert len({r.rule for r in RULES}) == len(RULES)
    assert [r.area for r in RULES[:3]] == ["recruiting", "goal_conversations", "sales_process"]  # PRODUCT.md §5
    assert all(r.text and r.text_nb and r.text != r.text_nb for r in RULES)


def test_each_rule_on_its_own():
    assert picked(
        {"seller_red_six_months": True},
        {"goal_conversations_in_range": 0},
        {"kpi": "hit_rate", "perspective": "process", "attainment": 0.7},
        {"attainment": 0.4},
    ) == [
        ("recruiting", "seller_red_six_months"),
        ("goal_conversations", "no_goal_conversation"),
        ("sales_process", "hit_rate_not_activity"),
        ("goals", "target_out_of_reach"),
    ]
    assert picked(
        {"kpi": "meetings", "perspective": "process", "district_red_share": 0.5},
        {"kpi": "training_hours", "perspective": "learning"},
        {"kpi": "csat", "perspective": "customer"},
        {"kpi": "margin_pct"},
    ) == [
        ("sales_meetings", "team_activity_red"),
        ("culture", "learning_or_csat"),
        ("culture", "learning_or_csat"),
        ("management", "every_other"),
    ]


def test_the_first_rule_that_matches_wins():
    # a seller red six months who also held no goal conversation, at 30 %: recruiting (rule 1), not 2 or 4
    # a district with no goal conversation whose hit rate is red alone: goal_conversations (2), not 3
    # a hit rate at 40 % with meetings and proposals fine: sales_process (3), not goals (4)
    # proposals at 40 % red for the whole team: goals (4), not sales_meetings (5)
    assert picked(
        {"seller_red_six_months": True, "goal_conversations_in_range": 0, "attainment": 0.3},
        {"level": "district", "goal_conversations_in_range": 0, "kpi": "hit_rate", "perspective": "process"},
        {"kpi": "hit_rate", "perspective": "process", "attainment": 0.4, "district_red_share": 1.0},
        {"kpi": "proposals", "perspective": "process", "attainment": 0.4, "district_red_share": 1.0},
    ) == [
        ("recruiting", "seller_red_six_months"),
        ("goal_conversations", "no_goal_conversation"),
        ("sales_process", "hit_rate_not_activity"),
        ("goals", "target_out_of_reach"),
    ]


def test_where_a_rule_does_not_apply():
    # six red months count only for a seller; a hit rate beside red meetings (or proposals) is not the
    # process; a team share below half, or none (a district without sellers), is not the team's
    assert picked(
        {"level": "district", "seller_red_six_months": True},
        {"kpi": "hit_rate", "perspective": "process", "meetings_red": True},
        {"kpi": "hit_rate", "perspective": "process", "proposals_red": True, "district_red_share": 0.49},
        {"kpi": "meetings", "perspective": "process", "district_red_share": NAN},
    ) == [("management", "every_other")] * 4
    # no attainment is not "out of reach"; 50 % exactly is not below it; a manual KPI of learning is culture
    assert picked(
        {"attainment": NAN},
        {"attainment": 0.5},
        {"kpi": "mentoring_days", "perspective": "learning"},
    ) == [("management", "every_other"), ("management", "every_other"), ("culture", "learning_or_csat")]


def test_the_input_columns_are_kept():
    out = pick_areas(frame({"attainment": 0.4}, {}))
    assert list(out.columns) == [*PLAIN, "area", "rule"]
    assert out["attainment"].tolist() == [0.4, 0.8]


def test_weight_shares_and_cost_by_hand():
    kpis = pd.DataFrame(
        {
            "code": ["revenue", "gross_margin", "margin_pct", "meetings", "hit_rate"],
            "perspective": ["financial", "financial", "financial", "process", "process"],
            "weight": [2.0, 1.0, 1.0, 1.0, 3.0],
        }
    )
    perspectives = pd.DataFrame({"key": ["financial", "process"], "weight": [0.6, 0.2]})
    shares = weight_shares(kpis, perspectives)
    # revenue: 2/4 of financial, financial 0.6/0.8 of the whole: 0.5 × 0.75 = 0.375
    assert shares["revenue"] == pytest.approx(0.375)
    assert shares["margin_pct"] == pytest.approx(0.25 * 0.75)
    # hit_rate: 3/4 of process, process 0.2/0.8: 0.1875
    assert shares["hit_rate"] == pytest.approx(0.1875)
    cost = costs(pd.Series([0.6, 1.1, NAN]), pd.Series([shares["revenue"], 0.5, 0.5]))
    # revenue at 60 %: 0.375 × 0.4 = 0.15; above 100 % (a threshold above 1) or no attainment: no cost
    assert cost.tolist() == pytest.approx([0.15, 0.0, 0.0])
    assert not any(math.isnan(c) for c in cost)

