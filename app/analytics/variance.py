"""Budget control: variance of actual against budget, its price/volume/mix split, and forecasts.

Pure pandas/numpy (PRODUCT.md §2 "Budget control"); no database, no web framework.

Input frames
------------
`budget`: one row per (district, product, month), any number of rows per key (they are summed).
`actual`: sales at any grain down to the line; the loader puts each sale in the district of its
seller on the sale's date. Columns:

  district_code, district_name      str
  region_code, region_name          str, null for a district without a region
  product_code, product_name        str
  product_group                     str
  seller_code, seller_name          str, `actual` only (needed only for by=seller)
  month                             'YYYY-MM' str, or datetime64 / date (any day of the month)
  quantity                          int64, hundredths of a unit (1.5 units = 150)
  amount                            int64, minor units (cents: 133.33 NOK = 13333)
  cost                              optional, int64 minor units; may be null (nullable Int64)

Integers make every sum exact; `to_minor_units` converts Decimal/str/float values. The range of
months is whatever rows are passed (the loader selects it).

Output
------
Money and quantities come out as float64 holding n / 100 for an exact integer n of cents
(hundredths): the nearest double, whose shortest repr is the exact cent value (133.33, never
133.33000000001), and whatever the writers or `totals` do with them goes back through
round(x * 100) to the integer, never through float addition. Ratios (variance_pct) are float64
rounded to 6 decimals. Nulls are NaN (money) or <NA> (favorable, pandas "boolean"). Group keys come
as `<key>_code` and `<key>_name` (product_group has one column, so both carry the group), then
`period` ('YYYY-MM') when split per month.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd

# by-key -> (source column of the code, source column of the name)
GROUP_KEYS: dict[str, tuple[str, str]] = {
    "district": ("district_code", "district_name"),
    "region": ("region_code", "region_name"),
    "product": ("product_code", "product_name"),
    "product_group": ("product_group", "product_group"),
    "seller": ("seller_code", "seller_name"),
}

VARIANCE_COLUMNS = (
    "budget_amount",
    "actual_amount",
    "variance_amount",
    "variance_pct",
    "favorable",
    "budget_quantity",
    "actual_quantity",
    "price_effect",
    "volume_effect",
    "mix_effect",
    "budget_margin",
    "actual_margin",
    "margin_variance",
)
FORECAST_COLUMNS = (
    "budget",
    "budget_to_date",
    "actual_to_date",
    "budget_remainder",
    "run_rate",
    "seasonal",
)

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_NONE = "\x00"  # stands in for a null key while grouping, so null regions group together


# ---------------------------------------------------------------------------------------------
# small exact helpers


def to_minor_units(values: Iterable[Any]) -> np.ndarray:
    """Values in currency units (Decimal, str, int or float) -> int64 hundredths, half away from zero.

    For the loader: Numeric(16, 2) columns arrive as Decimal; Decimal("133.33") -> 13333.
    Null (None/NaN) is not allowed here; use it only on non-null columns.
    """
    out = []
    for v in values:
        d = Decimal(str(v)) if not isinstance(v, Decimal) else v
        out.append(int((d * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)))
    return np.asarray(out, dtype="int64")


def _round_half_away(x: np.ndarray) -> np.ndarray:
    """float cents -> int64 cents, half away from zero (NaN must be masked by the caller)."""
    return (np.sign(x) * np.floor(np.abs(x) + 0.5)).astype("int64")


def _div_round(num: int, den: int) -> int:
    """num / den rounded half away from zero, exactly, on Python integers."""
    q, r = divmod(abs(num), abs(den))
    if 2 * r >= abs(den):
        q += 1
    return q if (num >= 0) == (den > 0) else -q


def _money(cents: pd.Series | np.ndarray, null: np.ndarray | pd.Series | None = None) -> np.ndarray:
    out = np.asarray(cents, dtype="float64") / 100.0
    if null is not None:
        out = np.where(np.asarray(null, dtype=bool), np.nan, out)
    return out


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / |den| rounded to 6 decimals; NaN where den is 0 or either is null."""
    num = np.asarray(num, dtype="float64")
    den = np.abs(np.asarray(den, dtype="float64"))
    out = np.full(num.shape, np.nan)
    ok = ~np.isnan(num) & ~np.isnan(den) & (den != 0)
    np.divide(num, den, out=out, where=ok)
    return np.round(out, 6)


def _cents(values: pd.Series) -> np.ndarray:
    """float money (n / 100) back to exact int64 cents; NaN -> 0 (callers track nulls themselves)."""
    a = values.to_numpy(dtype="float64", na_value=np.nan)
    return np.rint(np.nan_to_num(a, nan=0.0) * 100).astype("int64")


# ---------------------------------------------------------------------------------------------
# input checks


def _month_strings(col: pd.Series, frame_name: str) -> pd.Series:
    """'YYYY-MM' strings from a month column of strings or datetimes; ValueError naming bad cells."""
    if pd.api.types.is_datetime64_any_dtype(col):
        if col.isna().any():
            raise ValueError(f"{frame_name}: month is empty in {int(col.isna().sum())} row(s)")
        return col.dt.strftime("%Y-%m").astype("str")
    if len(col) and isinstance(col.iloc[0], (dt.date, pd.Timestamp)):
        return _month_strings(pd.to_datetime(col), frame_name)
    s = col.astype("str")
    bad = ~s.str.match(_MONTH.pattern).fillna(False).astype(bool)
    if bad.any():
        first = s[bad].iloc[0]
        raise ValueError(f"{frame_name}: month {first!r} is not a month (YYYY-MM), {int(bad.sum())} row(s)")
    return s


def _prepare(frame: pd.DataFrame, frame_name: str, keys: list[str]) -> pd.DataFrame:
    """Check columns and integer units; return keys + period + quantity/amount/cost/cost_null."""
    need = [*keys, "month", "quantity", "amount"]
    missing = [c for c in dict.fromkeys(need) if c not in frame.columns]
    if missing:
        raise ValueError(f"{frame_name}: missing column(s) {', '.join(missing)}")
    cols = {}
    for c in ("quantity", "amount", "cost"):
        if c not in frame.columns:
            continue
        s = frame[c]
        if not (pd.api.types.is_integer_dtype(s) or (len(s) == 0) or s.isna().all()):
            raise ValueError(f"{frame_name}: {c} must be integers in minor units (cents), got {s.dtype}")
        if c != "cost" and s.isna().any():
            raise ValueError(f"{frame_name}: {c} is empty in {int(s.isna().sum())} row(s)")
        cols[c] = s
    out = {k: frame[k].astype("str").fillna(_NONE) for k in dict.fromkeys(keys)}
    out["period"] = _month_strings(frame["month"], frame_name)
    out["quantity"] = cols["quantity"].astype("int64")
    amount = cols["amount"].to_numpy("int64")
    out["amount"] = cols["amount"].astype("int64")
    if "cost" in cols:
        has_cost = cols["cost"].notna().to_numpy()
        cost = cols["cost"].astype("Int64").fillna(0).to_numpy("int64")
    else:
        has_cost = np.zeros(len(frame), dtype=bool)
        cost = np.zeros(len(frame), dtype="int64")
    # margin over the rows that carry a cost (the gross_margin KPI's rule)
    out["margin"] = pd.Series(np.where(has_cost, amount - cost, 0).astype("int64"), index=frame.index)
    out["costed"] = pd.Series(has_cost.astype("int64"), index=frame.index)
    return pd.DataFrame(out, index=frame.index)


def _check_by(by: list[str] | tuple[str, ...]) -> list[str]:
    by = list(by)
    unknown = [k for k in by if k not in GROUP_KEYS]
    if unknown:
        raise ValueError(f"unknown group key(s) {', '.join(unknown)}; use {', '.join(GROUP_KEYS)}")
    if len(set(by)) != len(by):
        raise ValueError("a group key is repeated in by")
    return by


def _source_columns(by: list[str]) -> list[str]:
    """Source columns carrying the group's codes and names (deduplicated, in by order)."""
    return list(dict.fromkeys(c for k in by for c in GROUP_KEYS[k]))


def _stack(
    budget: pd.DataFrame | None,
    actual: pd.DataFrame,
    keys: list[str],
    budget_cols: dict[str, str],
    actual_cols: dict[str, str],
) -> pd.DataFrame:
    """Budget and actual side by side at the grain `keys` (UNION ALL + GROUP BY, zeros for absent).

    `budget_cols`/`actual_cols` map output column -> source column; the result has `keys` and
    all output columns as int64 sums.
    """
    names = [*budget_cols, *actual_cols]
    parts = []
    if budget is not None:
        parts.append(
            budget[keys].assign(
                **{c: budget[src].to_numpy("int64") for c, src in budget_cols.items()}, **dict.fromkeys(actual_cols, 0)
            )
        )
    parts.append(
        actual[keys].assign(
            **dict.fromkeys(budget_cols, 0), **{c: actual[src].to_numpy("int64") for c, src in actual_cols.items()}
        )
    )
    both = pd.concat(parts, ignore_index=True)
    both[names] = both[names].astype("int64")
    if not keys:
        return both[names].sum().to_frame().T.astype("int64")
    return both.groupby(keys, sort=True, dropna=False)[names].sum().reset_index()


def _key_output(frame: pd.DataFrame, by: list[str], per_month: bool) -> pd.DataFrame:
    """`<key>_code`, `<key>_name` for each by-key (and `period`), nulls restored."""
    out = {}
    for k in by:
        code_col, name_col = GROUP_KEYS[k]
        for suffix, col in (("code", code_col), ("name", name_col)):
            s = frame[col]
            out[f"{k}_{suffix}"] = s.where(s != _NONE).astype("str")
    if per_month:
        out["period"] = frame["period"].astype("str")
    return pd.DataFrame(out, index=frame.index)


# ---------------------------------------------------------------------------------------------
# variance and price / volume / mix

_BUDGET_COLS = {"bq": "quantity", "ba": "amount", "bm": "margin", "b_costed": "costed"}
_ACTUAL_COLS = {"aq": "quantity", "aa": "amount", "am": "margin", "a_costed": "costed"}


def price_volume_mix(cells: pd.DataFrame, group: str) -> pd.DataFrame:
    """Price, volume and mix effects in cents (int64) per group, summing exactly to the variance.

    `cells` has one row per (group, product): `group` (a group id), bq, ba, aq, aa (int64:
    budget/actual quantity in hundredths, amount in cents). Per product BP = ba/bq, AP = aa/aq,
    m = bq/ΣBQ; per group (PRODUCT.md §2):

        price  = Σ (AP − BP)·AQ          (computed as Σ (AA − BP·AQ), which needs no AP)
        volume = (ΣAQ − ΣBQ) · Σ m·BP    (Σ m·BP = P̄, the budget's average price)
        mix    = Σ (AQ − ΣAQ·m)·BP       (= Σ AQ·BP − ΣAQ·P̄)

    Units cancel: cents per hundredth of a unit times hundredths gives cents.

    Edge cases (the effects always add up exactly to variance = ΣAA − ΣBA):
    - product sold without a budget (bq = ba = 0): BP = AP, m = 0 (no price effect of its own;
      its revenue falls into volume and mix).
    - product budgeted with zero quantity (bq = 0, ba ≠ 0): BP is undefined; treated as sold
      without a budget (BP = AP, m = 0), and its budget amount, which no quantity explains, is left
      unexplained by the formulas; that remainder goes into the price effect (a budgeted amount
      without units is a price adjustment).
    - actual quantity 0 with amount ≠ 0 (a credit note or price adjustment without units): AP is
      undefined, but (AP − BP)·AQ is taken as AA − BP·AQ = AA, so it is a price effect.
    - ΣBQ = 0 for the group (no budget at all, or only amounts without quantity): all m are
      undefined; m is then taken as the actual mix AQ/ΣAQ, so mix = 0 and the actual sales are
      volume (a product sold without a budget shows as volume, and a one-product group keeps
      mix = 0); the group's budget amount is the unexplained remainder and goes into price. If
      ΣAQ is 0 too, m = 0 (volume = 0, mix = Σ AQ·BP).
    - negative actual quantities (credit notes): the formulas apply as they are; net AQ per
      product may be negative and AP = AA/AQ stays the net price.
    - one product per group (by includes product): mix = 0.

    The unexplained remainder is exact: −Σ ba over products with bq = 0 when ΣBQ ≠ 0, else −ΣBA.

    Rounding: each effect is computed in float64 on the cent values (relative error ~1e-16,
    far below half a cent for any real amount), rounded half away from zero to the cent, then the
    cent difference to the exact integer variance is added to the largest-magnitude effect (on a
    tie the first of price, volume, mix), so price + volume + mix == variance holds exactly.

    Returns a frame indexed by group with int64 columns price, volume, mix, variance.
    """
    bq = cells["bq"].to_numpy("int64")
    ba = cells["ba"].to_numpy("int64")
    aq = cells["aq"].to_numpy("int64")
    aa = cells["aa"].to_numpy("int64")
    has_bq = bq != 0
    bp = np.zeros(len(cells))
    np.divide(ba, bq, out=bp, where=has_bq)
    ap = np.zeros(len(cells))
    np.divide(aa, aq, out=ap, where=aq != 0)
    bp = np.where(has_bq, bp, ap)  # sold without a (quantity) budget: BP = AP
    terms = pd.DataFrame(
        {
            "g": cells[group].to_numpy(),
            "bq": bq,
            "ba": ba,
            "aq": aq,
            "aa": aa,
            "ba_q": np.where(has_bq, ba, 0),  # budget amount explained by a budget quantity
            "price_raw": aa - bp * aq,
            "aq_bp": aq * bp,
        }
    )
    s = terms.groupby("g", sort=False).sum()
    sbq = s["bq"].to_numpy("int64")
    saq = s["aq"].to_numpy("int64")
    sba = s["ba"].to_numpy("int64")
    saa = s["aa"].to_numpy("int64")
    sba_q = s["ba_q"].to_numpy("int64")
    aq_bp = s["aq_bp"].to_numpy("float64")

    pbar = np.zeros(len(s))
    np.divide(sba_q, sbq, out=pbar, where=sbq != 0)  # Σ m·BP with m = BQ/ΣBQ
    alt = np.zeros(len(s))
    np.divide(aq_bp, saq, out=alt, where=saq != 0)  # Σ m·BP with m = AQ/ΣAQ
    pbar = np.where(sbq != 0, pbar, alt)
    volume = (saq - sbq) * pbar
    mix = aq_bp - saq * pbar
    remainder = np.where(sbq != 0, -(sba - sba_q), -sba)  # exact, int64
    price = s["price_raw"].to_numpy("float64") + remainder

    variance = saa - sba
    eff = np.column_stack([_round_half_away(price), _round_half_away(volume), _round_half_away(mix)])
    diff = variance - eff.sum(axis=1)
    largest = np.argmax(np.abs(eff), axis=1)
    eff[np.arange(len(eff)), largest] += diff
    return pd.DataFrame(
        {"price": eff[:, 0], "volume": eff[:, 1], "mix": eff[:, 2], "variance": variance},
        index=s.index,
    )


def variance(
    budget: pd.DataFrame, actual: pd.DataFrame, *, by: list[str] | tuple[str, ...], per_month: bool = False
) -> pd.DataFrame:
    """Budget against actual per group (by ⊂ district, region, product, product_group, seller).

    One row per group (and `period` 'YYYY-MM' when `per_month`) that has a budget or a sale in the
    rows passed, sorted by the group codes (and period). Columns: the group keys, then

        budget_amount, actual_amount       Σ amount
        variance_amount = actual − budget
        variance_pct    = variance / |budget|; NaN when the budget is 0 (no division error)
        favorable       = variance ≥ 0 (more revenue is favorable)
        budget_quantity, actual_quantity   Σ quantity
        price_effect, volume_effect, mix_effect   see `price_volume_mix`: taken over the products
                        inside each group (for by=district: the products sold or budgeted in the
                        district over the range, or over the month with per_month); they add up
                        to variance_amount exactly, to the cent
        budget_margin   = Σ (amount − cost) over budget rows that carry a cost; NaN when none does
        actual_margin   = Σ (amount − cost) over sales that carry a cost; NaN when none does
                          (the gross_margin KPI's rule)
        margin_variance = actual_margin − budget_margin; NaN when either is NaN

    `by=[]` gives one row for everything. Budgets exist per district × product × month only, so
    with `seller` in `by` the budget side is undefined: budget_amount, budget_quantity,
    budget_margin, variance_amount, variance_pct, favorable, the three effects and margin_variance
    are null, and only the actual columns are filled (splitting a district's budget across its
    sellers would invent a number nobody set).
    """
    by = _check_by(by)
    src = _source_columns(by)
    with_budget = "seller" not in by
    # price/volume/mix needs the products inside each group: cells are group × product
    row_keys = src if ("product" in by or not with_budget) else [*src, "product_code"]
    cell_keys = [*row_keys, "period"] if per_month else row_keys
    group_keys = [*src, "period"] if per_month else src
    act = _prepare(actual, "actual", row_keys)
    bud = _prepare(budget, "budget", row_keys) if with_budget else None

    cells = _stack(bud, act, cell_keys, _BUDGET_COLS, _ACTUAL_COLS)
    if group_keys:
        cells["_g"] = cells.groupby(group_keys, sort=True, dropna=False).ngroup()
    else:
        cells["_g"] = 0
    g = cells.groupby("_g", sort=True)[[*_BUDGET_COLS, *_ACTUAL_COLS]].sum()
    keys = cells.groupby("_g", sort=True)[group_keys].first() if group_keys else pd.DataFrame(index=g.index)

    out = _key_output(keys, by, per_month).reset_index(drop=True)
    budget_null = np.full(len(g), not with_budget)
    ba = g["ba"].to_numpy("int64")
    aa = g["aa"].to_numpy("int64")
    var = aa - ba
    out["budget_amount"] = _money(ba, budget_null)
    out["actual_amount"] = _money(aa)
    out["variance_amount"] = _money(var, budget_null)
    out["variance_pct"] = np.where(budget_null, np.nan, _ratio(var, ba))
    out["favorable"] = pd.array(np.where(budget_null, None, var >= 0), dtype="boolean")
    out["budget_quantity"] = _money(g["bq"], budget_null)
    out["actual_quantity"] = _money(g["aq"])
    if with_budget:
        pvm = price_volume_mix(cells, "_g").reindex(g.index)
        out["price_effect"] = _money(pvm["price"])
        out["volume_effect"] = _money(pvm["volume"])
        out["mix_effect"] = _money(pvm["mix"])
    else:
        for c in ("price_effect", "volume_effect", "mix_effect"):
            out[c] = np.nan
    b_has = g["b_costed"].to_numpy() > 0
    a_has = g["a_costed"].to_numpy() > 0
    bm = g["bm"].to_numpy("int64")
    am = g["am"].to_numpy("int64")
    out["budget_margin"] = _money(bm, ~b_has | budget_null)
    out["actual_margin"] = _money(am, ~a_has)
    out["margin_variance"] = _money(am - bm, ~(a_has & b_has) | budget_null)
    return out


# ---------------------------------------------------------------------------------------------
# totals


def totals(rows: pd.DataFrame) -> dict[str, Any]:
    """The totals line of a variance or forecast frame, so that the lines add up to it exactly.

    Every float column except ratios (`*_pct`) is summed exactly in cents (round(x·100) back to
    int, then added as integers); a column with a null in any row has a null total (a total over
    undefined parts is undefined: by=seller budgets, margins without cost, `seasonal` without
    budget to date). variance_pct is recomputed from the summed variance and budget, never
    averaged; favorable from the summed variance. The effects' totals are the sums of the rows'
    effects, so they add up to the total variance; price/volume/mix recomputed over all products
    at once would differ (the groups' mixes are not the total's mix).

    Returns a dict of JSON-ready values (float, bool or None), without the group-key columns.
    """
    running = RunningTotals()
    running.add(rows)
    return running.result()


class RunningTotals:
    """`totals` over frames added one after another (the parts of a report computed in parts):
    `add` each part, then `result()` equals `totals` of their concatenation, exactly (integer
    cents are added, never floats)."""

    def __init__(self) -> None:
        self._columns: list[str] | None = None
        self._sums: dict[str, int] = {}
        self._null: dict[str, bool] = {}
        self._floats: set[str] = set()

    def add(self, rows: pd.DataFrame) -> None:
        if self._columns is None:
            self._columns = [str(c) for c in rows.columns]
        for col in rows.columns:
            s = rows[col]
            if col.endswith("_pct") or col == "favorable":
                continue
            is_float = pd.api.types.is_float_dtype(s)
            if not (is_float or pd.api.types.is_integer_dtype(s)):
                continue
            if is_float:
                self._floats.add(col)
            self._null[col] = self._null.get(col, False) or bool(s.isna().any())
            if not self._null[col]:
                part = _cents(s).sum() if is_float else s.sum()
                self._sums[col] = self._sums.get(col, 0) + int(part)

    def result(self) -> dict[str, Any]:
        cols = self._columns or []
        out: dict[str, Any] = {}
        for col in self._null:
            if self._null[col]:
                out[col] = None
            else:
                total = self._sums.get(col, 0)
                out[col] = total / 100 if col in self._floats else total
        if "variance_amount" in cols and "budget_amount" in cols:
            v, b = out.get("variance_amount"), out.get("budget_amount")
            if "variance_pct" in cols:
                out["variance_pct"] = None if v is None or b is None or b == 0 else round(v / abs(b), 6)
            if "favorable" in cols:
                out["favorable"] = None if v is None else bool(v >= 0)
        # keep the frame's column order
        return {c: out[c] for c in cols if c in out}


# ---------------------------------------------------------------------------------------------
# forecast


def fiscal_months(year: int, start_month: int = 1) -> list[str]:
    """The 12 months 'YYYY-MM' of fiscal year `year`, which starts in month `start_month` of `year`."""
    if not 1 <= start_month <= 12:
        raise ValueError(f"fiscal year start month {start_month} is not 1-12")
    return [f"{year + (start_month - 1 + i) // 12}-{(start_month - 1 + i) % 12 + 1:02d}" for i in range(12)]


def forecast(
    budget: pd.DataFrame,
    actual: pd.DataFrame,
    *,
    year: int,
    as_of_month: str | dt.date,
    by: list[str] | tuple[str, ...],
    fiscal_start_month: int = 1,
) -> pd.DataFrame:
    """Where the fiscal year lands, per group, counting actuals through `as_of_month`.

    Fiscal year `year` is the 12 months from `fiscal_start_month` of `year` (start 7: 2026-07 to
    2027-06). Rows outside the year are ignored, and so are actuals after as_of. With n = months
    elapsed (as_of's position in the year, 1-12), amounts only:

        budget           = Σ budget amount over the 12 months
        budget_to_date   = Σ budget amount through as_of
        actual_to_date   = Σ actual amount through as_of
        budget_remainder = actual_to_date + (budget − budget_to_date)
        run_rate         = actual_to_date / n × 12
        seasonal         = actual_to_date / budget_to_date × budget; NaN when budget_to_date is 0

    run_rate and seasonal are computed exactly on integers and rounded half away from zero to
    the cent. With seller in `by`, the budget columns, budget_remainder and seasonal are null (no
    budget per seller). One row per group with a budget or an actual in the year.
    ValueError when as_of lies outside the fiscal year.
    """
    by = _check_by(by)
    months = fiscal_months(year, fiscal_start_month)
    as_of = as_of_month.strftime("%Y-%m") if isinstance(as_of_month, (dt.date, pd.Timestamp)) else str(as_of_month)
    if as_of not in months:
        raise ValueError(f"as_of {as_of} is outside fiscal year {year} ({months[0]} to {months[-1]})")
    n = months.index(as_of) + 1
    src = _source_columns(by)
    with_budget = "seller" not in by
    act = _prepare(actual, "actual", src)
    act = act[act["period"].isin(months[:n])]
    bud = None
    if with_budget:
        bud = _prepare(budget, "budget", src)
        bud = bud[bud["period"].isin(months)]
        bud = bud.assign(to_date=np.where(bud["period"] <= as_of, bud["amount"], 0))
    cells = _stack(bud, act, src, {"ba": "amount", "btd": "to_date"}, {"aa": "amount"})
    keys = cells[src] if src else pd.DataFrame(index=cells.index)
    out = _key_output(keys, by, False).reset_index(drop=True)

    budget_total = [int(v) for v in cells["ba"]]
    budget_td = [int(v) for v in cells["btd"]]
    actual_td = [int(v) for v in cells["aa"]]
    remainder = [a + b - t for a, b, t in zip(actual_td, budget_total, budget_td, strict=True)]
    run_rate = [_div_round(a * 12, n) for a in actual_td]
    seasonal = [
        _div_round(a * b, t) if t != 0 else None for a, b, t in zip(actual_td, budget_total, budget_td, strict=True)
    ]
    no_budget = np.full(len(cells), not with_budget)
    out["budget"] = _money(np.array(budget_total, dtype="int64"), no_budget)
    out["budget_to_date"] = _money(np.array(budget_td, dtype="int64"), no_budget)
    out["actual_to_date"] = _money(np.array(actual_td, dtype="int64"))
    out["budget_remainder"] = _money(np.array(remainder, dtype="int64"), no_budget)
    out["run_rate"] = _money(np.array(run_rate, dtype="int64"))
    seas_null = np.array([s is None for s in seasonal], dtype=bool) | no_budget
    out["seasonal"] = _money(np.array([s or 0 for s in seasonal], dtype="int64"), seas_null)
    return out
