"""Value axes as the pages write numbers: a title that names the quantity and its unit ("Revenue
(NOK thousand)", nb "Omsetning (1000 kr)"), and ticks at round steps labelled by the figure itself
in the page's spelling (grouped thousands, the language's decimal mark and minus sign), never by
d3, whose SI suffixes (8.16M, 16.3M, "G") the pages never write.

Money is drawn in whole kroner up to 10 000, above that in a scale the title states (thousands up to
10 million, millions beyond), so a tick label keeps to about five characters on a phone. A bar's
text on a money axis is written in the axis's scale, so the two never disagree.
"""

import math
from collections.abc import Iterable

import numpy as np

from app.charts.formats import _clean, number_text
from app.charts.palette import label

STEPS = (1, 2, 2.5, 5, 10)  # a tick step is one of these times a power of ten
TICKS = 6  # about this many steps over the span
MAX_DECIMALS = 4
# (the largest |tick| from which the scale applies, the scale, its label): the first that fits
MONEY_SCALES = ((1e7, 1e6, "unit_currency_million"), (1e4, 1e3, "unit_currency_thousand"), (0.0, 1.0, "unit_currency"))
# the smallest tick step of a KPI's unit: counts in whole numbers, hours and days in tenths
MIN_STEP = {"currency": 1.0, "count": 1.0, "hours": 0.1, "days": 0.1, "score": 0.01}


def nice_step(span: float, *, count: int = TICKS, min_step: float = 0.0) -> float:
    """The tick step for `span`: the smallest of 1, 2, 2.5, 5 × 10^k that is at least span / `count`
    (and at least `min_step`). 450 → 100 (450 / 5 = 90), 0.363 → 0.1, 8.16e6 → 2e6."""
    raw = max(span / count, min_step, 1e-12)
    base = 10.0 ** math.floor(math.log10(raw))
    return next(_clean(m * base) for m in STEPS if m * base >= raw * (1 - 1e-9))


def decimals_of(step: float) -> int:
    """The decimals a tick step needs: 2 → 0, 0.25 → 2, 2.5 → 1 (at most four)."""
    digits = f"{_clean(step):.10f}".rstrip("0").partition(".")[2]
    return min(len(digits), MAX_DECIMALS)


def bounds(values: Iterable[float], *, zero: bool = True) -> tuple[float, float]:
    """The lowest and highest finite value (and zero, for an axis drawn from zero); (0, 0) for none."""
    finite = [float(v) for v in values if v is not None and math.isfinite(v)]
    if zero:
        finite.append(0.0)
    return (min(finite), max(finite)) if finite else (0.0, 0.0)


def ticks(low: float, high: float, lang: str, *, scale: float = 1.0, min_step: float = 0.0, count: int = TICKS) -> dict:
    """Ticks every round step from the last at or below `low` to the first at or above `high`, labelled
    value / `scale` with the step's decimals in `lang`'s spelling (plotly.js draws those inside the
    axis range). 0 .. 450 kroner: 0, 100, ..., 500; 0 .. 8.16 million in thousands: 0, 2,000, ..., 10,000."""
    step = nice_step((high - low) or abs(high) or 1.0, count=count, min_step=min_step)
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    values = [_clean(i * step) + 0.0 for i in range(first, last + 1)]
    decimals = decimals_of(step / scale)
    texts = [number_text(v / scale, decimals, lang) for v in values]
    return {"tickmode": "array", "tickvals": values, "ticktext": texts}


def money_scale(low: float, high: float) -> tuple[float, str]:
    """The scale a money axis from `low` to `high` is written in, and the label of its unit."""
    top = max(abs(low), abs(high))
    return next((scale, key) for start, scale, key in MONEY_SCALES if top >= start)


def money_axis(title: str, low: float, high: float, lang: str, *, count: int = TICKS) -> tuple[dict, float]:
    """A money axis from `low` to `high`: its title with the unit and scale ("Amount (NOK million)",
    nb "Beløp (mill. kr)"), and about `count` ticks in that scale; also the scale, for the bars' texts."""
    scale, key = money_scale(low, high)
    axis = {
        "title": {"text": f"{title} ({label(key, lang)})"},
        **ticks(low, high, lang, scale=scale, min_step=1.0, count=count),
    }
    return axis, scale


def scaled_money_text(values: Iterable[float], scale: float, lang: str, *, signed: bool = False) -> list[str]:
    """Amounts as a money axis in `scale` writes them, for text beside a bar: whole kroner, or one
    decimal of a thousand or a million (436,587,673 in millions: 436.6); `signed` puts + before a gain.
    An amount that one decimal of the scale would write as zero gets up to three (a volume effect of
    40,000 beside a budget of 449 million: 0.04); one still zero then, or less than half a krone, is
    written 0, without a sign (never "−0,0" or "+0")."""
    decimals = 0 if scale == 1 else 1
    out = []
    for v in values:
        if v is None or not math.isfinite(v):
            out.append("–")
            continue
        text = number_text(v / scale, decimals, lang)
        for more in range(decimals + 1, 4 if scale != 1 else 0):
            if _nonzero(text):
                break
            text = number_text(v / scale, more, lang)
        if not _nonzero(text):
            out.append(number_text(0.0, decimals, lang))
            continue
        out.append(f"+{text}" if signed and v > 0 else text)
    return out


def _nonzero(text: str) -> bool:
    """Whether a number's text has a digit other than 0 (`−0,0` and `0.00` have none)."""
    return any(c in "123456789" for c in text)


def right_column(names: Iterable[object], texts: list[str], rows: list[float]) -> dict:
    """A second category axis on the right of horizontal bars (as `yaxis2`), over the same rows as the
    first: a column of text beside each bar (the bullet chart's status words, the forecast's amounts),
    which plotly makes room for, so it is never cut at the plot's edge."""
    return {
        "type": "category",
        "overlaying": "y",
        "side": "right",
        "range": rows,
        "tickmode": "array",
        "tickvals": list(names),
        "ticktext": texts,
        "showgrid": False,
        "zeroline": False,
        "automargin": True,
    }


def unit_title(name: str, unit: str, lang: str) -> str:
    """An axis title of a KPI with its unit: "Customer meetings (count)", nb "Kundemøter (antall)";
    the name alone where it says the unit already ("Margin %", "Training hours") or the unit is unknown."""
    key = f"unit_{unit}"
    try:
        word = label(key, lang)
    except KeyError:
        return name
    return name if word.lower() in name.lower() else f"{name} ({word})"


def two_lines(name: str, width: int) -> str:
    """A tick label longer than `width` characters broken in two lines at the space nearest its middle,
    so it takes less of a phone's width ("Customer<br>satisfaction", "Actual +<br>remaining budget");
    a name without a space stays whole."""
    spaces = [i for i, c in enumerate(name) if c == " "]
    if len(name) <= width or not spaces:
        return name
    cut = min(spaces, key=lambda i: abs(i - len(name) / 2))
    return f"{name[:cut]}<br>{name[cut + 1 :]}"


def percent_number(value: float, decimals: int, lang: str) -> str:
    """A ratio as the number of percent, for a tick under a title that says "(%)": 0.9 → `90`, nb 0.305
    → `30,5` (the tables' spelling, without the sign the title carries)."""
    return number_text(_clean(value * 100), decimals, lang)


def percent_ticks(
    low: float, top: float, lang: str, *, step: float = 0.25, decimals: int = 0, values: Iterable[float] = ()
) -> dict:
    """Tick values every `step` from below `low` to `top` (or the `values` given), labelled with their
    number of percent (the axis title says "%"; plotly.js draws the ticks inside the axis range)."""
    first, last = int(np.floor(low / step + 1e-9)), int(np.floor(top / step + 1e-9))
    at = list(values) or [round(i * step, 10) for i in range(first, last + 1)]
    return {"tickmode": "array", "tickvals": at, "ticktext": [percent_number(v, decimals, lang) for v in at]}


def ratio_ticks(values: np.ndarray, lang: str, *, min_decimals: int = 1) -> dict:
    """Percent ticks for an axis of ratios drawn from zero: about five, `min_decimals` at least (as the
    tables write a ratio), more where the step needs them (0.25 %)."""
    low, top = bounds(values)
    step = nice_step((top - low) * 1.1 or 0.01)
    decimals = min(max(min_decimals, decimals_of(step * 100)), MAX_DECIMALS)
    return percent_ticks(low, top * 1.1 + step, lang, step=step, decimals=decimals)


def value_axis(name: str, unit: str, values: np.ndarray, lang: str) -> dict:
    """The axis of one KPI's values (drawn from zero): its title with the unit, ticks as the tables
    write the unit (money as `money_axis`, ratios as percents, counts in whole numbers)."""
    if unit == "currency":
        low, high = bounds(values)
        return money_axis(name, low, high, lang)[0]
    title = {"title": {"text": unit_title(name, unit, lang)}}
    if unit == "ratio":
        return title | ratio_ticks(values, lang)
    low, high = bounds(values)
    return title | ticks(low, high, lang, min_step=MIN_STEP.get(unit, 0.0))
