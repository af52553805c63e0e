"""Pure Plotly figures: DataFrames (or plain numbers) in, a figure out as plotly.js takes it (a dict
of data and layout; see `palette.figure`), which the tests validate against Plotly's schema.

No database, no web framework. Data go into the traces as numpy arrays (compact typed arrays in the
JSON). Colours are the Okabe-Ito colour-blind-safe palette, and a status is also shown as a marker
symbol and a word, never by colour alone. Labels come in English or Norwegian bokmål (`lang`).
The numbers a figure shows (tick labels, bar and cell texts, hovers) are written here, as the pages
write them (`formats`: percents on their status's side, money in whole kroner; `axes`: every axis of
a quantity titled with its unit, ticks at round steps, money in a scale its title states); the page
still sets `layout.separators` for its language, for what plotly.js formats itself.
"""

from app.charts.budget import budget_vs_actual, forecast_bars, variance_waterfall
from app.charts.outlook import outlook_fan
from app.charts.palette import STATUS_COLOR, STATUS_SYMBOL, Figure, status_word, to_json
from app.charts.scorecard import kpi_bullets, kpi_trend, perspective_bars, team_heatmap

__all__ = [
    "STATUS_COLOR",
    "STATUS_SYMBOL",
    "Figure",
    "budget_vs_actual",
    "forecast_bars",
    "kpi_bullets",
    "kpi_trend",
    "outlook_fan",
    "perspective_bars",
    "status_word",
    "team_heatmap",
    "to_json",
    "variance_waterfall",
]
