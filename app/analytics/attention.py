"""Needs attention: which area to improve a red KPI points to, and what it costs (pure: no database, no web).

A red KPI of a district or a seller points to one of the seven areas to improve when sales fail
(PRODUCT.md §5, "Steering"). `RULES` is the table that picks it, in order: the first rule that
applies wins, and the last applies to every KPI, so each red KPI gets one area. The README's table
("Needs attention: which area a red KPI points to") is this table written out; a test keeps the two
equal. `pick_areas` applies it to a frame of red items with the facts the rules read:

| column | what it says (over the range asked for, ending at the period, unless said otherwise) |
| --- | --- |
| level | `district` or `seller` |
| kpi, perspective | the KPI's code and its perspective's key |
| attainment | the KPI's attainment (NaN: none) |
| seller_red_six_months | the unit is a seller whose overall *month* status was red in each of the last six months |
| goal_conversations_in_range | goal conversations held with the unit (for a district: with any of its sellers) |
| meetings_red, proposals_red | the unit's `meetings`, `proposals` are red |
| district_red_share | the share of the district's sellers with this KPI red (a seller's: of the seller's district) |

The cost that orders the items is the KPI's weight share within its perspective × the perspective's
weight share × the shortfall, max(0, 1 − attainment) (`costs`).
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

# The months a seller's overall month status must have been red in a row, ending at the period
RECRUITING_MONTHS = 6
# Attainment below this: the target is out of reach
OUT_OF_REACH = 0.5
# The share of a district's sellers for whom an activity KPI is red that makes it the team's matter
TEAM_SHARE = 0.5
# The activity KPIs of the internal process perspective: the sales meeting's matters
TEAM_KPIS = ("meetings", "proposals", "hit_rate")
# The learning & growth perspective (any KPI of it, manual ones too) and the KPIs of culture
LEARNING = "learning"
CULTURE_KPIS = ("training_hours", "coaching_sessions", "csat")
# How far back `months_red` counts
MONTHS_RED_MAX = 12


@dataclass(frozen=True)
class Rule:
    rule: str
    area: str
    text: str  # when it applies, in English: the README table's last column
    text_nb: str  # the same in Norwegian bokmål


RULES: tuple[Rule, ...] = (
    Rule(
        "seller_red_six_months",
        "recruiting",
        "The unit is a seller whose overall month status was red in each of the last six months: every red KPI "
        "of that seller",
        "Selgerens totalstatus har vært rød hver måned de siste seks månedene: alle selgerens røde KPI-er",
    ),
    Rule(
        "no_goal_conversation",
        "goal_conversations",
        "No goal conversation was held with the unit in the range (for a district: with none of its sellers)",
        "Det er ikke holdt noen målsamtale med enheten i perioden (for et distrikt: med ingen av selgerne)",
    ),
    Rule(
        "hit_rate_not_activity",
        "sales_process",
        "The KPI is the hit rate, and the unit's meetings and proposals are not red: the activity is there, "
        "the deals are lost",
        "KPI-en er tilslagsraten, og enhetens kundemøter og tilbud er ikke røde: aktiviteten er der, men avtalene "
        "går tapt",
    ),
    Rule(
        "target_out_of_reach",
        "goals",
        "Attainment is below 50 %: the target is out of reach; set it again with the unit",
        "Måloppnåelsen er under 50 %: målet er utenfor rekkevidde; sett det på nytt sammen med enheten",
    ),
    Rule(
        "team_activity_red",
        "sales_meetings",
        "Meetings, proposals or the hit rate is red for at least half of the district's sellers: the team as a "
        "whole, a matter for the internal sales meeting",
        "Kundemøter, tilbud eller tilslagsrate er rød for minst halvparten av distriktets selgere: en sak for hele "
        "teamet på det interne salgsmøtet",
    ),
    Rule(
        "learning_or_csat",
        "culture",
        "A learning & growth KPI (training hours, coaching sessions, or any KPI of that perspective) or customer "
        "satisfaction",
        "En KPI for læring og vekst (opplæringstimer, coachingsamtaler eller en annen KPI i det perspektivet) eller "
        "kundetilfredshet",
    ),
    Rule(
        "every_other",
        "management",
        "Every other red KPI: management by objectives, follow it up with the unit month by month",
        "Alle andre røde KPI-er: målstyring, følg dem opp med enheten måned for måned",
    ),
)


def pick_areas(items: pd.DataFrame) -> pd.DataFrame:
    """`items` (red KPIs with the columns in the module's docstring) with `area` and `rule`: those of
    the first rule of RULES that applies to each row."""
    seller = items["level"] == "seller"
    kpi = items["kpi"]
    applies = {
        "seller_red_six_months": seller & items["seller_red_six_months"].astype(bool),
        "no_goal_conversation": items["goal_conversations_in_range"].fillna(0) <= 0,
        "hit_rate_not_activity": (kpi == "hit_rate")
        & ~items["meetings_red"].astype(bool)
        & ~items["proposals_red"].astype(bool),
        "target_out_of_reach": items["attainment"].astype("float64") < OUT_OF_REACH,  # NaN: no
        "team_activity_red": kpi.isin(TEAM_KPIS) & (items["district_red_share"].astype("float64") >= TEAM_SHARE),
        "learning_or_csat": (items["perspective"] == LEARNING) | kpi.isin(CULTURE_KPIS),
        "every_other": pd.Series(True, index=items.index),
    }
    conditions = [applies[r.rule].to_numpy(dtype=bool) for r in RULES]
    return items.assign(
        area=np.select(conditions, [r.area for r in RULES], default=RULES[-1].area),
        rule=np.select(conditions, [r.rule for r in RULES], default=RULES[-1].rule),
    )


def weight_shares(kpis: pd.DataFrame, perspectives: pd.DataFrame) -> pd.Series:
    """Each KPI's weight share within its perspective × its perspective's weight share, by KPI code
    (`kpis`: code, perspective, weight; `perspectives`: key, weight). A zero total weighs nothing."""
    kpi_weight = kpis["weight"].astype("float64")
    within = kpi_weight.groupby(kpis["perspective"]).transform("sum")
    kpi_share = (kpi_weight / within.where(within > 0)).fillna(0.0)
    total = float(perspectives["weight"].astype("float64").sum())
    persp = dict(zip(perspectives["key"], perspectives["weight"].astype("float64"), strict=True))
    persp_share = kpis["perspective"].map(lambda key: persp.get(key, 0.0) / total if total > 0 else 0.0)
    return pd.Series((kpi_share * persp_share.astype("float64")).to_numpy(), index=kpis["code"].to_numpy())


def costs(attainment: pd.Series, share: pd.Series) -> pd.Series:
    """share × max(0, 1 − attainment): what a red KPI's shortfall costs the overall score (no
    attainment: no cost)."""
    shortfall = (1.0 - attainment.astype("float64")).clip(lower=0.0).fillna(0.0)
    return shortfall * share.astype("float64")
