"""Where the year lands: an outlook of each unit's KPIs that add up over time, with an 80 % band and
the probability of reaching the year's target. Pure: numpy in, numpy out; app.reporting.outlook
reads the monthly figures and the targets, and benchmarks/outlook.py backtests it.

The method (README, "Where the year lands"; docs/outlook.md in full):

1. **Level.** Each unit's monthly actuals a[j] are read against seasonal weights w[j] (the weight of
   the month's calendar month, the twelve summing to 1; which weights, app.reporting.outlook says):
   the unit's yearly level is L = Σ λ^(t−j) a[j] / Σ λ^(t−j) w[j] over its months through the origin
   t (at most `window`), the recent months weighing more (half-life `half_life` months, λ =
   0.5^(1/half_life)). Months before the unit's first month with any figure are not its months (a
   seller hired in May counts from May). With a year of the unit's own history this weighs last
   year's level and this year's, so its year-on-year growth shows as the recent months take over.
   A KPI that counts afresh each year (`year_start`: new customers) reads the origin's year only.
2. **Point forecast** of the next h months: F = L × Σ w over them; the year lands at the actual to
   date plus F over the months left.
3. **Noise.** s² = the unit's relative squared deviation from L × w (weighted as the level; for a
   count at least 1 / its mean a month, a Poisson count's), so the forecast's relative variance from
   noise is s² (1/h_eff + 1/n_eff): the months to come (h_eff: counted by their weights) and the
   level's own (n_eff: the months it was read from, counted by their λ weights).
4. **Band from how such forecasts erred.** From every earlier origin in the unit's own history
   (its months from the third on) and every horizon that had come to pass by the as-of month, the
   same forecast was made: its relative error e = actual / F − 1 beside its noise variance. The
   drift δ² of a horizon is what the errors vary beyond noise (`Pool`); standardized by √(noise² +
   δ²), the errors of all units of the level (and, where a level has too few, of every level) give
   the quantiles q10, q50, q90 of z; with σ = F √(noise² + δ²) the year's p10/p50/p90 are actual to
   date + max(0, F + σ·q), and the probability of reaching the target T is the share of errors z ≥
   (T − actual − F) / σ. Without enough errors yet (a history too short), z is taken as normal and
   δ² as 0 (`band` says `model`).
5. **Edge cases.** A target already reached has probability 1; no target, no probability; short of
   the target, at most n/(n+1) and at least 1/(n+1) from n errors. A unit without a month of its own
   yet has no outlook (basis `none`); with under 12 of its months it is read against the weights
   alone (basis `profile`); with 12 or more its own year-on-year history weighs in (basis `history`).
   A unit whose level is 0 (nothing done in its months) lands where it stands.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

QUANTILES = (0.1, 0.5, 0.9)
NORMAL_Z = np.array([-1.2815515655446004, 0.0, 1.2815515655446004])  # the normal's 10th, 50th, 90th


@dataclass(frozen=True)
class Method:
    """The outlook's settings (chosen by the backtest, benchmarks/outlook.py; docs/outlook.md)."""

    half_life: float = 6.0  # months: the weight of a month in the level halves every half_life months
    window: int = 24  # months of history a level is read from, at most
    min_months: int = 3  # a unit's months before an origin counts in the error pool
    min_samples: int = 60  # errors at a horizon before their quantiles are used
    history_months: int = 12  # a unit's months for basis "history"


METHOD = Method()


def profile_weights(weights: list[float] | np.ndarray, months: list[str]) -> np.ndarray:
    """The weight of each of `months` (YYYY-MM) from the profile's twelve (calendar months 1-12),
    normalized so the twelve sum to 1; an empty or all-zero profile is even."""
    raw = np.asarray(weights, dtype="float64")
    if raw.shape != (12,) or raw.sum() <= 0:
        raw = np.ones(12)
    raw = raw / raw.sum()
    return np.array([raw[int(m[5:7]) - 1] for m in months], dtype="float64")


def own_weights(company: np.ndarray, months: list[str], upto: int) -> np.ndarray | None:
    """The weight of each of `months` from the organization's own monthly totals of a KPI (`company`,
    one figure per month) through column `upto`: each calendar month's share of the last twelve months,
    averaged over the twelve-month windows that fit (at most two); None without twelve months with
    figures, or when they sum to 0."""
    start = int(np.flatnonzero(company[: upto + 1] != 0)[0]) if (company[: upto + 1] != 0).any() else upto + 1
    windows = [upto - 11 - 12 * k for k in range(2) if upto - 11 - 12 * k >= start]
    shares = np.zeros(12)
    used = 0
    for lo in windows:
        part = company[lo : lo + 12]
        if part.sum() <= 0:
            continue
        for m, value in zip(months[lo : lo + 12], part / part.sum(), strict=True):
            shares[int(m[5:7]) - 1] += value
        used += 1
    if not used:
        return None
    return profile_weights(shares / used, months)


@dataclass(frozen=True)
class Levels:
    """Each unit's level, relative noise and months behind it at each origin: arrays (units, origins)."""

    level: np.ndarray
    noise: np.ndarray
    n_eff: np.ndarray
    months: np.ndarray  # the unit's own months through the origin (not capped by the window)


def levels(
    actual: np.ndarray,
    first: np.ndarray,
    w: np.ndarray,
    method: Method = METHOD,
    year_start: np.ndarray | None = None,
    counts: bool = False,
) -> Levels:
    """The level of every unit (rows of `actual`, months in columns) at every origin (each month),
    from its months from `first` (each unit's first month's column; ≥ the columns: none) on. One
    pass per origin over all units at once. `year_start` (each column's fiscal year's first column):
    a KPI that counts afresh every year (new customers) reads its level from the origin's year only."""
    units, span = actual.shape
    lam = 0.5 ** (1.0 / method.half_life)
    level = np.zeros((units, span))
    noise = np.zeros((units, span))
    n_eff = np.zeros((units, span))
    cols = np.arange(span)
    own = cols[None, :] >= first[:, None]  # the unit's months
    for t in range(span):
        lo = max(0, t - method.window + 1, 0 if year_start is None else int(year_start[t]))
        j = cols[lo : t + 1]
        decay = lam ** (t - j)  # (months,)
        mine = own[:, lo : t + 1]
        kw = np.where(mine, decay[None, :], 0.0)  # (units, months)
        a = actual[:, lo : t + 1]
        sw = kw @ w[lo : t + 1]
        sa = (kw * a).sum(axis=1)
        lv = np.divide(sa, sw, out=np.zeros(units), where=sw > 0)
        lv = np.maximum(lv, 0.0)
        expected = lv[:, None] * w[None, lo : t + 1]
        dev = np.divide(a - expected, expected, out=np.zeros_like(a), where=expected > 0)
        wsum = kw.sum(axis=1)
        var = np.divide((kw * dev**2).sum(axis=1), wsum, out=np.zeros(units), where=wsum > 0)
        if counts:  # a count is at least as noisy as a Poisson count of its mean: relative variance 1 / mean
            mean = lv * (w[lo : t + 1] * kw).sum(axis=1) / np.where(wsum > 0, wsum, 1)
            var = np.maximum(var, np.divide(1.0, mean, out=np.zeros(units), where=mean > 0))
        level[:, t] = lv
        noise[:, t] = np.sqrt(var)
        n_eff[:, t] = np.divide(wsum**2, (kw**2).sum(axis=1), out=np.zeros(units), where=wsum > 0)
    since = first[:, None] if year_start is None else np.maximum(first[:, None], year_start[None, :span])
    months = np.clip(cols[None, :] - since + 1, 0, None)
    return Levels(level, noise, n_eff, months)


def _h_eff(w_ahead: np.ndarray) -> float:
    """The months ahead counted by their weights: (Σ w)² / Σ w² (h for an even profile)."""
    total = w_ahead.sum()
    return float(total**2 / (w_ahead**2).sum()) if total > 0 else 0.0


def _noise2(noise: np.ndarray, n_eff: np.ndarray, h_eff: float) -> np.ndarray:
    """The relative variance of a forecast from noise alone: s² (1/h_eff + 1/n_eff)."""
    ahead = 1.0 / h_eff if h_eff > 0 else 0.0  # no weight ahead (a month of none, say July): no forecast to spread
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = ahead + np.where(n_eff > 0, 1.0 / n_eff, np.inf)
        return np.nan_to_num(noise**2 * spread, nan=0.0, posinf=0.0)


def errors(
    actual: np.ndarray,
    lv: Levels,
    w: np.ndarray,
    *,
    upto: int,
    horizons: int,
    method: Method = METHOD,
    year_start: np.ndarray | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The errors of every forecast that had come to pass by column `upto` (the as-of month): for each
    horizon h = 1..`horizons`, from every origin t with t + h ≤ upto at which the unit had `min_months`
    of its own and F > 0, the relative error e = (actual − F) / F and the forecast's relative variance
    from noise alone (`_noise2`). One pair of arrays per horizon. With `year_start`, only forecasts
    inside one fiscal year (as the outlook's are)."""
    out = []
    csum = np.concatenate([np.zeros((actual.shape[0], 1)), np.cumsum(actual, axis=1)], axis=1)
    wsum = np.concatenate([[0.0], np.cumsum(w)])
    for h in range(1, horizons + 1):
        rel, var = [], []
        for t in range(0, upto - h + 1):
            if year_start is not None and year_start[t + h] != year_start[t]:
                continue
            f = lv.level[:, t] * (wsum[t + h + 1] - wsum[t + 1])
            ok = (lv.months[:, t] >= method.min_months) & (f > 0)
            if not ok.any():
                continue
            came = csum[ok, t + h + 1] - csum[ok, t + 1]
            rel.append(came / f[ok] - 1.0)
            var.append(_noise2(lv.noise[ok, t], lv.n_eff[ok, t], _h_eff(w[t + 1 : t + h + 1])))
        out.append((np.concatenate(rel), np.concatenate(var)) if rel else (np.zeros(0), np.zeros(0)))
    return out


TRIM = 0.02  # the share of the largest squared errors left out of the drift's estimate


@dataclass(frozen=True)
class Pool:
    """The errors a band is read from, per horizon (1-based): relative errors and noise variances.

    At a horizon, the drift δ² is what the errors vary beyond the noise (the mean of e² − noise², the
    largest 2 % left out, at least 0): a level that moves, a season unlike the profile. Standardized
    by √(noise² + δ²), the errors of small units (noise) and large ones (drift) read alike: their
    quantiles give the band, their distribution the probability."""

    by_horizon: list[tuple[np.ndarray, np.ndarray]]

    def merged(self, other: Pool) -> Pool:
        n = max(len(self.by_horizon), len(other.by_horizon))
        empty = (np.zeros(0), np.zeros(0))

        def get(p: Pool, i: int) -> tuple[np.ndarray, np.ndarray]:
            return p.by_horizon[i] if i < len(p.by_horizon) else empty

        return Pool(
            [
                (
                    np.concatenate([get(self, i)[0], get(other, i)[0]]),
                    np.concatenate([get(self, i)[1], get(other, i)[1]]),
                )
                for i in range(n)
            ]
        )

    def count(self, h: int) -> int:
        return len(self.by_horizon[h - 1][0]) if h <= len(self.by_horizon) else 0

    def at(self, h: int, method: Method = METHOD) -> tuple[float, np.ndarray] | None:
        """(δ², the sorted standardized errors) at horizon h; where h has too few errors (it has not
        come to pass often enough), the longest horizon before it that has enough, its δ² grown in
        proportion to h; None when no horizon has enough (the band is the model's)."""
        for k in range(min(h, len(self.by_horizon)), 0, -1):
            rel, var = self.by_horizon[k - 1]
            if len(rel) < method.min_samples:
                continue
            excess = np.sort(rel**2 - var)
            kept = excess[: max(1, int(len(excess) * (1 - TRIM)))]
            delta2 = max(float(kept.mean()), 0.0)
            z = np.sort(rel / np.sqrt(var + delta2)) if delta2 > 0 or (var > 0).all() else np.sort(rel)
            return delta2 * h / k, z
        return None


def _normal_sf(x: np.ndarray) -> np.ndarray:
    return np.array([0.5 * math.erfc(v / math.sqrt(2.0)) for v in x.tolist()], dtype="float64")


@dataclass(frozen=True)
class Outlook:
    """Per unit (rows): the year's p10, p50, p90 (columns) and the path to them, month by month of the
    months left (`path`: units × months left × 3, each the year to date plus the months through it),
    the probability of reaching the target (NaN without a target or an outlook), the basis and
    whether the band is the errors' (`empirical`) or the model's (`model`)."""

    actual_to_date: np.ndarray
    target: np.ndarray
    quantiles: np.ndarray  # (units, 3)
    path: np.ndarray  # (units, months left, 3)
    probability: np.ndarray
    basis: np.ndarray  # "history", "profile", "none"
    band: str


def outlook(
    actual: np.ndarray,
    first: np.ndarray,
    w: np.ndarray,
    *,
    upto: int,
    year_end: int,
    to_date: np.ndarray,
    target: np.ndarray,
    pool: Pool | None = None,
    lv: Levels | None = None,
    method: Method = METHOD,
    year_start: np.ndarray | None = None,
) -> Outlook:
    """The outlook of each unit (rows of `actual`: its monthly figures through column `upto`, the
    as-of month; later columns are not read) for the year ending at column `year_end`, from its
    actual to date `to_date` and the year's `target` (NaN: none). `w`: the profile weight of every
    column through year_end. `pool`: the errors to read the band from (default: these units' own)."""
    units = actual.shape[0]
    left = year_end - upto
    lv = lv or levels(actual[:, : upto + 1], first, w[: upto + 1], method, year_start)
    level, noise, n_eff, months = (x[:, upto] for x in (lv.level, lv.noise, lv.n_eff, lv.months))
    pool = pool or Pool(
        errors(actual[:, : upto + 1], lv, w, upto=upto, horizons=max(left, 1), method=method, year_start=year_start)
    )
    path = np.repeat(to_date[:, None, None], max(left, 0), axis=1).repeat(3, axis=2).astype("float64")
    band = "empirical"
    z_year: np.ndarray | None = None
    f_year = np.zeros(units)
    s_year = np.zeros(units)
    for h in range(1, left + 1):
        w_ahead = w[upto + 1 : upto + h + 1]
        f = level * w_ahead.sum()
        found = pool.at(h, method)
        delta2, z = (0.0, None) if found is None else found
        sigma = f * np.sqrt(_noise2(noise, n_eff, _h_eff(w_ahead)) + delta2)
        q = NORMAL_Z if z is None else np.quantile(z, QUANTILES)
        if z is None:
            band = "model"
        remaining = np.maximum(f[:, None] + sigma[:, None] * q[None, :], 0.0)
        path[:, h - 1, :] = to_date[:, None] + np.sort(remaining, axis=1)
        if h == left:
            z_year, f_year, s_year = z, f, sigma
    quantiles = path[:, -1, :] if left > 0 else np.repeat(to_date[:, None], 3, axis=1).astype("float64")
    # the probability of reaching the target: P(to_date + max(0, F + σ z) ≥ T)
    need = target - to_date - f_year
    with np.errstate(divide="ignore", invalid="ignore"):
        threshold = np.where(s_year > 0, need / s_year, np.where(need <= 0, -np.inf, np.inf))
    # short of certainty while the target is not reached: at most n/(n+1) from n errors (the next
    # forecast may err more than any before it), 0.999 from the model
    if left == 0:
        reach = (to_date >= target).astype("float64")
    elif z_year is None:
        reach = np.clip(_normal_sf(np.nan_to_num(threshold, posinf=1e9, neginf=-1e9)), 0.001, 0.999)
    else:
        n = len(z_year)
        reach = np.clip(1.0 - np.searchsorted(z_year, threshold, side="left") / n, 1 / (n + 1), n / (n + 1))
    # a level of 0 (nothing done in its months): it lands where it stands
    reach = np.where((s_year <= 0) & (f_year <= 0) & (left > 0), (to_date >= target).astype("float64"), reach)
    reached = to_date >= target
    reach = np.where(reached, 1.0, reach)
    reach = np.where(np.isnan(target), np.nan, reach)
    basis = np.where(months <= 0, "none", np.where(months >= method.history_months, "history", "profile"))
    none = months <= 0
    quantiles = np.where(none[:, None], np.nan, quantiles)
    path = np.where(none[:, None, None], np.nan, path)
    reach = np.where(none & ~reached, np.nan, reach)
    return Outlook(to_date.astype("float64"), target.astype("float64"), quantiles, path, reach, basis, band)


@dataclass(frozen=True)
class Backtest:
    """How the outlook of a past year held: over every (unit, as-of month), the share of outcomes
    inside the 80 % band, the Brier score of the probabilities (those with a target) and the
    reliability table: per decile of the probability, forecasts, their mean and the share reached."""

    forecasts: int
    inside: int
    brier: float | None
    scored: int
    reliability: list[tuple[str, int, float | None, float | None]]
    base_brier: float | None = None  # a forecaster that always says the share of targets reached

    @property
    def coverage(self) -> float | None:
        return self.inside / self.forecasts if self.forecasts else None


def backtest_counts(
    outcome: np.ndarray, quantiles: np.ndarray, probability: np.ndarray, target: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per forecast: whether the outcome fell in [p10, p90], and (for those with a probability) the
    probability and whether the target was reached. NaN rows (no outlook) are dropped."""
    has = ~np.isnan(quantiles[:, 0])
    inside = (outcome >= quantiles[:, 0] - 1e-9) & (outcome <= quantiles[:, 2] + 1e-9)
    scored = has & ~np.isnan(probability)
    return inside[has], probability[scored], (outcome[scored] >= target[scored] - 1e-9).astype("float64")


def summarize(inside: np.ndarray, prob: np.ndarray, hit: np.ndarray) -> Backtest:
    """The Backtest of the counts (concatenated over units, KPIs and as-of months)."""
    rows = []
    decile = np.minimum((prob * 10).astype("int64"), 9)
    for d in range(10):
        mine = decile == d
        n = int(mine.sum())
        rows.append(
            (
                f"{d * 10}–{d * 10 + 10} %",
                n,
                float(prob[mine].mean()) if n else None,
                float(hit[mine].mean()) if n else None,
            )
        )
    brier = float(((prob - hit) ** 2).mean()) if len(prob) else None
    base = float(((hit.mean() - hit) ** 2).mean()) if len(prob) else None
    return Backtest(len(inside), int(inside.sum()), brier, len(prob), rows, base)
