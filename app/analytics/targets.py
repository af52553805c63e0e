"""Targets over a range, and a unit's target taken from its children where it has none of its own.

`targets` frames have columns level, unit_code, kpi_code, month ('YYYY-MM') and value (float64), and
may carry `units`: the same value as an exact int64 count of 1 / SCALE (what the database sums give).

Every sum is exact: targets are added as integers of 1 / SCALE (the stored scale, four decimals, so
non-money targets such as a hit rate of 0.35 or a CSAT of 4.2 stay exact too) and divided once at
the end, so two targets of 2.80 add up to 5.6 and eight months of 0.7 to 5.6, never
5.6000000000000005 as float additions give. A result is the float nearest to the exact decimal sum
(one correctly rounded division), which JSON writes as that decimal.
"""

import numpy as np
import pandas as pd

TARGET_SCALE = 4  # decimals of a stored target or manual KPI value: Numeric(18, 4) in app.models.plans
SCALE = 10**TARGET_SCALE
# Below this magnitude `to_units` is provably exact (see there); a stored value is at most 10^14.
EXACT_BELOW = 2.0**50 / SCALE  # about 1.1e11


def to_units(values: pd.Series | np.ndarray) -> np.ndarray:
    """Float values holding decimals of at most TARGET_SCALE places -> int64 counts of 1 / SCALE.

    Exact for |value| < EXACT_BELOW: a float v nearest to N / SCALE (N an integer, |N| < 2^50) is
    within 2^-53·|v| of it, and v·SCALE is computed within another 2^-53·|v·SCALE|, so v·SCALE lies
    within 2·|N|·2^-53 < 0.25 of N and rounds to N. Values from the database come as `units`
    already (summed in SQL), so this bound only concerns frames built from floats.
    """
    return np.rint(np.asarray(values, dtype="float64") * SCALE).astype("int64")


def from_units(units: pd.Series | np.ndarray) -> np.ndarray:
    """int64 counts of 1 / SCALE -> float64, each the float nearest to the exact decimal (one IEEE
    division, correctly rounded, for |units| ≤ 2^53)."""
    return np.asarray(units, dtype="int64") / SCALE


def units_of_float_sums(total: np.ndarray, size: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact units from float sums, where provable: (units, exact) per group.

    `total` is a float sum of n values, each the float nearest to a decimal of at most TARGET_SCALE
    places (as PostgreSQL's SUM(value::float8) gives it), `size` the float sum of their absolute
    values. In whatever order the n floats were added, the sum lies within (n − 1)·u·Σ|v| of their
    exact sum (u = 2^-53), each float within u·|v| of its decimal, and scaling adds u·|total·SCALE|:
    so total·SCALE lies within about (n + 1)·u·SCALE·Σ|v| of the exact integer N. Where
    (n + 2)·u·SCALE·size < 0.25 (a margin of two over the 0.5 that rounding needs; for twelve months
    that is Σ|v| up to about 1.6e10), rint gives N: `exact` is true and `units` is N. Elsewhere
    `exact` is false (`units` 0) and the caller sums those groups exactly another way.
    """
    total = np.asarray(total, dtype="float64")
    bound = (np.asarray(n, dtype="float64") + 2) * np.asarray(size, dtype="float64") * SCALE * 2.0**-53
    exact = bound < 0.25
    return np.where(exact, np.rint(np.where(exact, total, 0.0) * SCALE), 0).astype("int64"), exact


def _known(frame: pd.DataFrame, column: str) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows of `frame` that have a value (a NaN `column` without `units` is no value) and their
    exact units."""
    if "units" in frame.columns:
        return frame, frame["units"].to_numpy(dtype="int64")
    frame = frame[frame[column].notna()]
    return frame, to_units(frame[column])


def range_targets(targets: pd.DataFrame, *, months: list[str], time_rollup: dict[str, str]) -> pd.DataFrame:
    """Each (level, unit_code, kpi_code)'s target over `months`.

    For a KPI that adds up over time (`time_rollup` 'sum') it is the sum of its monthly targets in
    the range (absent when none is set), added exactly in units; for the others ('last') it is the
    target of the range's last month (absent when that month has none). Returns columns level,
    unit_code, kpi_code, target (float64) and units (int64, the exact target in 1 / SCALE).
    """
    cols = ["level", "unit_code", "kpi_code"]
    inside, exact = _known(targets[targets["month"].isin(months)], "value")
    inside = inside[[*cols, "month"]].assign(units=exact)
    rollup = inside["kpi_code"].map(time_rollup).fillna("last")
    summed = inside[rollup == "sum"].groupby(cols, as_index=False)["units"].sum()
    last = inside[(rollup == "last") & (inside["month"] == months[-1])][[*cols, "units"]]
    out = pd.concat([summed, last], ignore_index=True).astype({"units": "int64"})
    return out.assign(target=from_units(out["units"]))[[*cols, "target", "units"]]


def resolve_targets(
    own: pd.DataFrame,
    *,
    units: list[tuple[str, str]],
    children: dict[tuple[str, str], list[tuple[str, str]]],
    additive: set[str],
    kpis: list[str],
) -> pd.DataFrame:
    """The target of each unit in `units` for each KPI in `kpis`.

    A unit's target is the one set for it (`own`, as `range_targets` returns: level, unit_code,
    kpi_code, target and, when known, the exact `units`). Where none is set and the KPI adds up
    across people (`additive`), it is the sum of its children's targets, resolved the same way down
    the tree (`children` maps a (level, code) to its children), added exactly as integers of
    1 / SCALE; null when no child has one. Returns a frame indexed by (level, unit_code) with a
    float64 column per KPI.
    """
    own, exact = _known(own, "target")
    own_map = dict(
        zip(own[["level", "unit_code", "kpi_code"]].itertuples(index=False, name=None), exact.tolist(), strict=True)
    )
    memo: dict[tuple[str, str, str], int | None] = {}

    def target(unit: tuple[str, str], kpi: str) -> int | None:
        key = (*unit, kpi)
        if key in memo:
            return memo[key]
        value = own_map.get(key)
        if value is None and kpi in additive and children.get(unit):
            known = [p for child in children[unit] if (p := target(child, kpi)) is not None]
            value = sum(known) if known else None  # Python ints: exact, whatever the size
        memo[key] = value
        return value

    # int / int is correctly rounded in Python: the float nearest to the exact decimal
    rows = {unit: [np.nan if (n := target(unit, kpi)) is None else n / SCALE for kpi in kpis] for unit in units}
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=kpis).astype("float64")
    frame.index = pd.MultiIndex.from_tuples(list(rows), names=["level", "unit_code"])
    return frame
