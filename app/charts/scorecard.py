"""Scorecard figures: KPI bullets, a KPI's monthly trend, the team heatmap, perspective bars.

A percent shown beside a status is written by `formats.percent_text` against the thresholds of that
status (99.5 % amber is "99.5%", never "100%"), and every percent is spelled as the tables spell it
(nb "99,5 %"): text the figure carries, not a d3 format, which cannot put the space before the sign.
"""

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from app.charts.axes import percent_ticks, right_column, two_lines, value_axis
from app.charts.formats import DEFAULT_THRESHOLDS, fixed_percent_text, number_text, percent_text, separators
from app.charts.palette import (
    BLUE,
    GREEN,
    INK,
    STATUS_COLOR,
    STATUS_MARK,
    STATUS_SYMBOL,
    VERMILLION,
    Figure,
    figure,
    label,
    status_word,
    trace,
)

BULLET_MAX = 1.5  # attainment beyond 150 % is drawn at the edge (the text still tells the number)
_BANDS = ("#d9d9d9", "#e6e6e6", "#f3f3f3")  # behind / close / on-target zones, light to stay behind the bar
_BAND_EDGE = "#bdbdbd"  # a thin edge, so the lightest zone shows against the page (and in the legend)
BULLET_TICKS = (0.0, 0.5, 1.0, 1.5)
ROW_LABEL = 14  # a KPI name longer than this takes two lines (`axes.two_lines`)

# decimals per unit as the tables write a KPI's value (a ratio as a percent with one decimal)
UNIT_DECIMALS = {"currency": 0, "ratio": 1, "count": 0, "hours": 1, "score": 2, "days": 1}


def value_text(value: float, unit: str, lang: str = "en") -> str:
    """A KPI value in its unit as the tables write it: `1,140`, `30.0%` (nb `1 140`, `30,0 %`); '–' if missing."""
    if value is None or not np.isfinite(value):
        return "–"
    if unit == "ratio":
        return fixed_percent_text(value, UNIT_DECIMALS["ratio"], lang)
    return number_text(float(value), UNIT_DECIMALS.get(unit, 2), lang)


def _floats(values: Iterable[Any]) -> np.ndarray:
    return pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").to_numpy(dtype="float64")


def _statuses(values: Iterable[Any]) -> list[str]:
    return [s if s in STATUS_COLOR else "none" for s in values]


def month_dates(periods: Iterable[str]) -> np.ndarray:
    """'YYYY-MM' strings as the first day of each month (datetime64[D])."""
    return np.array([f"{p}-01" for p in periods], dtype="datetime64[D]")


def status_of(score: np.ndarray, *, green: float = 1.0, amber: float = 0.9) -> list[str]:
    """green ≥ `green`, amber ≥ `amber`, red below, none where missing (PRODUCT.md §2)."""
    return ["none" if np.isnan(s) else "green" if s >= green else "amber" if s >= amber else "red" for s in score]


def kpi_bullets(kpis: pd.DataFrame, *, lang: str = "en") -> Figure:
    """Bullet chart, one row per KPI: attainment as a bar in the status colour against the
    threshold bands (red below amber, amber below green, green above), the target as a tick at
    100 %, and the status as a marker symbol and a word.

    The x axis is labelled at 0, 50, 100 and 150 % only: a KPI's own thresholds (90 % beside 100 %
    collided) are the bands' edges, which the legend names. The status words stand in a column of
    their own right of the plot (the tick labels of a second y axis, which plotly.js makes room for),
    so no word is cut at the plot's edge however narrow the page; long KPI names take two lines.

    `kpis`: name, actual, target, attainment, status; optional unit (the hover writes actual and
    target in it), amber_threshold, green_threshold (default 0.9 and 1.0), stretch and direction
    (where a KPI has a stretch, a blue tick marks the attainment that reaching it means: stretch /
    target, or target / stretch where lower is better). Rows in display order, the first on top.
    """
    n = len(kpis)
    names = kpis["name"].astype(str).to_numpy(dtype=object)
    att = _floats(kpis["attainment"])
    statuses = _statuses(kpis["status"])
    amber = _floats(kpis["amber_threshold"]) if "amber_threshold" in kpis else np.full(n, 0.9)
    green = _floats(kpis["green_threshold"]) if "green_threshold" in kpis else np.full(n, 1.0)
    units = kpis["unit"].astype(str).tolist() if "unit" in kpis else [""] * n
    shown = np.clip(att, 0, BULLET_MAX)
    att_text = [percent_text(a, lang, thresholds=(am, gr)) for a, am, gr in zip(att, amber, green, strict=True)]
    actual, target = _floats(kpis["actual"]), _floats(kpis["target"])
    custom = np.column_stack([actual, target, att]) if n else np.empty((0, 3))
    figures = [
        f"{label('actual', lang)}: {value_text(a, u, lang)}<br>{label('target', lang)}: {value_text(t, u, lang)}"
        for a, t, u in zip(actual, target, units, strict=True)
    ]
    zones = (
        (np.zeros(n), amber, label("red", lang)),
        (amber, green - amber, label("amber", lang)),
        (green, np.maximum(BULLET_MAX - green, 0), label("green", lang)),
    )
    # (`base` as a list: what Plotly's validation makes of it)
    traces = [
        trace(
            "bar",
            y=names,
            x=width,
            base=base.tolist(),
            orientation="h",
            marker={"color": color, "line": {"color": _BAND_EDGE, "width": 1}},
            width=0.8,
            hoverinfo="skip",
            name=zone,
        )
        for color, (base, width, zone) in zip(_BANDS, zones, strict=True)
    ]
    traces.append(
        trace(
            "bar",
            y=names,
            x=shown,
            orientation="h",
            width=0.36,
            name=label("attainment", lang),
            showlegend=False,
            marker={"color": [STATUS_COLOR[s] for s in statuses]},
            customdata=custom,
            text=figures,
            textposition="none",
            hovertext=att_text,
            hovertemplate=f"%{{y}}<br>%{{text}}<br>{label('attainment', lang)}: %{{hovertext}}<extra></extra>",
        )
    )
    traces.append(
        trace(
            "scatter",
            y=names,
            x=np.ones(n),
            mode="markers",
            name=label("target", lang),
            hoverinfo="skip",
            marker={"symbol": "line-ns", "size": 22, "line": {"width": 3, "color": INK}},
        )
    )
    stretch_at = _stretch_positions(kpis, target)
    if not np.isnan(stretch_at).all():
        has = ~np.isnan(stretch_at)
        stretch = _floats(kpis["stretch"])
        traces.append(
            trace(
                "scatter",
                y=names[has],
                x=np.clip(stretch_at[has], 0, BULLET_MAX),
                mode="markers",
                name=label("stretch_goal", lang),
                text=[
                    f"{label('stretch_goal', lang)}: {value_text(v, u, lang)}"
                    for v, u in zip(stretch[has], np.array(units, dtype=object)[has], strict=True)
                ],
                hovertemplate="%{y}<br>%{text}<extra></extra>",
                marker={"symbol": "line-ns", "size": 18, "line": {"width": 3, "color": BLUE}},
            )
        )
    traces.append(
        trace(
            "scatter",
            y=names,
            x=np.nan_to_num(shown, nan=0.0),
            yaxis="y2",
            mode="markers",
            name=label("score", lang),
            showlegend=False,
            hoverinfo="skip",
            cliponaxis=False,
            marker={
                "symbol": [STATUS_SYMBOL[s] for s in statuses],
                "size": 11,
                "color": [STATUS_COLOR[s] for s in statuses],
                "line": {"width": 1.5, "color": INK},
            },
        )
    )
    rows = [max(n, 1) - 0.5, -0.5]  # the first row on top, the same on both y axes
    return figure(
        traces,
        barmode="overlay",
        height=100 + 42 * max(n, 1),
        showlegend=True,
        separators=separators(lang),
        xaxis={
            "range": [0, BULLET_MAX + 0.08],  # (room for the marker of a bar at the edge)
            **percent_ticks(0.0, BULLET_MAX, lang, values=BULLET_TICKS),
            "title": {"text": label("attainment_pct", lang)},
            "zeroline": False,
            "automargin": True,
        },
        yaxis={
            "type": "category",
            "range": rows,
            "tickmode": "array",
            "tickvals": names,
            "ticktext": [two_lines(str(v), ROW_LABEL) for v in names],
            "ticklabelstandoff": 6,  # clear of a marker at 0 %
            "automargin": True,
        },
        yaxis2=right_column(names, [status_word(s, lang) for s in statuses], rows),
    )


def _stretch_positions(kpis: pd.DataFrame, target: np.ndarray) -> np.ndarray:
    """Where each KPI's stretch lies on the attainment axis: stretch / target (target / stretch where
    lower is better); NaN without a stretch, a target, or where either is zero."""
    if "stretch" not in kpis:
        return np.full(len(kpis), np.nan)
    stretch = _floats(kpis["stretch"])
    lower = (kpis["direction"] == "lower").to_numpy() if "direction" in kpis else np.zeros(len(kpis), dtype=bool)
    num, den = np.where(lower, target, stretch), np.where(lower, stretch, target)
    valid = ~np.isnan(num) & ~np.isnan(den) & (num != 0) & (den != 0)
    out = np.full(len(kpis), np.nan)
    np.divide(num, den, out=out, where=valid)
    return out


def kpi_trend(
    points: pd.DataFrame,
    *,
    name: str,
    unit: str = "count",
    lang: str = "en",
    thresholds: tuple[float, float] = DEFAULT_THRESHOLDS,
) -> Figure:
    """One KPI month by month: the actual (markers in the status colour and symbol) against the
    monthly target (dashed); the hover gives each month's value, attainment and status.

    `points`: period ('YYYY-MM'), actual, target, status, optionally attainment and stretch (where a
    month has one, the monthly stretch as a dotted blue line); one row per month, oldest first.
    `thresholds`: the KPI's (amber, green), for the attainment shown beside the status.
    """
    x = month_dates(points["period"])
    statuses = _statuses(points["status"])
    actual_y, target_y = _floats(points["actual"]), _floats(points["target"])
    att = _floats(points["attainment"]) if "attainment" in points else np.full(len(points), np.nan)
    beside = [
        status_word(s, lang)
        if np.isnan(a)
        else f"{percent_text(a, lang, thresholds=thresholds)} {status_word(s, lang)}"
        for a, s in zip(att, statuses, strict=True)
    ]
    target = trace(
        "scatter",
        x=x,
        y=target_y,
        mode="lines",
        name=label("target", lang),
        line={"color": INK, "dash": "dash", "width": 2},
        connectgaps=False,
        text=[value_text(v, unit, lang) for v in target_y],
        hovertemplate=f"%{{x|%Y-%m}}: %{{text}}<extra>{label('target', lang)}</extra>",
    )
    actual = trace(
        "scatter",
        x=x,
        y=actual_y,
        mode="lines+markers",
        name=label("actual", lang),
        line={"color": BLUE, "width": 2.5},
        marker={
            "size": 10,
            "symbol": [STATUS_SYMBOL[s] for s in statuses],
            "color": [STATUS_COLOR[s] for s in statuses],
            "line": {"width": 1, "color": INK},
        },
        text=[f"{value_text(v, unit, lang)} ({b})" for v, b in zip(actual_y, beside, strict=True)],
        hovertemplate=f"%{{x|%Y-%m}}: %{{text}}<extra>{label('actual', lang)}</extra>",
    )
    traces = [target, actual]
    stretch_y = _floats(points["stretch"]) if "stretch" in points else np.full(len(points), np.nan)
    if not np.isnan(stretch_y).all():
        traces.insert(
            1,
            trace(
                "scatter",
                x=x,
                y=stretch_y,
                mode="lines+markers",  # a month alone with a stretch still shows
                name=label("stretch_goal", lang),
                line={"color": BLUE, "dash": "dot", "width": 2},
                marker={"symbol": "line-ew", "size": 12, "line": {"width": 2, "color": BLUE}},
                connectgaps=False,
                text=[value_text(v, unit, lang) for v in stretch_y],
                hovertemplate=f"%{{x|%Y-%m}}: %{{text}}<extra>{label('stretch_goal', lang)}</extra>",
            ),
        )
    # the title names the KPI and its unit; ticks as the tables write the unit (nb "30,0 %", "1 000")
    yaxis = {"rangemode": "tozero", "automargin": True} | value_axis(
        name, unit, np.concatenate([actual_y, target_y, stretch_y]), lang
    )
    return figure(
        traces,
        title={"text": name, "x": 0, "y": 0.99, "yanchor": "top", "font": {"size": 14}},
        height=340,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        separators=separators(lang),
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
        xaxis={"tickformat": "%Y-%m", "automargin": True},
        yaxis=yaxis,
    )


def team_heatmap(
    attainment: pd.DataFrame,
    status: pd.DataFrame,
    *,
    lang: str = "en",
    thresholds: Mapping[str, tuple[float, float]] | None = None,
) -> Figure:
    """Rows (units or sellers) × KPIs coloured by attainment, each cell with its status symbol and
    percent (on the status's side of the column's thresholds: "! 99.5%", never "! 100%"); a missing
    attainment is a blank cell marked '–'.

    `attainment`: index = row labels (first on top), columns = KPI names, values actual/target.
    `status`: the same shape, green/amber/red/none. `thresholds`: (amber, green) per column
    (default 0.9 and 1.0).
    """
    z = attainment.to_numpy(dtype="float64")
    marks = status.reindex(index=attainment.index, columns=attainment.columns).fillna("none").to_numpy()
    cuts = [(thresholds or {}).get(c, DEFAULT_THRESHOLDS) for c in attainment.columns]
    text = np.array(
        [
            [
                STATUS_MARK["none"]
                if np.isnan(v)
                else f"{STATUS_MARK.get(m, '–')} {percent_text(v, lang, thresholds=cut)}"
                for v, m, cut in zip(row, mrow, cuts, strict=True)
            ]
            for row, mrow in zip(z, marks, strict=True)
        ],
        dtype=object,
    ).reshape(z.shape)
    heat = trace(
        "heatmap",
        z=z,
        x=np.array(attainment.columns, dtype=object),
        y=np.array(attainment.index, dtype=object),
        text=text,
        texttemplate="%{text}",
        textfont={"size": 11, "color": INK},
        zmin=0.5,
        zmax=1.5,
        xgap=2,
        ygap=2,
        hoverongaps=False,
        colorscale=[[0.0, VERMILLION], [0.38, "#F5B971"], [0.5, "#F2F2F2"], [0.62, "#A6DBC9"], [1.0, GREEN]],
        colorbar={
            "title": {"text": label("attainment_pct", lang), "side": "right"},
            **percent_ticks(0.5, 1.5, lang),
            "thickness": 12,
        },
        hovertemplate="%{y} · %{x}: %{text}<extra></extra>",
    )
    return figure(
        [heat],
        height=140 + 30 * max(len(attainment.index), 1),
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        separators=separators(lang),
        xaxis={"side": "top", "tickangle": -35, "automargin": True},
        yaxis={"autorange": "reversed", "automargin": True},
    )


def perspective_bars(perspectives: pd.DataFrame, *, lang: str = "en") -> Figure:
    """Perspective scores as horizontal bars (colour and symbol by status against 100 % and 90 %),
    the previous month's score as an open marker, a line at 100 %.

    `perspectives`: name, score, and optionally previous_score; display order, the first on top.
    """
    names = perspectives["name"].astype(str).to_numpy(dtype=object)
    score = _floats(perspectives["score"])
    statuses = status_of(score)
    traces = [
        trace(
            "bar",
            y=names,
            x=score,
            orientation="h",
            name=label("score", lang),
            marker={"color": [STATUS_COLOR[s] for s in statuses]},
            text=[status_word(s, lang) for s in statuses],
            textposition="inside",
            insidetextanchor="start",
            textfont={"color": "#ffffff"},
            hovertext=[percent_text(v, lang) for v in score],
            hovertemplate=f"%{{y}}: %{{hovertext}}<extra>{label('score', lang)}</extra>",
        )
    ]
    if "previous_score" in perspectives:
        previous = _floats(perspectives["previous_score"])
        traces.append(
            trace(
                "scatter",
                y=names,
                x=previous,
                mode="markers",
                name=label("previous", lang),
                marker={"symbol": "diamond-open", "size": 12, "color": INK, "line": {"width": 2}},
                hovertext=[percent_text(v, lang) for v in previous],
                hovertemplate=f"%{{y}}: %{{hovertext}}<extra>{label('previous', lang)}</extra>",
            )
        )
    top = np.nanmax(np.append(score, 1.2)) if len(score) else 1.2
    right = max(1.25, float(top) + 0.05)
    return figure(
        traces,
        height=80 + 48 * max(len(names), 1),
        separators=separators(lang),
        xaxis={
            "range": [0, right],
            "title": {"text": label("score_pct", lang)},
            "automargin": True,
            **percent_ticks(0.0, right, lang),
        },
        yaxis={"autorange": "reversed", "automargin": True},
        shapes=[
            {
                "type": "line",
                "x0": 1.0,
                "x1": 1.0,
                "xref": "x",
                "y0": 0,
                "y1": 1,
                "yref": "y domain",
                "line": {"color": INK, "width": 1.5, "dash": "dot"},
            }
        ],  # 100 %, as add_vline draws it
    )
