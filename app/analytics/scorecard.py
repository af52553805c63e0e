"""Scoring a scorecard: attainment, status, capped score, perspective and overall scores; the
stretch beside the target (PRODUCT.md §5, "The sales floor").

All functions are pure and vectorized over pandas objects; missing values are NaN, never 0.
"""

import numpy as np
import pandas as pd

STATUS_NONE = "none"
STATUS_STRETCH = "stretch"
# The statuses from best to worst: `stretch` is shown above green, and counts as green wherever a
# rule asks whether a KPI is on target (`at_least_green`).
STATUSES = (STATUS_STRETCH, "green", "amber", "red", STATUS_NONE)
ON_TARGET = frozenset({STATUS_STRETCH, "green"})


def at_least_green(statuses: pd.Series) -> pd.Series:
    """Whether each status is green or better (`stretch`)."""
    return statuses.isin(ON_TARGET)


def attainment(actual: pd.Series, target: pd.Series, direction: pd.Series | str) -> pd.Series:
    """attainment = actual / target where higher is better, target / actual where lower is better.

    NaN where the target is missing or zero, the actual is missing, or (lower is better) the actual
    is zero: a ratio with nothing to divide by has no value, it is not infinite.
    """
    index = actual.index
    a = pd.to_numeric(actual, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    t = pd.to_numeric(target, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    lower = (pd.Series(direction, index=index) == "lower").to_numpy()
    num = np.where(lower, t, a)
    den = np.where(lower, a, t)
    valid = ~np.isnan(num) & ~np.isnan(den) & (den != 0) & (t != 0)
    out = np.full(len(a), np.nan)
    np.divide(num, den, out=out, where=valid)
    return pd.Series(out, index=index, name="attainment")


def status(
    att: pd.Series,
    green: pd.Series | float = 1.0,
    amber: pd.Series | float = 0.9,
    stretch_attainment: pd.Series | None = None,
) -> pd.Series:
    """`green` when attainment >= green threshold, `amber` when >= amber, else `red`; `none` without attainment.

    `stretch` (above green) where the KPI is green and the actual reaches its stretch:
    `stretch_attainment` >= 1 (NaN: no stretch, or nothing to divide by; the status stays green).
    A stretch is at least the target (higher is better; at most, lower is better), so with the
    default green threshold of 100 % reaching the stretch is always green too; a KPI whose green
    threshold lies beyond its stretch is `stretch` only once it is green.
    """
    a = att.to_numpy(dtype="float64")
    g = np.broadcast_to(np.asarray(green, dtype="float64"), a.shape)
    m = np.broadcast_to(np.asarray(amber, dtype="float64"), a.shape)
    is_green = ~np.isnan(a) & (a >= g)
    conditions, labels = [np.isnan(a), is_green, a >= m], [STATUS_NONE, "green", "amber"]
    if stretch_attainment is not None:
        s = stretch_attainment.to_numpy(dtype="float64", na_value=np.nan)
        reached = is_green & ~np.isnan(s) & (s >= 1.0)
        conditions, labels = [reached, *conditions], [STATUS_STRETCH, *labels]
    return pd.Series(np.select(conditions, labels, default="red"), index=att.index, name="status")


def score(att: pd.Series, cap: float = 1.2) -> pd.Series:
    """score = min(attainment, cap), so one runaway KPI cannot hide weak ones; NaN stays NaN. The
    stretch does not change it: a KPI beyond its stretch scores as any other KPI at that attainment."""
    return att.clip(upper=cap).rename("score")


def weighted_mean(values: pd.Series, weights: pd.Series) -> float:
    """Mean of `values` weighted by `weights`, over the entries that have a value.

    Weights renormalize over those entries; NaN when none has a value or their weights sum to 0.
    """
    v = values.to_numpy(dtype="float64")
    w = weights.to_numpy(dtype="float64")
    has = ~np.isnan(v) & ~np.isnan(w)
    total = w[has].sum()
    if not has.any() or total == 0:
        return float("nan")
    return float((v[has] * w[has]).sum() / total)


def perspective_scores(kpis: pd.DataFrame, perspectives: pd.DataFrame) -> pd.DataFrame:
    """Score each perspective: the weighted mean of the scores of its KPIs that have one.

    `kpis` has columns perspective, weight, score; `perspectives` has key, weight. Returns
    `perspectives` with a `score` column (NaN where no KPI of it has a score).
    """
    by_key = {key: weighted_mean(group["score"], group["weight"]) for key, group in kpis.groupby("perspective")}
    return perspectives.assign(score=perspectives["key"].map(by_key).astype("float64"))


def overall_score(perspectives: pd.DataFrame) -> float:
    """The weighted mean of the perspective scores that have one, weights renormalized over those."""
    return weighted_mean(perspectives["score"], perspectives["weight"])


def score_units(
    actuals: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    kpis: pd.DataFrame,
    perspectives: pd.DataFrame,
    cap: float,
    stretches: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Score many units at once.

    `actuals`, `targets` and `stretches`: one row per unit (same index), a column per KPI code
    (missing = NaN; `stretches` None: no unit has a stretch). `kpis`: code, name, unit, direction,
    perspective, weight, green_threshold, amber_threshold (active KPIs only, in display order).
    `perspectives`: key, name, weight (in display order).

    stretch_attainment = `attainment(actual, stretch, direction)`: actual / stretch where higher is
    better, stretch / actual where lower is; the status is `stretch` where it reaches 1 (`status`).
    The score, and so the perspective and overall scores, are those of the target alone.

    Returns (kpi rows: entity (the unit's index value), code, actual, target, attainment, score, status,
    stretch, stretch_attainment and the KPI's columns; perspective rows: entity, key, name, weight,
    score; overall score per entity).
    """
    codes = list(kpis["code"])
    units = actuals.index
    long = pd.DataFrame(
        {
            "entity": np.repeat(units.to_numpy(dtype=object), len(codes)),
            "code": np.tile(np.array(codes, dtype=object), len(units)),
            "actual": actuals.reindex(columns=codes).to_numpy(dtype="float64").ravel(),
            "target": targets.reindex(index=units, columns=codes).to_numpy(dtype="float64").ravel(),
            "stretch": (
                np.full(len(units) * len(codes), np.nan)
                if stretches is None
                else stretches.reindex(index=units, columns=codes).to_numpy(dtype="float64").ravel()
            ),
        }
    ).merge(kpis, on="code", how="left")
    att = attainment(long["actual"], long["target"], long["direction"])
    stretch_att = attainment(long["actual"], long["stretch"], long["direction"]).rename("stretch_attainment")
    long = long.assign(
        attainment=att,
        score=score(att, cap),
        status=status(att, long["green_threshold"], long["amber_threshold"], stretch_att),
        stretch_attainment=stretch_att,
    )
    scored = long.assign(_w=long["weight"].where(long["score"].notna()), _ws=long["score"] * long["weight"])
    agg = scored.groupby(["entity", "perspective"], sort=False)[["_w", "_ws"]].sum(min_count=1)
    persp_score = (agg["_ws"] / agg["_w"].where(agg["_w"] > 0)).rename("score")
    persp = pd.DataFrame(
        {
            "entity": np.repeat(units.to_numpy(dtype=object), len(perspectives)),
            "key": np.tile(perspectives["key"].to_numpy(dtype=object), len(units)),
        }
    ).merge(perspectives, on="key", how="left")
    persp = persp.merge(
        persp_score.reset_index().rename(columns={"perspective": "key"}), on=["entity", "key"], how="left"
    )
    pw = persp.assign(_w=persp["weight"].where(persp["score"].notna()), _ws=persp["score"] * persp["weight"])
    ov = pw.groupby("entity", sort=False)[["_w", "_ws"]].sum(min_count=1)
    overall = (ov["_ws"] / ov["_w"].where(ov["_w"] > 0)).reindex(units).rename("overall_score")
    return long, persp, overall
