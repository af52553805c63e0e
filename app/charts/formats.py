"""Numbers as the pages write them, for the text the figures carry (cells, hover, tick labels).

The percent rule is the one of `frontend/i18n.js` (`shownPercent`, `fmt.attainment`), written twice
with the same steps so both give the same text; tests/test_i18n.py checks one table of cases
against both. The spelling is Intl.NumberFormat's: en-GB `99.5%`, `1,250%`, `-5%`; nb-NO `99,5 %`,
`1 250 %`, `−5 %` (no-break spaces, the minus sign U+2212).
"""

import math
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

NBSP = "\u00a0"
MINUS = "\u2212"
DEFAULT_THRESHOLDS = (0.9, 1.0)  # amber, green (PRODUCT.md §2); a KPI may have its own
MAX_DECIMALS = 4


def _clean(x: float) -> float:
    """`x` to 12 significant digits, as JavaScript's `Number(x.toPrecision(12))`: without the binary
    noise of a product (0.995 * 100 is 99.49999999999999, here 99.5), the same value in both languages."""
    return float(f"{x:.12g}")


def shown_percent(value: float, thresholds: Iterable[float] = DEFAULT_THRESHOLDS) -> tuple[float, int]:
    """The percent to show for the ratio `value` (0.995 → 99.5) and its number of decimals, so that the
    number stays on the same side of every threshold as the value, and so agrees with its status.

    No decimals, unless rounding would land on or cross a threshold: 99.5 % with green at 100 % is
    amber, and "100 %" would say green. Then one decimal, rounded, or, where rounding still crosses,
    truncated toward the value's own side (99.96 → 99.9, never 100.0; 95.34 with a threshold at 95.3
    → 95.3); a second decimal only for thresholds closer than a tenth of a percent. Which thresholds
    the value reached is decided on the value itself, `value >= threshold`, as its status is
    (app.analytics.scorecard.status), so a value a hair below 90 % (0.8999999999999) shows 89.9 %.
    Half rounds up, floor(x + 0.5), in both languages.
    """
    p = _clean(value * 100)
    cuts = [t for t in thresholds if t is not None and math.isfinite(t)]
    lo = max((_clean(t * 100) for t in cuts if value >= t), default=-math.inf)  # the highest reached
    hi = min((_clean(t * 100) for t in cuts if value < t), default=math.inf)  # the lowest not reached
    for decimals in range(MAX_DECIMALS + 1):
        scale = 10**decimals
        shown = _clean(math.floor(_clean(p * scale) + 0.5) / scale)
        if decimals:  # the nearest number of this many decimals on the value's side of the threshold
            if shown >= hi:
                shown = _clean((math.ceil(_clean(hi * scale)) - 1) / scale)
            elif shown < lo:
                shown = _clean(math.ceil(_clean(lo * scale)) / scale)
        if lo <= shown < hi:
            return shown + 0.0, decimals  # (+ 0.0: never "-0")
    return p, MAX_DECIMALS


def number_text(value: float, decimals: int, lang: str = "en") -> str:
    """`value` with `decimals` decimals and grouped thousands: en `1,234.5`, nb `1 234,5`, `−5`."""
    # halves away from zero on the decimal value (12 significant digits), as Intl.NumberFormat does in
    # the tables: 0.3125 → 31.3 %, 12.25 → 12.3 (Python's own format rounds the binary value, half to even)
    exact = Decimal(repr(_clean(value))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = f"{exact:,.{decimals}f}"
    if lang != "nb":
        return text
    return text.replace(",", NBSP).replace(".", ",").replace("-", MINUS)


def percent_text(
    value: float | None, lang: str = "en", *, thresholds: Iterable[float] = DEFAULT_THRESHOLDS, missing: str = "–"
) -> str:
    """The ratio `value` as a percent that agrees with its status (`shown_percent`): en `99.5%`, nb
    `99,5 %`; `missing` for None or NaN."""
    if value is None or not math.isfinite(value):
        return missing
    shown, decimals = shown_percent(value, thresholds)
    return number_text(shown, decimals, lang) + (f"{NBSP}%" if lang == "nb" else "%")


def fixed_percent_text(value: float, decimals: int = 0, lang: str = "en") -> str:
    """A percent with a fixed number of decimals, for tick labels (0.9 → `90%`, nb `90 %`)."""
    return number_text(_clean(value * 100), decimals, lang) + (f"{NBSP}%" if lang == "nb" else "%")


def money_text(value: float | None, lang: str = "en", *, missing: str = "–") -> str:
    """Money in whole kroner as the pages write it (frontend/i18n.js `fmt.money`, Intl's currency style):
    en `NOK 1,234,567`, `-NOK 1,235`; nb `1 234 567 kr`, `−1 235 kr`; halves away from zero, and no
    sign on an amount that rounds to zero; `missing` for None or NaN."""
    if value is None or not math.isfinite(value):
        return missing
    amount = number_text(abs(value), 0, lang)
    negative = value < 0 and amount != "0"
    if lang == "nb":
        return f"{MINUS if negative else ''}{amount}{NBSP}kr"
    return f"{'-' if negative else ''}NOK{NBSP}{amount}"


def separators(lang: str = "en") -> str:
    """plotly.js `layout.separators` for the language: decimal mark, then thousands separator."""
    return f",{NBSP}" if lang == "nb" else ".,"
