"""Targets over a range, and a unit's target taken from its children where it has none of its own;
the stretch beside each target (PRODUCT.md §5, "The sales floor").

`targets` frames have columns level, unit_code, kpi_code, month ('YYYY-MM') and value (float64), and
may carry `units`: the same value as an exact int64 count of 1 / SCALE (what the database sums give).
They may also carry the month's stretch: `stretch_units` (nullable Int64 counts of 1 / SCALE; NA: no
stretch that month) or `stretch` (float64, NaN: none); without either, no month has a stretch.

Every sum is exact: targets are added as integers of 1 / SCALE (the stored scale, four decimals, so
non-money targets such as a hit rate of 0.35 or a CSAT of 4.2 stay exact too) and divided once at
the end, so two targets of 2.80 add up to 5.6 and eight months of 0.7 to 5.6, never
5.6000000000000005 as float additions give. A result is the float nearest to the exact decimal sum
(one correctly rounded division), which JSON writes as that decimal.

The stretch over a range follows the target's rule, with one addition: the month's stretch is its
row's; for a KPI that adds up over time a range's stretch is the sum over its months of the stretch
where a month has one and the target where it has none, and exists only when at least one month of
the range has a stretch; any other KPI takes the stretch of the range's last month. A unit without a
target of its own that takes its target from its children takes its stretch the same way: the sum
of its children's stretch-or-target, when at least one child has a stretch.
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


def _stretch_units(frame: pd.DataFrame) -> pd.arrays.IntegerArray | None:
    """The exact stretch of each row of `frame` (nullable Int64, NA: none), from `stretch_units` or
    the float `stretch`; None when the frame has no stretch at all (the common case, kept cheap)."""
    if "stretch_units" in frame.columns:
        out = pd.array(frame["stretch_units"], dtype="Int64")
    elif "stretch" in frame.columns:
        values = frame["stretch"].to_numpy(dtype="float64", na_value=np.nan)
        has = ~np.isnan(values)
        out = pd.array(np.where(has, to_units(np.where(has, values, 0.0)), 0), dtype="Int64")
        out[~has] = pd.NA
    else:
        return None
    return out if not out.isna().all() else None


def _no_stretch(n: int) -> pd.arrays.IntegerArray:
    return pd.array([pd.NA] * n, dtype="Int64")


def _float_or_nan(units: pd.arrays.IntegerArray) -> np.ndarray:
    """Nullable Int64 units -> float64 (each the float nearest to the exact decimal), NaN where NA."""
    values = np.asarray(units.fillna(0), dtype="int64") / SCALE
    return np.where(np.asarray(units.isna(), dtype=bool), np.nan, values)


def range_targets(targets: pd.DataFrame, *, months: list[str], time_rollup: dict[str, str]) -> pd.DataFrame:
    """Each (level, unit_code, kpi_code)'s target and stretch over `months`.

    For a KPI that adds up over time (`time_rollup` 'sum') the target is the sum of its monthly
    targets in the range (absent when none is set), added exactly in units; for the others ('last')
    it is the target of the range's last month (absent when that month has none). The stretch of a
    'sum' KPI is Σ over the range's months of (the month's stretch, or its target where it has none),
    null unless at least one month has a stretch; of a 'last' KPI, the last month's stretch (null
    when it has none). Returns columns level, unit_code, kpi_code, target (float64), units (int64,
    the exact target in 1 / SCALE), stretch (float64, NaN: none) and stretch_units (nullable Int64).
    """
    cols = ["level", "unit_code", "kpi_code"]
    inside, exact = _known(targets[targets["month"].isin(months)], "value")
    stretch = _stretch_units(inside)
    inside = inside[[*cols, "month"]].assign(units=exact)
    rollup = inside["kpi_code"].map(time_rollup).fillna("last")
    is_sum = (rollup == "sum").to_numpy()
    is_last = ((rollup == "last") & (inside["month"] == months[-1])).to_numpy()
    if stretch is None:
        summed = inside[is_sum].groupby(cols, as_index=False)["units"].sum()
        last = inside[is_last][[*cols, "units"]]
        out = pd.concat([summed, last], ignore_index=True).astype({"units": "int64"})
        out = out.assign(stretch_units=_no_stretch(len(out)))
    else:
        # a month without a stretch counts with its target; `_has` says whether any month had one
        inside = inside.assign(
            _s=np.where(np.asarray(stretch.isna(), dtype=bool), exact, np.asarray(stretch.fillna(0), dtype="int64")),
            _has=~np.asarray(stretch.isna(), dtype=bool),
        )
        summed = (
            inside[is_sum]
            .groupby(cols, as_index=False)
            .agg(units=("units", "sum"), _s=("_s", "sum"), _has=("_has", "any"))
        )
        last = inside[is_last][[*cols, "units", "_s", "_has"]]
        out = pd.concat([summed, last], ignore_index=True).astype({"units": "int64"})
        units = pd.array(out["_s"].to_numpy(dtype="int64"), dtype="Int64")
        units[~out["_has"].to_numpy(dtype=bool)] = pd.NA
        out = out.drop(columns=["_s", "_has"]).assign(stretch_units=units)
    return out.assign(target=from_units(out["units"]), stretch=_float_or_nan(out["stretch_units"].array))[
        [*cols, "target", "units", "stretch", "stretch_units"]
    ]


def resolve_targets(
    own: pd.DataFrame,
    *,
    units: list[tuple[str, str]],
    children: dict[tuple[str, str], list[tuple[str, str]]],
    additive: set[str],
    kpis: list[str],
) -> pd.DataFrame:
    """The target of each unit in `units` for each KPI in `kpis` (`resolve_plans`'s first frame)."""
    return resolve_plans(own, units=units, children=children, additive=additive, kpis=kpis)[0]


def resolve_plans(
    own: pd.DataFrame,
    *,
    units: list[tuple[str, str]],
    children: dict[tuple[str, str], list[tuple[str, str]]],
    additive: set[str],
    kpis: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The target and the stretch of each unit in `units` for each KPI in `kpis`.

    A unit's target is the one set for it (`own`, as `range_targets` returns: level, unit_code,
    kpi_code, target and, when known, the exact `units`; a stretch as `stretch_units` or `stretch`).
    Where none is set and the KPI adds up across people (`additive`), it is the sum of its children's
    targets, resolved the same way down the tree (`children` maps a (level, code) to its children),
    added exactly as integers of 1 / SCALE; null when no child has one. A unit's stretch is its own
    (null where its own target has none); a unit that takes its target from its children takes the
    sum of each child's stretch, or its target where it has none, over the children with a target:
    null unless at least one child has a stretch. Returns (targets, stretches): frames indexed by
    (level, unit_code) with a float64 column per KPI (NaN: none).
    """
    own, exact = _known(own, "target")
    stretch = _stretch_units(own)
    keys = list(own[["level", "unit_code", "kpi_code"]].itertuples(index=False, name=None))
    own_map = dict(zip(keys, exact.tolist(), strict=True))
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
    index = pd.MultiIndex.from_tuples(list(rows), names=["level", "unit_code"])
    targets = pd.DataFrame(list(rows.values()), index=index, columns=kpis, dtype="float64")
    if stretch is None:
        return targets, pd.DataFrame(np.nan, index=index, columns=kpis, dtype="float64")

    has = ~np.asarray(stretch.isna(), dtype=bool)
    own_stretch = dict(
        zip([k for k, h in zip(keys, has.tolist(), strict=True) if h], stretch[has].tolist(), strict=True)
    )
    stretched = {k[2] for k in own_stretch}  # the KPIs with a stretch somewhere: the others have none
    stretch_memo: dict[tuple[str, str, str], int | None] = {}

    def stretch_of(unit: tuple[str, str], kpi: str) -> int | None:
        key = (*unit, kpi)
        if key in own_map:  # a target of its own: its own stretch, or none
            return own_stretch.get(key)
        if key in stretch_memo:
            return stretch_memo[key]
        value: int | None = None
        if target(unit, kpi) is not None and kpi in additive and children.get(unit):
            parts = [(stretch_of(child, kpi), t) for child in children[unit] if (t := target(child, kpi)) is not None]
            if any(s is not None for s, _ in parts):
                value = sum(t if s is None else s for s, t in parts)
        stretch_memo[key] = value
        return value

    # the units' own stretches straight from the rows that have one; the recursion only for a unit
    # with children and no target of its own (a few hundred cells, not every seller's)
    unit_list = list(rows)
    out = np.full((len(unit_list), len(kpis)), np.nan)
    at_unit = {unit: i for i, unit in enumerate(unit_list)}
    at_kpi = {kpi: j for j, kpi in enumerate(kpis)}
    for (level, code, kpi), n in own_stretch.items():
        i, j = at_unit.get((level, code)), at_kpi.get(kpi)
        if i is not None and j is not None:
            out[i, j] = n / SCALE
    derived = [kpi for kpi in kpis if kpi in stretched and kpi in additive]
    for i, unit in enumerate(unit_list):
        if not children.get(unit):
            continue
        for kpi in derived:
            if (*unit, kpi) not in own_map and (n := stretch_of(unit, kpi)) is not None:
                out[i, at_kpi[kpi]] = n / SCALE
    return targets, pd.DataFrame(out, index=index, columns=kpis, dtype="float64")
