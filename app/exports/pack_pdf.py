"""The meeting pack as a PDF (reportlab): A4 landscape, the unit's scorecard grouped by perspective,
a chart of each KPI's attainment, the ranking of the units below, the attention items with their
comments and the open coaching actions; in English or Norwegian bokmål.

Pure: the pack (the JSON shape of GET /meetings/pack) in, bytes out; nothing is read from disk or the
network (the standard Helvetica, which covers Latin-1, so æøå come through; a character beyond it,
an emoji, prints as a box). reportlab's Paragraph reads markup, so every text put into one is escaped
first (`_text`): a comment `<b>x</b>` prints as written. Long tables break across pages with their
header repeated; each list shows its first `PDF_ROWS` rows (the XLSX has all). Statuses are words,
not only colours (the tint behind a status cell repeats what the word says).
"""

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    LongTable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from app.charts.formats import DEFAULT_THRESHOLDS, fixed_percent_text
from app.exports.pack_tables import (
    STATUS,
    actions_table,
    attainment_text,
    attention_table,
    heading,
    label,
    month_text,
    ranking_table,
    score_status,
    scorecard_table,
    value_text,
    when_text,
    word,
)

PAGE = landscape(A4)
MARGIN = 14 * mm
WIDTH = PAGE[0] - 2 * MARGIN
PDF_ROWS = 250  # of each list (ranking, attention, actions): a pack to read in a meeting; the XLSX has all
SECTION_START = 90  # points: a heading, a table's header and its first rows
CHART_MAX = 1.5  # attainment beyond 150 % is drawn at the edge (the label still tells the number)

# Okabe & Ito, as the pages' charts (app.charts.palette), and light tints of them behind a status word.
_BAR = {
    "stretch": colors.HexColor("#0072B2"),
    "green": colors.HexColor("#009E73"),
    "amber": colors.HexColor("#E69F00"),
    "red": colors.HexColor("#D55E00"),
    "none": colors.HexColor("#999999"),
}
_TINT = {
    "stretch": colors.HexColor("#d3e5f2"),
    "green": colors.HexColor("#d5efe6"),
    "amber": colors.HexColor("#fbecc8"),
    "red": colors.HexColor("#f7dccb"),
}
_INK = colors.HexColor("#1d2433")
_RULE = colors.HexColor("#b8bec9")
_GROUP = colors.HexColor("#e8ebf0")
_HEAD = colors.HexColor("#d0d6df")
_MUTED = colors.HexColor("#4a5263")

_BASE = getSampleStyleSheet()
_STYLES = {
    "title": ParagraphStyle(
        "title",
        parent=_BASE["Title"],
        fontName="Helvetica-Bold",
        fontSize=18,
        leading=22,
        alignment=0,
        textColor=_INK,
        spaceAfter=2,
    ),
    "subtitle": ParagraphStyle("subtitle", parent=_BASE["Normal"], fontSize=11, leading=14, textColor=_INK),
    "h2": ParagraphStyle(
        "h2",
        parent=_BASE["Heading2"],
        fontName="Helvetica-Bold",
        fontSize=13,
        leading=16,
        textColor=_INK,
        spaceBefore=10,
        spaceAfter=4,
    ),
    "body": ParagraphStyle("body", parent=_BASE["Normal"], fontSize=9, leading=11.5, textColor=_INK),
    "note": ParagraphStyle("note", parent=_BASE["Normal"], fontSize=8, leading=10, textColor=_MUTED),
    "cell": ParagraphStyle("cell", parent=_BASE["Normal"], fontSize=8, leading=10, textColor=_INK),
    "num": ParagraphStyle("num", parent=_BASE["Normal"], fontSize=8, leading=10, textColor=_INK, alignment=TA_RIGHT),
    "head": ParagraphStyle(
        "head", parent=_BASE["Normal"], fontName="Helvetica-Bold", fontSize=8, leading=10, textColor=_INK
    ),
    "headnum": ParagraphStyle(
        "headnum",
        parent=_BASE["Normal"],
        fontName="Helvetica-Bold",
        fontSize=8,
        leading=10,
        textColor=_INK,
        alignment=TA_RIGHT,
    ),
    "group": ParagraphStyle(
        "group", parent=_BASE["Normal"], fontName="Helvetica-Bold", fontSize=8.5, leading=10.5, textColor=_INK
    ),
}


def _text(value: Any, style: str = "cell") -> Paragraph:
    """`value` as text in a Paragraph: escaped, so markup in it (`<b>`, `&`) prints as written; line
    breaks kept."""
    return Paragraph(escape("" if value is None else str(value)).replace("\n", "<br/>"), _STYLES[style])


def _cell(value: Any) -> str:
    """A table cell's text, as it is: `_grid` writes it as a plain cell where it fits on one line (no
    markup is read from one) and escaped in a Paragraph, which wraps, where it does not."""
    return "" if value is None else str(value)


_PAD = 4  # points left and right in a cell


def _fit(cell: Any, width: float, numeric: bool) -> Any:
    """A plain text cell kept plain when it fits the column on one line (a tenth of a Paragraph's cost
    on a long table), else a Paragraph of it (`_text`, escaped) that wraps; other cells as they are."""
    if not isinstance(cell, str) or ("\n" not in cell and stringWidth(cell, "Helvetica", 8) <= width - 2 * _PAD):
        return cell
    return _text(cell, "num" if numeric else "cell")


@dataclass
class _Row:
    """One row of a table (or rows that stay together on a page: an item and its comments), with the
    style commands of its own cells (coordinates within the row)."""

    cells: list[list[Any]]
    style: list[tuple] = field(default_factory=list)


_CELLS = [
    ("FONT", (0, 0), (-1, -1), "Helvetica", 8, 10),  # the plain cells (numbers) as the Paragraphs' text
    ("TEXTCOLOR", (0, 0), (-1, -1), _INK),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("TOPPADDING", (0, 0), (-1, -1), 2.5),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ("LEFTPADDING", (0, 0), (-1, -1), _PAD),
    ("RIGHTPADDING", (0, 0), (-1, -1), _PAD),
]
_OUTER = TableStyle(
    [
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, _INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, _RULE),
    ]
)


def _grid(header: Sequence[tuple[str, bool]], rows: list[_Row], widths: Sequence[float]) -> Table:
    """A table over the page's width (`widths` are fractions of it): a bold header (each header
    `(text, numeric)`; numeric columns are aligned right) repeated on every page the table runs onto,
    light rules between rows.

    Each row is a small table of its own inside a one-column table: a row never splits across pages,
    and the outer table's style stays a few commands however long it is. (One big table carrying a
    command per row costs reportlab time in the square of the rows, at every page break: 42 s for
    1,600 attention items.)"""
    columns = [w * WIDTH for w in widths]
    right = [("ALIGN", (j, 0), (j, -1), "RIGHT") for j, (_, numeric) in enumerate(header) if numeric]
    cells = TableStyle([*_CELLS, *right])
    head = Table(
        [[_text(text, "headnum" if numeric else "head") for text, numeric in header]],
        colWidths=columns,
        style=TableStyle([*_CELLS, ("BACKGROUND", (0, 0), (-1, -1), _HEAD)]),
    )
    inner = []
    numeric = [n for _, n in header]
    for row in rows:
        fitted = [[_fit(c, w, n) for c, w, n in zip(line, columns, numeric, strict=True)] for line in row.cells]
        table = Table(fitted, colWidths=columns, style=cells)
        if row.style:
            table.setStyle(TableStyle(row.style))
        inner.append([table])
    # LongTable: a split keeps the rows' heights measured once, where a Table measures the rest again
    return LongTable([[head], *inner], colWidths=[WIDTH], repeatRows=1, hAlign="LEFT", style=_OUTER)


def _tint(status: str | None, col: int, row: int = 0) -> list[tuple]:
    return [("BACKGROUND", (col, row), (col, row), _TINT[status])] if status in _TINT else []


# --- the sections ---------------------------------------------------------------------------------


def _summary(pack: Mapping[str, Any], lang: str) -> list[Flowable]:
    card = pack["scorecard"]
    overall = card.get("overall_score")
    line = (
        f"{label('overall', lang)}: {attainment_text(overall, lang)} "
        f"({word(STATUS, score_status(overall), lang)}) · "
        f"{label('previous_month', lang, value=attainment_text(card.get('previous_overall_score'), lang))}"
    )
    out: list[Flowable] = [_text(line, "body")]
    if card.get("no_sales_yet"):
        note = label("no_sales", lang, month=month_text(card.get("period"), lang), date=when_text(card["data_through"]))
        out.append(_text(note, "note"))
    elif card.get("data_through"):
        out.append(_text(label("data_through", lang, date=when_text(card["data_through"])), "note"))
    return out


def _scorecard(pack: Mapping[str, Any], lang: str) -> Flowable:
    """The KPI table: a row per perspective (its name and score) above its KPIs."""
    rows: list[_Row] = []
    current = None
    for r in scorecard_table(pack, lang).rows:
        if r["perspective_key"] != current:
            current = r["perspective_key"]
            score = r["perspective_score"]
            text = f"{r['perspective']} · {attainment_text(score, lang)} ({word(STATUS, score_status(score), lang)})"
            group = [("SPAN", (0, 0), (-1, 0)), ("BACKGROUND", (0, 0), (-1, 0), _GROUP)]
            rows.append(_Row([[_text(text, "group"), "", "", "", "", "", "", ""]], group))
        thresholds = r["thresholds"]
        cells = [
            _cell(r["kpi"]),
            _cell(value_text(r["actual"], r["unit"], lang)),
            _cell(value_text(r["target"], r["unit"], lang)),
            _cell(value_text(r["stretch"], r["unit"], lang)),  # '–' without a stretch
            _cell(attainment_text(r["attainment"], lang, thresholds)),
            _cell(r["status"]),
            _cell(value_text(r["previous_actual"], r["unit"], lang)),
            _cell(attainment_text(r["previous_attainment"], lang, thresholds)),
        ]
        rows.append(_Row([cells], _tint(r["status_key"], 5)))
    header = [
        (label("kpi", lang), False),
        (label("actual", lang), True),
        (label("target", lang), True),
        (label("stretch", lang), True),
        (label("attainment", lang), True),
        (label("status", lang), False),
        (label("previous_actual", lang), True),
        (label("previous_attainment", lang), True),
    ]
    return _grid(header, rows, [0.23, 0.12, 0.12, 0.12, 0.09, 0.11, 0.12, 0.09])


def attainment_chart(pack: Mapping[str, Any], lang: str) -> Drawing | None:
    """A horizontal bar per KPI that has an attainment (in the card's order, top down), coloured by its
    status and labelled with its percent, on an axis from 0 to 150 % with the 90 % and 100 % lines;
    None when no KPI has one."""
    rows = [r for r in scorecard_table(pack, lang).rows if r["attainment"] is not None]
    if not rows:
        return None
    rows = rows[::-1]  # the chart draws its first category at the bottom
    bar_height = 15
    left, right, top, bottom = 190, 60, 22, 26
    height = bottom + top + bar_height * len(rows)
    drawing = Drawing(WIDTH, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = left, bottom
    chart.width, chart.height = WIDTH - left - right, bar_height * len(rows)
    chart.data = [tuple(max(0.0, min(r["attainment"], CHART_MAX)) for r in rows)]
    chart.barWidth = bar_height * 0.6
    chart.groupSpacing = bar_height * 0.4
    chart.bars.strokeColor = None
    for i, r in enumerate(rows):
        chart.bars[(0, i)].fillColor = _BAR.get(r["status_key"] or "none", _BAR["none"])
    chart.barLabelFormat = "values"
    chart.barLabelArray = [[attainment_text(r["attainment"], lang, r["thresholds"]) for r in rows]]
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    chart.barLabels.fontName = "Helvetica"
    chart.barLabels.fontSize = 7.5
    chart.barLabels.fillColor = _INK
    axis = chart.categoryAxis
    axis.categoryNames = [r["kpi"] if len(r["kpi"]) <= 40 else r["kpi"][:39] + "…" for r in rows]
    axis.labels.boxAnchor = "e"
    axis.labels.dx = -4
    axis.labels.fontName = "Helvetica"
    axis.labels.fontSize = 8
    axis.labels.fillColor = _INK
    axis.strokeColor = _RULE
    values = chart.valueAxis
    values.valueMin, values.valueMax, values.valueStep = 0.0, CHART_MAX, 0.25
    values.labelTextFormat = _tick(lang)
    values.labels.fontName = "Helvetica"
    values.labels.fontSize = 7.5
    values.strokeColor = _RULE
    values.visibleGrid = True
    values.gridStrokeColor = colors.HexColor("#e3e6eb")
    values.gridStrokeWidth = 0.4
    drawing.add(chart)
    for mark, color in ((DEFAULT_THRESHOLDS[0], _BAR["amber"]), (DEFAULT_THRESHOLDS[1], _BAR["green"])):
        x = chart.x + chart.width * mark / CHART_MAX
        drawing.add(
            Line(x, chart.y, x, chart.y + chart.height + 6, strokeColor=color, strokeWidth=1.2, strokeDashArray=[3, 2])
        )
        drawing.add(
            String(
                x,
                chart.y + chart.height + 9,
                fixed_percent_text(mark, 0, lang).replace("\u2212", "-"),
                fontName="Helvetica-Bold",
                fontSize=7.5,
                fillColor=_INK,
                textAnchor="middle",
            )
        )
    return drawing


def _tick(lang: str) -> Callable[[float], str]:
    return lambda v: fixed_percent_text(v, 0, lang)


def _ranking(pack: Mapping[str, Any], lang: str) -> Flowable:
    rows = [
        _Row(
            [
                [
                    _cell(str(r["rank"])),
                    _cell(r["name"]),
                    _cell(r["level"]),
                    _cell(attainment_text(r["score"], lang)),
                    _cell(r["status"]),
                ]
            ],
            _tint(r["status_key"], 4),
        )
        for r in ranking_table(pack, lang).rows
    ]
    header = [
        (label("rank", lang), True),
        (label("name", lang), False),
        (label("level", lang), False),
        (label("score", lang), True),
        (label("status", lang), False),
    ]
    return _grid(header, rows, [0.05, 0.45, 0.15, 0.15, 0.2])


def _comments(comments: list[Mapping[str, Any]], lang: str) -> Paragraph | str:
    """An item's comments, one a line: the text as written, then its author and time (a plain cell
    saying there are none: most items have none, and a Paragraph costs)."""
    if not comments:
        return label("no_comments", lang)
    lines = [
        f"{escape(str(c.get('text', '')))} <font color='#4a5263'>— {escape(str(c.get('author', '')))}, "
        f"{escape(when_text(c.get('created_at')))}</font>"
        for c in comments
    ]
    heading = f"<b>{escape(label('comments', lang))}:</b> "
    return Paragraph(heading + "<br/>".join(line.replace("\n", "<br/>") for line in lines), _STYLES["cell"])


def _attention(pack: Mapping[str, Any], lang: str) -> Flowable:
    """A row per item, and under it, on the same page, a line across the table with its comments."""
    rows = []
    for r in attention_table(pack, lang).rows:
        cells = [
            _cell(r["unit"]),
            _cell(r["kpi"]),
            _cell(value_text(r["actual"], r["unit_kind"], lang)),
            _cell(value_text(r["target"], r["unit_kind"], lang)),
            _cell(attainment_text(r["attainment"], lang, r["thresholds"])),
            _cell("–" if r["months_red"] is None else str(r["months_red"])),
            _cell(r["area"]),
        ]
        under = [_comments(r["comment_list"], lang), "", "", "", "", "", ""]
        style = [*_tint("red", 4), ("SPAN", (0, 1), (-1, 1)), ("LEFTPADDING", (0, 1), (-1, 1), 14)]
        if not r["comment_list"]:
            style.append(("TEXTCOLOR", (0, 1), (0, 1), _MUTED))
        rows.append(_Row([cells, under], style))
    header = [
        (label("unit", lang), False),
        (label("kpi", lang), False),
        (label("actual", lang), True),
        (label("target", lang), True),
        (label("attainment", lang), True),
        (label("months_red", lang), True),
        (label("area", lang), False),
    ]
    return _grid(header, rows, [0.22, 0.2, 0.12, 0.12, 0.1, 0.08, 0.16])


def _actions(pack: Mapping[str, Any], lang: str) -> Flowable:
    rows = []
    for r in actions_table(pack, lang).rows:
        baseline = attainment_text(r["baseline_attainment"], lang, r["thresholds"])
        latest = attainment_text(r["latest_attainment"], lang, r["thresholds"])
        cells = [
            _cell(r["unit"]),
            _cell(r["kpi"]),
            _cell(r["arena"]),
            _cell(r["title"]),
            _cell(r["owner"]),
            _cell(r["due"]),
            _cell(label("yes" if r["overdue"] else "no", lang)),
            _cell(f"{baseline} ({r['baseline_period'] or '–'})"),
            _cell(f"{latest} ({r['latest_period']}, {r['latest_status']})" if r["latest_period"] else "–"),
        ]
        rows.append(_Row([cells], _tint("red", 6) if r["overdue"] else []))
    header = [
        (label("unit", lang), False),
        (label("kpi", lang), False),
        (label("arena", lang), False),
        (label("title_col", lang), False),
        (label("owner", lang), False),
        (label("due", lang), False),
        (label("overdue", lang), False),
        (label("baseline", lang), False),
        (label("latest", lang), False),
    ]
    return _grid(header, rows, [0.12, 0.11, 0.09, 0.19, 0.15, 0.07, 0.06, 0.08, 0.13])


def _section(title: str, content: Flowable | None, empty: str) -> list[Flowable]:
    """A heading and what follows it, on a new page when too little of this one is left for the heading
    and the first rows (or the line that says there is nothing, kept with the heading)."""
    h2 = Paragraph(escape(title), _STYLES["h2"])
    if content is None:
        return [KeepTogether([h2, _text(empty, "body")])]
    return [CondPageBreak(SECTION_START), h2, content]


def write_pack_pdf(pack: Mapping[str, Any], *, lang: str = "en") -> bytes:
    """The meeting pack `pack` as PDF bytes, with its labels and numbers in `lang` (`en` or `nb`)."""
    title, subtitle = heading(pack, lang)
    generated = label("generated", lang, when=when_text(pack.get("generated_at")))

    def footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(_MUTED)
        canvas.drawString(MARGIN, 8 * mm, f"{title} · {subtitle}")
        canvas.drawRightString(PAGE[0] - MARGIN, 8 * mm, f"{generated} · {label('page', lang, n=doc.page)}")
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 4 * mm,
        title=title,
        subject=subtitle,
        author="Sales Scorecard",
        creator="Sales Scorecard",
    )
    chart = attainment_chart(pack, lang)
    listed = {key: pack[key][:PDF_ROWS] for key in ("ranking", "attention", "actions")}
    shown = {**pack, **listed}
    story: list[Flowable] = [
        Paragraph(escape(title), _STYLES["title"]),
        _text(subtitle, "subtitle"),
        Spacer(1, 4),
        *_summary(pack, lang),
        *_section(label("scorecard", lang), _scorecard(pack, lang), ""),
    ]
    if chart is None:
        story += _section(label("chart", lang), None, label("no_chart", lang))
    else:
        h2 = Paragraph(escape(label("chart", lang)), _STYLES["h2"])
        story.append(KeepTogether([h2, chart, _text(label("chart_note", lang), "note")]))
    sections = (
        ("ranking", _ranking, "none_below"),
        ("attention", _attention, "no_attention"),
        ("actions", _actions, "no_actions"),
    )
    for key, table, empty in sections:
        story += _section(label(key, lang), table(shown, lang) if shown[key] else None, label(empty, lang))
        if len(pack[key]) > PDF_ROWS:
            story.append(_text(label("listed", lang, shown=PDF_ROWS, total=len(pack[key])), "note"))
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
