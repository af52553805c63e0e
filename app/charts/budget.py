"""Budget-control figures: budget against actual per month, the variance waterfall, the forecast."""

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from app.charts.axes import bounds, money_axis, right_column, scaled_money_text, two_lines
from app.charts.formats import money_text, separators
from app.charts.palette import BLUE, GREEN, GREY, INK, ORANGE, SKY, VERMILLION, Figure, figure, label, trace

# months along the bottom: labels a little below the axis, clear of the value axes' "0" at the corners
MONTH_AXIS = {"tickformat": "%Y-%m", "ticklabelstandoff": 6, "automargin": True}


def _signed_money(value: float, lang: str) -> str:
    """A change in whole kroner with its sign: +NOK 1,235, nb +1 235 kr (a loss as money_text writes it)."""
    text = money_text(value, lang)
    return f"+{text}" if value > 0 and text != money_text(0.0, lang) else text


def _floats(values: Iterable[Any]) -> np.ndarray:
    return pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").to_numpy(dtype="float64")


def _value(mapping: Mapping, key: str) -> float:
    v = mapping.get(key)
    return float("nan") if v is None else float(v)


def budget_vs_actual(monthly: pd.DataFrame, *, lang: str = "en") -> Figure:
    """Budget and actual per month as bars, and both cumulated from the range's first month as
    lines on the right axis (cumulative_t = Σ_{i≤t} value_i; a missing budget month makes the
    cumulative budget missing from there on, as nothing can be summed over it). Each axis says its
    currency and scale; the hover gives whole kroner as the tables write them.

    `monthly`: period ('YYYY-MM'), budget_amount, actual_amount; one row per month, oldest first.
    """
    x = np.array([f"{p}-01" for p in monthly["period"]], dtype="datetime64[D]")
    budget = _floats(monthly["budget_amount"])
    actual = _floats(monthly["actual_amount"])
    cumulative_budget, cumulative_actual = np.cumsum(budget), np.cumsum(actual)

    def series(kind: str, y: np.ndarray, name: str, **props: Any) -> dict:
        return trace(
            kind,
            x=x,
            y=y,
            name=label(name, lang),
            hovertext=[money_text(v, lang) for v in y],
            hovertemplate=f"%{{x|%Y-%m}}: %{{hovertext}}<extra>{label(name, lang)}</extra>",
            **props,
        )

    traces = [
        series("bar", budget, "budget", marker={"color": SKY}),
        series("bar", actual, "actual", marker={"color": BLUE}),
        series(
            "scatter",
            cumulative_budget,
            "cumulative_budget",
            yaxis="y2",
            mode="lines+markers",
            line={"color": ORANGE, "dash": "dash", "width": 2},
            marker={"symbol": "diamond"},
        ),
        series(
            "scatter",
            cumulative_actual,
            "cumulative_actual",
            yaxis="y2",
            mode="lines+markers",
            line={"color": INK, "width": 2.5},
        ),
    ]
    left, _ = money_axis(label("amount", lang), *bounds([*budget, *actual]), lang)
    right, _ = money_axis(label("cumulative", lang), *bounds([*cumulative_budget, *cumulative_actual]), lang)
    return figure(
        traces,
        barmode="group",
        height=380,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        separators=separators(lang),
        xaxis=MONTH_AXIS,
        yaxis={**left, "automargin": True, "rangemode": "tozero"},
        yaxis2={
            **right,
            "overlaying": "y",
            "side": "right",
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
    mix = actual, PRODUCT.md §2). Without a budget (by=seller) the figure says n/a. The bars' texts
    are in the axis's scale (in millions: 436.6, +23.1), the hover in whole kroner.

    `totals`: budget_amount, price_effect, volume_effect, mix_effect, actual_amount.
    """
    keys = ("budget_amount", "price_effect", "volume_effect", "mix_effect", "actual_amount")
    y = np.array([_value(totals, k) for k in keys], dtype="float64")
    if np.isnan(y).any():
        return _unavailable(lang)
    names = np.array([label(k, lang) for k in ("budget", "price", "volume", "mix", "actual")], dtype=object)
    # the effects are small next to the totals: start the axis near the smaller total so they show
    steps = np.cumsum(y[:4])
    low, top = float(np.min(steps)), float(np.max(steps))
    pad = max((top - low) * 0.6, abs(top) * 0.02, 1.0)
    bottom, upper = (max(0.0, low - pad) if low >= 0 else low - pad), top + pad
    axis, scale = money_axis(label("amount", lang), bottom, upper, lang)
    totals_text = scaled_money_text(y[[0, 4]], scale, lang)
    effects_text = scaled_money_text(y[1:4], scale, lang, signed=True)
    # hover: each step's change and where it lands, in whole kroner (the total's change: none)
    lands = [*steps, y[4]]
    hover = [
        f"{money_text(v, lang)}" if i in (0, 4) else f"{_signed_money(v, lang)} → {money_text(at, lang)}"
        for i, (v, at) in enumerate(zip(y, lands, strict=True))
    ]
    waterfall = trace(
        "waterfall",
        x=names,
        y=y,
        measure=["absolute", "relative", "relative", "relative", "total"],
        text=[totals_text[0], *effects_text, totals_text[1]],
        texttemplate="%{text}",
        textposition="outside",
        cliponaxis=False,
        increasing={"marker": {"color": GREEN}},
        decreasing={"marker": {"color": VERMILLION}},
        totals={"marker": {"color": BLUE}},
        connector={"line": {"color": GREY, "dash": "dot"}},
        hovertext=hover,
        hovertemplate="%{x}: %{hovertext}<extra></extra>",
    )
    return figure(
        [waterfall],
        height=360,
        showlegend=False,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        separators=separators(lang),
        yaxis={**axis, "range": [bottom, upper], "automargin": True},
        xaxis={"automargin": True},
    )


FORECAST_METHODS = ("actual_to_date", "budget", "budget_remainder", "run_rate", "seasonal")
_FORECAST_COLORS = (GREY, SKY, BLUE, ORANGE, GREEN)


def forecast_bars(totals: Mapping, *, lang: str = "en") -> Figure:
    """The year's landing by each method beside the full-year budget and the actual to date, as
    horizontal bars (the methods' names read across on a phone), the budget as a dotted line; each
    amount in a column right of the plot, in the axis's scale (the tick labels of a second y axis,
    which plotly.js makes room for, so none is cut at the edge), whole kroner in the hover. A method
    without a value (seasonal with no budget to date) reads n/a.

    `totals`: actual_to_date, budget, budget_remainder, run_rate, seasonal.
    """
    values = np.array([_value(totals, k) for k in FORECAST_METHODS], dtype="float64")
    names = np.array([label(k, lang) for k in FORECAST_METHODS], dtype=object)
    axis, scale = money_axis(label("amount", lang), *bounds(values), lang, count=4)  # across: fewer, for a phone
    amounts = [label("not_available", lang) if t == "–" else t for t in scaled_money_text(values, scale, lang)]
    bars = trace(
        "bar",
        y=names,
        x=values,
        orientation="h",
        marker={"color": list(_FORECAST_COLORS)},
        hovertext=[money_text(v, lang) for v in values],
        hovertemplate="%{y}: %{hovertext}<extra></extra>",
    )
    # the amounts' column: the right axis's categories (a trace must sit on it for it to have them)
    column = trace(
        "scatter",
        y=names,
        x=np.zeros(len(names)),
        yaxis="y2",
        mode="markers",
        marker={"opacity": 0},
        hoverinfo="skip",
        showlegend=False,
    )
    budget = values[1]
    budget_line = (
        []
        if np.isnan(budget)
        else [  # as add_vline draws it
            {
                "type": "line",
                "x0": float(budget),
                "x1": float(budget),
                "xref": "x",
                "y0": 0,
                "y1": 1,
                "yref": "y domain",
                "line": {"color": INK, "dash": "dot", "width": 1.5},
            }
        ]
    )
    rows = [len(names) - 0.5, -0.5]  # the first method on top, the same on both y axes
    return figure(
        [bars, column],
        height=340,
        showlegend=False,
        margin={"l": 10, "r": 10, "t": 20, "b": 10},
        separators=separators(lang),
        xaxis={**axis, "rangemode": "tozero", "automargin": True},
        yaxis={
            "type": "category",
            "range": rows,
            "tickmode": "array",
            "tickvals": names,
            "ticktext": [two_lines(str(n), 14) for n in names],
            "automargin": True,
        },
        yaxis2=right_column(names, amounts, rows),
        **({"shapes": budget_line} if budget_line else {}),
    )
