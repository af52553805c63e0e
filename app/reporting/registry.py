"""The KPI registry as stored: built-in definitions with the administrator's weights and thresholds,
manual KPIs, perspective weights, the score cap and the fiscal year's first month."""

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.analytics.kpis import DEFAULT_FISCAL_YEAR_START_MONTH, DEFAULT_SCORE_CAP, KPI_BY_CODE, KPIS
from app.models import AppSetting, KpiDefinition, Perspective
from app.reporting import cache as figure_cache

_BUILTIN_ORDER = {k.code: i for i, k in enumerate(KPIS)}


@dataclass(frozen=True)
class Registry:
    """`kpis`: code, name, name_nb, unit, direction, perspective, weight, green/amber thresholds,
    time_rollup, manual — the active KPIs in display order. `perspectives`: key, name, name_nb, weight
    in display order (name_nb: the English name where no Norwegian one was given)."""

    kpis: pd.DataFrame
    perspectives: pd.DataFrame
    score_cap: float
    fiscal_start_month: int

    @property
    def time_rollup(self) -> dict[str, str]:
        return dict(zip(self.kpis["code"], self.kpis["time_rollup"], strict=True))

    @property
    def additive(self) -> set[str]:
        """KPIs whose unit target may be the sum of its children's (they add up across people: the
        built-ins whose `people_rollup` is `sum` in app.analytics.kpis; a manual KPI never does)."""
        return {c for c in self.kpis["code"] if c in KPI_BY_CODE and KPI_BY_CODE[c].additive_target}

    @property
    def manual_codes(self) -> list[str]:
        return list(self.kpis.loc[self.kpis["manual"], "code"])


def name_column(lang: str) -> str:
    """The column of the registry's frames (and the field of a KPI's or perspective's row) holding
    names in `lang`."""
    return "name_nb" if lang == "nb" else "name"


def load_registry(session: Session) -> Registry:
    """The registry as stored, cached under the data version (every change to it counts the version up)."""
    return figure_cache.get_or_compute(session, ("registry",), lambda: _load_registry(session))


def _load_registry(session: Session) -> Registry:
    persp = pd.DataFrame(
        session.execute(
            select(
                Perspective.key,
                Perspective.name,
                func.coalesce(Perspective.name_nb, Perspective.name),
                Perspective.weight,
                Perspective.position,
            ).order_by(Perspective.position)
        ).all(),
        columns=["key", "name", "name_nb", "weight", "position"],
    ).astype({"weight": "float64"})
    rows = session.execute(select(KpiDefinition).where(KpiDefinition.active)).scalars().all()
    kpis = pd.DataFrame(
        [
            {
                "code": k.code,
                "name": k.name,
                "name_nb": k.name_nb or k.name,
                "unit": k.unit,
                "direction": k.direction,
                "perspective": k.perspective,
                "weight": float(k.weight),
                "green_threshold": float(k.green_threshold),
                "amber_threshold": float(k.amber_threshold),
                "time_rollup": k.time_rollup,
                "manual": bool(k.manual),
            }
            for k in rows
        ],
        columns=[
            "code",
            "name",
            "name_nb",
            "unit",
            "direction",
            "perspective",
            "weight",
            "green_threshold",
            "amber_threshold",
            "time_rollup",
            "manual",
        ],
    )
    position = dict(zip(persp["key"], persp["position"], strict=True))
    kpis = (
        kpis.assign(
            _p=kpis["perspective"].map(position), _o=kpis["code"].map(_BUILTIN_ORDER).fillna(len(_BUILTIN_ORDER))
        )
        .sort_values(["_p", "_o", "code"])
        .drop(columns=["_p", "_o"])
        .reset_index(drop=True)
    )
    settings = dict(session.execute(select(AppSetting.key, AppSetting.value)).all())
    return Registry(
        kpis=kpis,
        perspectives=persp.drop(columns="position"),
        score_cap=float(settings.get("score_cap", DEFAULT_SCORE_CAP)),
        fiscal_start_month=int(settings.get("fiscal_year_start_month", DEFAULT_FISCAL_YEAR_START_MONTH)),
    )
