"""The KPI registry: each built-in KPI declared once.

The code is also the DataFrame column, the JSON key and the export header. `time_rollup` says how
a KPI's monthly targets combine over a range (`sum`: they add up; `last`: the range's last month),
`people_rollup` how a unit's actual is built from its members' data (`sum`, `ratio` of summed
parts, `distinct` over the unit, `weighted_mean` by responses); `additive_target` whether a unit
without its own target takes the sum of its children's. `name_nb` is the name in Norwegian bokmål
(migration 0007 wrote the same names into the database, where an administrator may change them).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class PerspectiveDef:
    key: str
    name: str
    weight: float
    name_nb: str  # the name in Norwegian bokmål


@dataclass(frozen=True)
class KpiDef:
    code: str
    name: str
    perspective: str
    unit: str
    direction: str
    time_rollup: str
    people_rollup: str
    definition: str
    name_nb: str  # the name in Norwegian bokmål

    @property
    def additive_target(self) -> bool:
        return self.people_rollup == "sum"


PERSPECTIVES: tuple[PerspectiveDef, ...] = (
    PerspectiveDef("financial", "Financial", 0.40, "Økonomi"),
    PerspectiveDef("customer", "Customer", 0.25, "Kunder"),
    PerspectiveDef("process", "Internal process", 0.20, "Interne prosesser"),
    PerspectiveDef("learning", "Learning & growth", 0.15, "Læring og vekst"),
)

# Norwegian names as controllers say them: gross margin is "dekningsbidrag" (DB) and the margin
# ratio "dekningsgrad" (DG); a won proposal is a "tilslag".
KPIS: tuple[KpiDef, ...] = (
    KpiDef("revenue", "Revenue", "financial", "currency", "higher", "sum", "sum", "sum of sales amount", "Omsetning"),
    KpiDef(
        "gross_margin",
        "Gross margin",
        "financial",
        "currency",
        "higher",
        "sum",
        "sum",
        "sum of amount - cost",
        "Dekningsbidrag",
    ),
    KpiDef(
        "margin_pct",
        "Margin %",
        "financial",
        "ratio",
        "higher",
        "last",
        "ratio",
        "gross_margin / revenue",
        "Dekningsgrad",
    ),
    KpiDef(
        "active_customers",
        "Active customers",
        "customer",
        "count",
        "higher",
        "last",
        "distinct",
        "distinct accounts with a sale in the range",
        "Aktive kunder",
    ),
    KpiDef(
        "new_customers",
        "New customers",
        "customer",
        "count",
        "higher",
        "sum",
        "distinct",
        "distinct accounts whose first sale ever falls in the range",
        "Nye kunder",
    ),
    KpiDef(
        "key_account_share",
        "Key-account share",
        "customer",
        "ratio",
        "higher",
        "last",
        "ratio",
        "revenue from key accounts / revenue",
        "Andel nøkkelkunder",
    ),
    KpiDef(
        "csat",
        "Customer satisfaction",
        "customer",
        "score",
        "higher",
        "last",
        "weighted_mean",
        "mean csat score, weighted by responses",
        "Kundetilfredshet",
    ),
    KpiDef(
        "meetings",
        "Customer meetings",
        "process",
        "count",
        "higher",
        "sum",
        "sum",
        "sum of meeting activities",
        "Kundemøter",
    ),
    KpiDef(
        "proposals",
        "Proposals sent",
        "process",
        "count",
        "higher",
        "sum",
        "sum",
        "sum of proposal activities",
        "Tilbud sendt",
    ),
    KpiDef("hit_rate", "Hit rate", "process", "ratio", "higher", "last", "ratio", "won / (won + lost)", "Tilslagsrate"),
    KpiDef(
        "training_hours",
        "Training hours",
        "learning",
        "hours",
        "higher",
        "sum",
        "sum",
        "sum of training hours",
        "Opplæringstimer",
    ),
    KpiDef(
        "coaching_sessions",
        "Coaching sessions",
        "learning",
        "count",
        "higher",
        "sum",
        "sum",
        "sum of coaching sessions and goal conversations",
        "Coachingsamtaler",
    ),
)

KPI_BY_CODE: dict[str, KpiDef] = {k.code: k for k in KPIS}

# Within a perspective, the built-in KPIs weigh equally until an administrator changes it.
DEFAULT_KPI_WEIGHT = 1.0
DEFAULT_GREEN = 1.0
DEFAULT_AMBER = 0.9
DEFAULT_SCORE_CAP = 1.2
DEFAULT_FISCAL_YEAR_START_MONTH = 1
