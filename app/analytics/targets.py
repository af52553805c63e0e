"""Targets over a range, and a unit's target taken from its children where it has none of its own.

`targets` frames have columns level, unit_code, kpi_code, month ('YYYY-MM') and value (float).
"""

import numpy as np
import pandas as pd


def range_targets(targets: pd.DataFrame, *, months: list[str], time_rollup: dict[str, str]) -> pd.DataFrame:
    """Each (level, unit_code, kpi_code)'s target over `months`.

    For a KPI that adds up over time (`time_rollup` 'sum') it is the sum of its monthly targets in
    the range (null when none is set); for the others ('last') it is the target of the range's last
    month (null when that month has none). Returns columns level, unit_code, kpi_code, target.
    """
    cols = ["level", "unit_code", "kpi_code"]
    inside = targets[targets["month"].isin(months)]
    rollup = inside["kpi_code"].map(time_rollup).fillna("last")
    summed = inside[rollup == "sum"].groupby(cols, as_index=False)["value"].sum()
    last = inside[(rollup == "last") & (inside["month"] == months[-1])][cols + ["value"]]
    out = pd.concat([summed, last], ignore_index=True).rename(columns={"value": "target"})
    return out.astype({"target": "float64"})


def resolve_targets(own: pd.DataFrame, *, units: list[tuple[str, str]],
                    children: dict[tuple[str, str], list[tuple[str, str]]],
                    additive: set[str], kpis: list[str]) -> pd.DataFrame:
    """The target of each unit in `units` for each KPI in `kpis`.

    A unit's target is the one set for it (`own`, as `range_targets` returns). Where none is set and
    the KPI adds up across people (`additive`), it is the sum of its children's targets, resolved the
    same way down the tree (`children` maps a (level, code) to its children); null when no child has
    one. Returns a frame indexed by (level, unit_code) with a column per KPI.
    """
    own_map = {(r.level, r.unit_code, r.kpi_code): r.target for r in own.itertuples(index=False)}
    memo: dict[tuple[str, str, str], float] = {}

    def target(unit: tuple[str, str], kpi: str) -> float:
        key = (*unit, kpi)
        if key in memo:
            return memo[key]
        value = own_map.get(key, np.nan)
        if np.isnan(value) and kpi in additive and children.get(unit):
            parts = [target(child, kpi) for child in children[unit]]
            known = [p for p in parts if not np.isnan(p)]
            value = float(sum(known)) if known else np.nan
        memo[key] = value
        return value

    rows = {unit: {kpi: target(unit, kpi) for kpi in kpis} for unit in units}
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=kpis).astype("float64")
    frame.index = pd.MultiIndex.from_tuples(list(rows), names=["level", "unit_code"])
    return frame
