"""The KPI registry: each built-in KPI declared once.

The code is also the DataFrame column, the JSON key and the export header. `time_rollup` says how
a KPI's monthly targets combine over a range (`sum`: they add up; `last`: the range's last month),
`people_rollup` how a unit's actual is built from its members' data (`sum`, `ratio` of summed
parts, `distinct` over the unit, `weighted_mean` by responses); `additive_target` whether a unit
without its own target takes the sum of its children's. `name_nb` is the name in Norwegian bokmål
(migration 0007 wrote the same names into the database, where an administrator may change them).
`facts` names what the KPI is made of (`sales` or `activities`: a range whose last month of those is
not loaded yet is not scored on them, app.analytics.freshness). `definition` is the KPI's line in
the docs' table (README.md, "The figures"; a test keeps the two equal). `formula` computes the KPI of
each group from the group's monthly sums (app.analytics.actuals.actuals_from_sums runs them).

The seed migration writes these rows out as data (a migration is history and imports no app code);
tests/test_migrations.py checks the migrated database against this registry.

Formulas (PRODUCT.md §2) read `sums`, the sales sums of each group (columns SALES_SUMS, int64, money
in cents: amount; margin = Σ (amount − cost) and costed_amount = Σ amount over the lines that carry a
cost; key_amount = Σ amount of lines to key accounts; costed_lines: lines that carry a cost; lines:
every line, credit notes too; active: distinct accounts with a positive line; new: those of them
whose first sale ever falls inside the range), and `acts`, the activity totals of each group (Σ
value in hundredths, as stored: two decimals, and rows, per activity type). Each figure is one
division of exact integer sums (see app.analytics.actuals on exact figures).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

PerspectiveKey = Literal["financial", "customer", "process", "learning"]
Unit = Literal["currency", "ratio", "count", "hours", "score", "days"]  # built-in and manual KPIs' units
Direction = Literal["higher", "lower"]
TimeRollup = Literal["sum", "last"]
PeopleRollup = Literal["sum", "ratio", "distinct", "weighted_mean"]
Facts = Literal["sales", "activities"]

# How each people roll-up reads in the docs' table ("rolls up as")
ROLLS_UP_AS: dict[PeopleRollup, str] = {
    "sum": "sum",
    "ratio": "ratio of sums",
    "distinct": "distinct over the unit",
    "weighted_mean": "weighted by responses",
}

# The sales sums the formulas read, one int64 column each (app.reporting.facts.sales_sums computes
# them in SQL, in this order)
SALES_SUMS = ["amount", "margin", "costed_amount", "key_amount", "costed_lines", "lines", "active", "new"]


class ActivityTotals:
    """Σ value (hundredths) and rows of each activity type, per group of `index`, from activity sums
    (columns group, type, value in hundredths, n; groups not in `index` are ignored)."""

    def __init__(self, activities: pd.DataFrame, index: pd.Index) -> None:
        self.index = index
        # (group, type) -> [Σ value in hundredths, rows], as Python ints (exact); plain dict lookups beat
        # pandas reshaping at these sizes
        totals: dict[tuple, list[int]] = {}
        for group, kind, value, n in activities[["group", "type", "value", "n"]].itertuples(index=False):
            both = totals.setdefault((group, kind), [0, 0])
            both[0] += int(value)
            both[1] += int(n)
        self._totals = totals

    def _sum(self, kinds: tuple[str, ...], measure: int) -> pd.Series:
        got, none = self._totals, (0, 0)
        if len(kinds) == 1:  # most KPIs read one type: no inner sum
            (kind,) = kinds
            values = [got.get((g, kind), none)[measure] for g in self.index]
        else:
            values = [sum(got.get((g, kind), none)[measure] for kind in kinds) for g in self.index]
        return pd.Series(np.array(values, dtype="int64"), index=self.index)

    def value(self, *kinds: str) -> pd.Series:
        """Σ value of `kinds` per group, in hundredths (int64)."""
        return self._sum(kinds, 0)

    def rows(self, *kinds: str) -> pd.Series:
        """Rows of `kinds` per group (int64)."""
        return self._sum(kinds, 1)


def money(cents: pd.Series) -> pd.Series:
    return cents.astype("int64") / 100  # one correctly rounded division per figure


def hundredths(value: pd.Series) -> pd.Series:
    return value / 100  # an int64 sum of hundredths (ActivityTotals) divided once


def ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """num / den, null where den is 0 (nothing to divide by)."""
    den = den.astype("float64")
    return (num.astype("float64") / den.where(den != 0)).astype("float64")


Formula = Callable[[pd.DataFrame, ActivityTotals], pd.Series]


@dataclass(frozen=True)
class PerspectiveDef:
    key: PerspectiveKey
    name: str
    weight: float
    name_nb: str  # the name in Norwegian bokmål


@dataclass(frozen=True)
class KpiDef:
    code: str
    name: str
    name_nb: str  # the name in Norwegian bokmål
    perspective: PerspectiveKey
    unit: Unit
    direction: Direction
    time_rollup: TimeRollup
    people_rollup: PeopleRollup
    facts: Facts
    definition: str  # its line in the docs' table (README.md, "The figures")
    formula: Formula = field(repr=False, compare=False)

    @property
    def additive_target(self) -> bool:
        return self.people_rollup == "sum"

    @property
    def rolls_up_as(self) -> str:
        return ROLLS_UP_AS[self.people_rollup]


PERSPECTIVES: tuple[PerspectiveDef, ...] = (
    PerspectiveDef("financial", "Financial", 0.40, "Økonomi"),
    PerspectiveDef("customer", "Customer", 0.25, "Kunder"),
    PerspectiveDef("process", "Internal process", 0.20, "Interne prosesser"),
    PerspectiveDef("learning", "Learning & growth", 0.15, "Læring og vekst"),
)


def _gross_margin(sums: pd.DataFrame, acts: ActivityTotals) -> pd.Series:
    # 0 without sales; null when sales exist but none of them carries a cost (the margin is not known,
    # it is not 0). A line without a cost adds neither margin nor revenue to it (nor to margin_pct):
    # the margin is never overstated by revenue whose cost was not loaded.
    return money(sums["margin"]).where((sums["costed_lines"] > 0) | (sums["lines"] == 0))


def _margin_pct(sums: pd.DataFrame, acts: ActivityTotals) -> pd.Series:
    # null when the costed revenue is 0 or no line has a cost
    return ratio(sums["margin"], sums["costed_amount"]).where(sums["costed_lines"] > 0)


def _hit_rate(sums: pd.DataFrame, acts: ActivityTotals) -> pd.Series:
    won = acts.value("won")
    return ratio(won, won + acts.value("lost"))  # null without decided deals


# Norwegian names as controllers say them: gross margin is "dekningsbidrag" (DB) and the margin
# ratio "dekningsgrad" (DG); a won proposal is a "tilslag".
KPIS: tuple[KpiDef, ...] = (
    KpiDef(
        code="revenue",
        name="Revenue",
        name_nb="Omsetning",
        perspective="financial",
        unit="currency",
        direction="higher",
        time_rollup="sum",
        people_rollup="sum",
        facts="sales",
        definition="sum of sales amount",
        formula=lambda sums, acts: money(sums["amount"]),  # 0 without sales
    ),
    KpiDef(
        code="gross_margin",
        name="Gross margin",
        name_nb="Dekningsbidrag",
        perspective="financial",
        unit="currency",
        direction="higher",
        time_rollup="sum",
        people_rollup="sum",
        facts="sales",
        definition="sum of amount − cost, over lines that carry a cost",
        formula=_gross_margin,
    ),
    KpiDef(
        code="margin_pct",
        name="Margin %",
        name_nb="Dekningsgrad",
        perspective="financial",
        unit="ratio",
        direction="higher",
        time_rollup="last",
        people_rollup="ratio",
        facts="sales",
        definition="gross margin / revenue of those lines",
        formula=_margin_pct,
    ),
    KpiDef(
        code="active_customers",
        name="Active customers",
        name_nb="Aktive kunder",
        perspective="customer",
        unit="count",
        direction="higher",
        time_rollup="last",
        people_rollup="distinct",
        facts="sales",
        definition="distinct accounts with a sale (a line with a positive amount)",
        formula=lambda sums, acts: sums["active"].astype("int64"),  # distinct over the whole unit
    ),
    KpiDef(
        code="new_customers",
        name="New customers",
        name_nb="Nye kunder",
        perspective="customer",
        unit="count",
        direction="higher",
        time_rollup="sum",
        people_rollup="distinct",
        facts="sales",
        definition="distinct accounts whose first sale ever falls in the range",
        formula=lambda sums, acts: sums["new"].astype("int64"),
    ),
    KpiDef(
        code="key_account_share",
        name="Key-account share",
        name_nb="Andel nøkkelkunder",
        perspective="customer",
        unit="ratio",
        direction="higher",
        time_rollup="last",
        people_rollup="ratio",
        facts="sales",
        definition="revenue from key accounts / revenue",
        formula=lambda sums, acts: ratio(sums["key_amount"], sums["amount"]),  # null when revenue is 0
    ),
    KpiDef(
        code="csat",
        name="Customer satisfaction",
        name_nb="Kundetilfredshet",
        perspective="customer",
        unit="score",
        direction="higher",
        time_rollup="last",
        people_rollup="weighted_mean",
        facts="activities",
        definition="mean CSAT score",
        # Σ scores / responses (value in hundredths, so responses × 100); null without responses
        formula=lambda sums, acts: ratio(acts.value("csat"), acts.rows("csat") * 100),
    ),
    KpiDef(
        code="meetings",
        name="Customer meetings",
        name_nb="Kundemøter",
        perspective="process",
        unit="count",
        direction="higher",
        time_rollup="sum",
        people_rollup="sum",
        facts="activities",
        definition="sum of meeting activities",
        formula=lambda sums, acts: hundredths(acts.value("meeting")),
    ),
    KpiDef(
        code="proposals",
        name="Proposals sent",
        name_nb="Tilbud sendt",
        perspective="process",
        unit="count",
        direction="higher",
        time_rollup="sum",
        people_rollup="sum",
        facts="activities",
        definition="sum of proposal activities",
        formula=lambda sums, acts: hundredths(acts.value("proposal")),
    ),
    KpiDef(
        code="hit_rate",
        name="Hit rate",
        name_nb="Tilslagsrate",
        perspective="process",
        unit="ratio",
        direction="higher",
        time_rollup="last",
        people_rollup="ratio",
        facts="activities",
        definition="won / (won + lost)",
        formula=_hit_rate,
    ),
    KpiDef(
        code="training_hours",
        name="Training hours",
        name_nb="Opplæringstimer",
        perspective="learning",
        unit="hours",
        direction="higher",
        time_rollup="sum",
        people_rollup="sum",
        facts="activities",
        definition="sum of training hours",
        formula=lambda sums, acts: hundredths(acts.value("training_hours")),
    ),
    KpiDef(
        code="coaching_sessions",
        name="Coaching sessions",
        name_nb="Coachingsamtaler",
        perspective="learning",
        unit="count",
        direction="higher",
        time_rollup="sum",
        people_rollup="sum",
        facts="activities",
        definition="coaching sessions + goal conversations",
        formula=lambda sums, acts: hundredths(acts.value("coaching_session", "goal_conversation")),
    ),
)

KPI_BY_CODE: dict[str, KpiDef] = {k.code: k for k in KPIS}

# Within a perspective, the built-in KPIs weigh equally until an administrator changes it.
DEFAULT_KPI_WEIGHT = 1.0
DEFAULT_GREEN = 1.0
DEFAULT_AMBER = 0.9
DEFAULT_SCORE_CAP = 1.2
DEFAULT_FISCAL_YEAR_START_MONTH = 1
