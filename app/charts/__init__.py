"""Pure Plotly figures: DataFrames (or plain numbers) in, `go.Figure` out.

No database, no web framework. Data go into the traces as numpy arrays (compact typed arrays in the
JSON). Colours are the Okabe-Ito colour-blind-safe palette, and a status is also shown as a marker
symbol and a word, never by colour alone. Labels come in English or Norwegian bokmål (`lang`);
numbers are formatted by plotly.js with d3 formats, so the page sets `layout.separators` for its
language.
"""

from app.charts.budget import budget_vs_actual, forecast_bars, variance_waterfall
from app.charts.palette import STATUS_COLOR, STATUS_SYMBOL, status_word
from app.charts.scorecard import kpi_bullets, kpi_trend, perspective_bars, team_heatmap

__all__ = [
    "STATUS_COLOR", "STATUS_SYMBOL", "budget_vs_actual", "forecast_bars", "kpi_bullets", "kpi_trend",
    "perspective_bars", "status_word", "team_heatmap", "variance_waterfall",
]
