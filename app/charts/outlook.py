"""The outlook's fan chart: the year to date, then the 80 % band to the year's end, the target as a line."""

from datetime import date, timedelta

import numpy as np

from app.charts.axes import value_axis
from app.charts.formats import separators
from app.charts.palette import BLUE, INK, Figure, figure, label, trace
from app.charts.scorecard import month_dates, value_text

BAND_FILL = "rgba(0, 114, 178, 0.18)"  # BLUE, light: the band stays behind the lines


def outlook_fan(answer: dict, kpi: str, *, lang: str = "en") -> Figure:
    """One KPI of an outlook answer (app.scorecards.outlook: `months`, and the KPI's `actuals`, `path`,
    `target`, `name`, `unit`) as a fan: the cumulative actual month by month through as_of (solid), from
    there the p10–p90 band (filled) and the p50 (dashed) to the year's end, the year's target (a line
    across the year). A KPI without an outlook draws its actuals only."""
    row = next(r for r in answer["kpis"] if r["kpi"] == kpi)
    name, unit = row["name"], row["unit"]
    done = [a["period"] for a in row["actuals"]]
    actual_y = np.array([np.nan if a["actual"] is None else a["actual"] for a in row["actuals"]], dtype="float64")
    # the band starts at the last actual, so it fans out of the line
    ahead = [p["period"] for p in row["path"]]
    start = [done[-1]] if done else []
    base = [row["actual_to_date"]] if done else []

    def band(key: str) -> np.ndarray:
        return np.array(base + [np.nan if p[key] is None else p[key] for p in row["path"]], dtype="float64")

    x_ahead = month_dates(start + ahead)
    low, mid, high = band("p10"), band("p50"), band("p90")
    traces = []
    if ahead and not np.isnan(mid[1:]).all():
        traces += [
            trace(
                "scatter",
                x=x_ahead,
                y=low,
                mode="lines",
                line={"width": 0, "color": BLUE},
                showlegend=False,
                name=label("band_low", lang),
                text=[value_text(v, unit, lang) for v in low],
                hovertemplate=f"%{{x|%Y-%m}}: %{{text}}<extra>{label('band_low', lang)}</extra>",
            ),
            trace(
                "scatter",
                x=x_ahead,
                y=high,
                mode="lines",
                fill="tonexty",
                fillcolor=BAND_FILL,
                line={"width": 0, "color": BLUE},
                name=label("band", lang),
                text=[value_text(v, unit, lang) for v in high],
                hovertemplate=f"%{{x|%Y-%m}}: %{{text}}<extra>{label('band_high', lang)}</extra>",
            ),
            trace(
                "scatter",
                x=x_ahead,
                y=mid,
                mode="lines",
                line={"color": BLUE, "dash": "dash", "width": 2},
                name=label("p50", lang),
                text=[value_text(v, unit, lang) for v in mid],
                hovertemplate=f"%{{x|%Y-%m}}: %{{text}}<extra>{label('p50', lang)}</extra>",
            ),
        ]
    traces.append(
        trace(
            "scatter",
            x=month_dates(done),
            y=actual_y,
            mode="lines+markers",
            name=label("actual_to_date", lang),
            line={"color": BLUE, "width": 2.5},
            marker={"size": 7, "color": BLUE},
            text=[value_text(v, unit, lang) for v in actual_y],
            hovertemplate=f"%{{x|%Y-%m}}: %{{text}}<extra>{label('actual_to_date', lang)}</extra>",
        )
    )
    target = row["target"]
    if target is not None:
        months = answer["months"]
        traces.append(
            trace(
                "scatter",
                x=month_dates([months[0], months[-1]]),
                y=[target, target],
                mode="lines",
                name=label("year_target", lang),
                line={"color": INK, "dash": "dot", "width": 2},
                text=[value_text(target, unit, lang)] * 2,
                hovertemplate=f"%{{text}}<extra>{label('year_target', lang)}</extra>",
            )
        )
    values = np.concatenate([actual_y, low, high, [np.nan if target is None else target]])
    # half a month either side of the year, a tick every other month from its second: no month's label
    # under the value axis' own (its 0 sits at the bottom left), six labels that fit a phone
    first, last = (date.fromisoformat(f"{m}-01") for m in (answer["months"][0], answer["months"][-1]))
    x_range = [(first - timedelta(days=15)).isoformat(), (last + timedelta(days=15)).isoformat()]
    yaxis = {"rangemode": "tozero", "automargin": True} | value_axis(name, unit, values, lang)
    return figure(
        traces,
        title={"text": f"{name} · {answer['year']}", "x": 0, "y": 0.99, "yanchor": "top", "font": {"size": 14}},
        height=340,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        separators=separators(lang),
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
        xaxis={
            "tickformat": "%Y-%m",
            "automargin": True,
            "range": x_range,
            "tick0": f"{answer['months'][1]}-01",
            "dtick": "M2",
        },
        yaxis=yaxis,
    )
