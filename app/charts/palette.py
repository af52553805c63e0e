"""Colours, status symbols and the few labels the figures carry, in English and Norwegian bokmål;
the shared layout and the way every figure is put together."""

import plotly.graph_objects as go

# Okabe & Ito (2008), safe for the common colour-vision deficiencies.
BLUE = "#0072B2"
SKY = "#56B4E9"
GREEN = "#009E73"
ORANGE = "#E69F00"
VERMILLION = "#D55E00"
GREY = "#999999"
LIGHT = "#EEEEEE"
INK = "#1d2433"

STATUS_COLOR = {"green": GREEN, "amber": ORANGE, "red": VERMILLION, "none": GREY}
# Plotly marker symbols: the shape tells the status where the colour cannot.
STATUS_SYMBOL = {"green": "circle", "amber": "diamond", "red": "x", "none": "circle-open"}
# One character for text (tables, heatmap cells).
STATUS_MARK = {"green": "✓", "amber": "!", "red": "✗", "none": "–"}

LANGS = ("en", "nb")

_LABELS = {
    "en": {
        "green": "on target", "amber": "close", "red": "behind", "none": "no target",
        "attainment": "Attainment (actual / target)", "attainment_short": "Attainment", "target": "Target", "actual": "Actual",
        "score": "Score", "previous": "Previous month", "month": "Month",
        "budget": "Budget", "cumulative_budget": "Budget, cumulative", "cumulative_actual": "Actual, cumulative",
        "amount": "Amount", "cumulative": "Cumulative",
        "price": "Price", "volume": "Volume", "mix": "Mix",
        "budget_remainder": "Actual + remaining budget", "run_rate": "Run rate", "seasonal": "Seasonal",
        "actual_to_date": "Actual to date", "not_available": "n/a",
    },
    "nb": {
        "green": "på mål", "amber": "nær", "red": "bak", "none": "uten mål",
        "attainment": "Måloppnåelse (faktisk / mål)", "attainment_short": "Måloppnåelse", "target": "Mål", "actual": "Faktisk",
        "score": "Poeng", "previous": "Forrige måned", "month": "Måned",
        "budget": "Budsjett", "cumulative_budget": "Budsjett, akkumulert", "cumulative_actual": "Faktisk, akkumulert",
        "amount": "Beløp", "cumulative": "Akkumulert",
        "price": "Pris", "volume": "Volum", "mix": "Miks",
        "budget_remainder": "Faktisk + resterende budsjett", "run_rate": "Løpende takt", "seasonal": "Sesongjustert",
        "actual_to_date": "Faktisk hittil", "not_available": "i.t.",
    },
}


def label(key: str, lang: str = "en") -> str:
    """The label `key` in `lang` (English when the language is unknown)."""
    return _LABELS.get(lang, _LABELS["en"])[key]


def status_word(status: str, lang: str = "en") -> str:
    """The status as a symbol and a word, e.g. '✓ on target'."""
    return f"{STATUS_MARK[status]} {label(status, lang)}"


def figure(data: list, **layout) -> go.Figure:
    """A figure of the traces `data` with the shared layout and `layout` on top, built in one go:
    `update_layout`, `add_trace` and `add_vline` on a built figure validate again and cost ten times
    as much (about 6 ms of a 13 ms chart), which every first view of a seller's page pays three times."""
    return go.Figure(data=data, layout=base_layout(**layout))


def base_layout(**extra) -> dict:
    """Layout shared by every figure: small margins, readable font, legend above the plot."""
    layout = {
        "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
        "font": {"family": "system-ui, sans-serif", "size": 13, "color": INK},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
        "hoverlabel": {"namelength": -1},
        "template": "none",  # plotly.js defaults, and no large template in every figure's JSON
    }
    layout.update(extra)
    return layout
