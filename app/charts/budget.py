"""Budget-control figures: budget against actual per month, the variance waterfall, the forecast."""

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from app.charts.formats import separators
from app.charts.palette import BLUE, GREEN, GREY, INK, ORANGE, SKY, VERMILLION, Figure, figure, label, trace

MONEY = ",.0f"


def _floats(values: Iterable[Any]) -> np.ndarray:
    return pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").to_numpy(dtype="float64")


def _value(mapping: Mapping, key: str) -> float:
    v = mapping.get(key)
    return float("nan") if v is None else float(v)


def budget_vs_actual(monthly: pd.DataFrame, *, lang: str = "en") -> Figure:
    """Budget and actual per month as bars, and both cumulated from the range's first month as
    lines on the right axis (cumulative_t = Σ_{i≤t} value_i; a missing budget month makes the
    cumulative budget missing from there on, as nothing can be summed over it).

    `monthly`: period ('YYYY-MM'), budget_amount, actual_amount; one row per month, oldest first.
    """
    x = np.array([f"{p}-01" for p in monthly["period"]], dtype="datetime64[D]")
    budget = _floats(monthly["budget_amount"])
    actual = _floats(monthly["actual_amount"])
    money = f"%{{y:{MONEY}}}"
    traces = [
        trace(
            "bar",
            x=x,
            y=budget,
            name=label("budget", lang),
            marker={"color": SKY},
            hovertemplate=f"%{{x|%Y-%m}}: {money}<extra>{label('budget', lang)}</extra>",
        ),
        trace(
            "bar",
            x=x,
            y=actual,
            name=label("actual", lang),
            marker={"color": BLUE},
            hovertemplate=f"%{{x|%Y-%m}}: {money}<extra>{label('actual', lang)}</extra>",
        ),
        trace(
            "scatter",
            x=x,
            y=np.cumsum(budget),
            name=label("cumulative_budget", lang),
            yaxis="y2",
            mode="lines+markers",
            line={"color": ORANGE, "dash": "dash", "width": 2},
            marker={"symbol": "diamond"},
            hovertemplate=f"%{{x|%Y-%m}}: {money}<extra>{label('cumulative_budget', lang)}</extra>",
        ),
        trace(
            "scatter",
            x=x,
            y=np.cumsum(actual),
            name=label("cumulative_actual", lang),
            yaxis="y2",
            mode="lines+markers",
            line={"color": INK, "width": 2.5},
            hovertemplate=f"%{{x|%Y-%m}}: {money}<extra>{label('cumulative_actual', lang)}</extra>",
        ),
    ]
    return figure(
        traces,
        barmode="group",
        height=380,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        separators=separators(lang),
        xaxis={"tickformat": "%Y-%m", "automargin": True},
        yaxis={"title": {"text": label("amount", lang)}, "tickformat": "~s", "automargin": True, "rangemode": "tozero"},
        yaxis2={
            "title": {"text": label("cumulative", lang)},
            "overlaying": "y",
            "side": "right",
            "tickformat": ".3~s",
            "showgrid": False,
            "automargin": True,
            "rangemode": "tozero",
        },
    )


def _unavailable(lang: str) -> Figure:
    return figure(
        [],
        height=200,
        xaxis={"visible": False},
        yaxis={"visible": False},
        separators=separators(lang),
        annotations=[
            {
                "text": label("not_available", lang),
                "showarrow": False,
                "font": {"size": 16, "color": GREY},
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
            }
        ],
    )


def variance_waterfall(totals: Mapping, *, lang: str = "en") -> Figure:
    """From budget through the price, volume and mix effects to actual (budget + price + volume +
    mix = actual, PRODUCT.md §2). Without a budget (by=seller) the figure says n/a.

    `totals`: budget_amount, price_effect, volume_effect, mix_effect, actual_amount.
    """
    keys = ("budget_amount", "price_effect", "volume_effect", "mix_effect", "actual_amount")
    y = np.array([_value(totals, k) for k in keys], dtype="float64")
    if np.isnan(y).any():
        return _unavailable(lang)
    names = np.array([label(k, lang) for k in ("budget", "price", "volume", "mix", "actual")], dtype=object)
    waterfall = trace(
        "waterfall",
        x=names,
        y=y,
        measure=["absolute", "relative", "relative", "relative", "total"],
        texttemplate=[
            f"%{{final:{MONEY}}}",
            f"%{{delta:+{MONEY}}}",
            f"%{{delta:+{MONEY}}}",
            f"%{{delta:+{MONEY}}}",
            f"%{{final:{MONEY}}}",
        ],
        textposition="outside",
        cliponaxis=False,
        increasing={"marker": {"color": GREEN}},
        decreasing={"marker": {"color": VERMILLION}},
        totals={"marker": {"color": BLUE}},
        connector={"line": {"color": GREY, "dash": "dot"}},
        hovertemplate=f"%{{x}}: %{{delta:+{MONEY}}} → %{{final:{MONEY}}}<extra></extra>",
    )
    # the effects are small next to the totals: start the axis near the smaller total so they show
    low = float(np.min(np.cumsum(y[:4])))
    top = float(np.max(np.cumsum(y[:4])))
    pad = max((top - low) * 0.6, abs(top) * 0.02, 1.0)
    return figure(
        [waterfall],
        height=360,
        showlegend=False,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        separators=separators(lang),
        yaxis={
            "tickformat": "~s",
            "range": [max(0.0, low - pad) if low >= 0 else low - pad, top + pad],
            "automargin": True,
        },
        xaxis={"automargin": True},
    )


FORECAST_METHODS = ("actual_to_date", "budget", "budget_remainder", "run_rate", "seasonal")
_FORECAST_COLORS = (GREY, SKY, BLUE, ORANGE, GREEN)


def forecast_bars(totals: Mapping, *, lang: str = "en") -> Figure:
    """The year's landing by each method beside the full-year budget and the actual to date;
    a method without a value (seasonal with no budget to date) is marked n/a.

    `totals`: actual_to_date, budget, budget_remainder, run_rate, seasonal.
    """
    y = np.array([_value(totals, k) for k in FORECAST_METHODS], dtype="float64")
    names = np.array([label(k, lang) for k in FORECAST_METHODS], dtype=object)
    bars = trace(
        "bar",
        x=names,
        y=y,
        marker={"color": list(_FORECAST_COLORS)},
        texttemplate=f"%{{y:{MONEY}}}",
        textposition="outside",
        cliponaxis=False,
        hovertemplate=f"%{{x}}: %{{y:{MONEY}}}<extra></extra>",
    )
    missing = [
        {
            "x": name,
            "y": 0,
            "text": label("not_available", lang),
            "showarrow": False,
            "yshift": 12,
            "font": {"color": GREY},
        }
        for name, value in zip(names, y, strict=True)
        if np.isnan(value)
    ]
    budget = y[1]
    budget_line = (
        []
        if np.isnan(budget)
        else [  # as add_hline draws it
            {
                "type": "line",
                "x0": 0,
                "x1": 1,
                "xref": "x domain",
                "y0": float(budget),
                "y1": float(budget),
                "yref": "y",
                "line": {"color": INK, "dash": "dot", "width": 1.5},
            }
        ]
    )
    return figure(
        [bars],
        height=360,
        showlegend=False,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        separators=separators(lang),
        yaxis={"tickformat": "~s", "rangemode": "tozero", "automargin": True},
        xaxis={"automargin": True},
        annotations=missing,
        shapes=budget_line,
    )
