"""Files as people write them (PRODUCT.md §1): Norwegian dates and thousands separators, every problem of
every row, a file that is another dataset's, and the summary of a rejected file.

Expected values are worked out by hand in the comments; "nothing written" is checked by counting the
rows of every table before and after.
"""

from datetime import date
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import func, inspect, select, table

from app.imports import batches, service
from app.imports.errors import ImportRejected, RowError, summarize
from app.imports.parse import parse
from app.imports.reader import read_table
from app.imports.service import import_file
from app.imports.specs import DATASETS
from app.models import KpiDefinition, Sale
from tests.builders import (
    login,
    make_account,
    make_district,
    make_product,
    make_region,
    make_seller,
    make_user,
)

SALES = "id,date,seller_code,account_code,product_code,quantity,amount,cost"
ACTIVITIES = "id,date,seller_code,account_code,type,value"


def _parse(dataset: str, text: str, name: str = "file.csv") -> tuple[pd.DataFrame, list[tuple]]:
    spec = DATASETS[dataset]
    typed, errors = parse(spec, read_table(text.encode(), name, spec=spec))
    return typed, [(e.row, e.column, e.value, e.message) for e in errors]


def _amounts(typed: pd.DataFrame) -> list[Decimal]:
    """The amount column (minor units, two decimals) as Decimals."""
    return [Decimal(int(v)).scaleb(-2) for v in typed["amount"]]


# --- numbers -------------------------------------------------------------------------------------

# Semicolon files: each text and the amount it stands for, worked out by hand.
SEPARATED = [
    ("1 234,50", Decimal("1234.50")),  # a space between thousands
    ("1.234,50", Decimal("1234.50")),  # '.' before a decimal comma
    ("1 234", Decimal("1234.00")),  # no decimals
    ("-1 234,50", Decimal("-1234.50")),  # a credit note
    ("1\u00a0234,50", Decimal("1234.50")),  # Excel's no-break space
    ("1\u202f234,5", Decimal("1234.50")),  # the narrow no-break space some exports write
    ("12 345 678,90", Decimal("12345678.90")),  # several groups
    ("1.234.567,00", Decimal("1234567.00")),
    ("1234,5", Decimal("1234.50")),  # no separator at all, as before
]


def test_thousands_separators_in_a_semicolon_file():
    body = SALES.replace(",", ";") + "\n" + "".join(
        f"I{i};2026-01-05;S1;A1;P1;1;{text};\n" for i, (text, _) in enumerate(SEPARATED))
    typed, errors = _parse("sales", body)
    assert errors == []
    assert _amounts(typed) == [amount for _, amount in SEPARATED]


def test_thousands_separators_out_of_place_say_what_is_wrong():
    cells = ["1.23,4", "12 34,5", "1.234", "1 234,567"]
    body = SALES.replace(",", ";") + "\n" + "".join(f"I{i};2026-01-05;S1;A1;P1;1;{c};\n" for i, c in enumerate(cells))
    _, errors = _parse("sales", body)
    groups = "thousands separators must come between groups of three digits (1 234 567,50 or 1.234.567,50)"
    assert errors == [
        (2, "amount", "1.23,4", groups),
        (3, "amount", "12 34,5", groups),
        # '1.234' alone is a thousand in Norwegian and one and a bit in English: neither is guessed.
        (4, "amount", "1.234", ("'.' separates thousands only before a decimal comma: write 1.234,00 or 1234 if "
                                "you mean 1234, or 1,234 if you mean a decimal")),
        (5, "amount", "1 234,567", "at most 2 decimals"),
    ]


def test_comma_files_take_no_thousands_separators():
    _, errors = _parse("sales", SALES + '\nI1,2026-01-05,S1,A1,P1,1,1 234.50,\nI2,2026-01-05,S1,A1,P1,1,"1,234.50",\n')
    assert errors == [(2, "amount", "1 234.50", "remove the thousands separators (spaces)"),
                      (3, "amount", "1,234.50", "remove the thousands separators")]


# --- dates ---------------------------------------------------------------------------------------


def test_norwegian_dates_in_both_kinds_of_file():
    rows = ["05.11.2026", "5.1.2026", "31.12.2026", "2026-11-05", "29.02.2024"]
    expected = [pd.Timestamp(d) for d in ("2026-11-05", "2026-01-05", "2026-12-31", "2026-11-05", "2024-02-29")]
    for delimiter in (",", ";"):
        body = SALES.replace(",", delimiter) + "\n" + "".join(
            delimiter.join([f"I{i}", d, "S1", "A1", "P1", "1", "5", ""]) + "\n" for i, d in enumerate(rows))
        typed, errors = _parse("sales", body)
        assert errors == []
        assert typed["date"].tolist() == expected


def test_impossible_and_short_dates_are_row_errors():
    body = SALES + "\nI1,31.02.2026,S1,A1,P1,1,5,\nI2,05.11.26,S1,A1,P1,1,5,\nI3,2026/11/05,S1,A1,P1,1,5,\n"
    _, errors = _parse("sales", body)
    assert errors == [
        (2, "date", "31.02.2026", "not a date in the calendar (DD.MM.YYYY)"),  # February has no 31st
        (3, "date", "05.11.26", "not a date (YYYY-MM-DD or DD.MM.YYYY): write the year with four digits"),
        (4, "date", "2026/11/05", "not a date (YYYY-MM-DD or DD.MM.YYYY)"),
    ]


# --- XLSX ----------------------------------------------------------------------------------------


def _xlsx(tmp_path, rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    path = tmp_path / "sales.xlsx"
    book.save(path)
    return path.read_bytes()


def test_xlsx_text_cells_as_norwegian_excel_shows_them(tmp_path):
    """A date or number cell is one already; a text cell may hold '05.11.2026' or '1 234,50'."""
    rows = [
        SALES.split(","),
        ["I1", date(2026, 11, 5), "S1", "A1", "P1", 1, 1234.5, None],  # real date and number cells
        ["I2", "05.11.2026", "S1", "A1", "P1", "2", "1 234,50", None],  # text cells, Norwegian
        ["I3", "5.11.2026", "S1", "A1", "P1", "3", "1.234,50", "12.5"],  # text cells: '.' thousands; a point
        ["I4", "2026-11-05", "S1", "A1", "P1", "4", "-1\u00a0234,5", "0,5"],
    ]
    spec = DATASETS["sales"]
    typed, found = parse(spec, read_table(_xlsx(tmp_path, rows), "sales.xlsx", spec=spec))
    assert found == []
    assert typed["date"].tolist() == [pd.Timestamp("2026-11-05")] * 4
    assert _amounts(typed) == [Decimal("1234.50"), Decimal("1234.50"), Decimal("1234.50"), Decimal("-1234.50")]
    assert typed["cost"].tolist()[2:] == [1250, 50]  # 12.50 and 0.50 in minor units
    assert typed["quantity"].tolist() == [100, 200, 300, 400]


def test_xlsx_text_cell_with_a_bad_grouping_says_so(tmp_path):
    rows = [SALES.split(","), ["I1", "31.02.2026", "S1", "A1", "P1", 1, "1.23,4", None]]
    spec = DATASETS["sales"]
    _, found = parse(spec, read_table(_xlsx(tmp_path, rows), "sales.xlsx", spec=spec))
    assert [(e.row, e.column, e.message) for e in found] == [
        (2, "date", "not a date in the calendar (DD.MM.YYYY)"),
        (2, "amount", "thousands separators must come between groups of three digits (1 234 567,50 or 1.234.567,50)"),
    ]



def test_xlsx_text_cell_that_reads_two_ways_is_refused_not_guessed(tmp_path):
    """'12,000' is 12000 in English and 12 in Norwegian: a row error naming both readings. '0,125' is
    one number either way (no English thousands start with 0): 0.125, as the target's four decimals."""
    spec = DATASETS["targets"]
    rows = [["level", "code", "kpi", "period", "value"],
            ["seller", "S1", "revenue", "2026-01", "12,000"],
            ["seller", "S1", "hit_rate", "2026-01", "0,125"],
            ["seller", "S1", "meetings", "2026-01", 12000]]
    typed, found = parse(spec, read_table(_xlsx(tmp_path, rows), "targets.xlsx", spec=spec))
    assert [(e.row, e.column, e.value) for e in found] == [(2, "value", "12,000")]
    assert "thousands separator in English and a decimal comma in Norwegian" in found[0].message
    assert typed["value"].tolist()[1:] == [1250, 120000000]  # 0.1250 and 12000.0000 in ten-thousandths

# --- every problem of every row (database) -------------------------------------------------------


@pytest.fixture
def org(session):
    """Region R1, district D1 (R1), seller S1 (D1 from 2025-01-01), account A1, product P1."""
    r1 = make_region(session, code="R1")
    d1 = make_district(session, code="D1", region=r1)
    make_seller(session, code="S1", district=d1, valid_from=date(2025, 1, 1))
    make_account(session, code="A1", district=d1)
    make_product(session, code="P1")


def _counts(session) -> dict[str, int]:
    names = [n for n in inspect(session.connection()).get_table_names() if n != "alembic_version"]
    return {n: session.scalar(select(func.count()).select_from(table(n))) for n in names}


def rejected(session, dataset: str, body: str, name: str | None = None) -> list[tuple]:
    """The problems of a rejected file, after checking that nothing was written."""
    before = _counts(session)
    with pytest.raises(ImportRejected) as info:
        import_file(session, dataset=dataset, data=body.encode(), filename=name or f"{dataset}.csv")
    assert _counts(session) == before
    return [(e.row, e.column, e.value, e.message) for e in info.value.errors]


def test_sales_every_problem_of_every_row(session, org):
    body = (SALES + "\n"
            "I1,2026-01-05,NOPE,A1,P1,1,ten,\n"  # an unknown seller and a bad amount
            "I2,31.02.2026,S1,A404,P1,1,5,\n"  # an impossible date and an unknown account
            "I1,2026-01-06,S1,A1,P404,x,5,\n")  # the key of row 2 again, an unknown product, a bad quantity
    assert rejected(session, "sales", body) == [
        (2, "seller_code", "NOPE", "unknown seller_code"),
        (2, "amount", "ten", "not a number"),
        (3, "date", "31.02.2026", "not a date in the calendar (DD.MM.YYYY)"),
        (3, "account_code", "A404", "unknown account_code"),
        (4, "id", "I1", "duplicate of row 2"),
        (4, "product_code", "P404", "unknown product_code"),
        (4, "quantity", "x", "not a number"),
    ]


def test_sales_streamed_in_batches_list_every_problem_too(session, org, monkeypatch):
    """The same file read in batches of about three rows (a big file's path): the same problems."""
    monkeypatch.setattr(service, "STREAM_MIN_BYTES", 0)
    monkeypatch.setattr(batches, "HEAD_BYTES", 128)
    monkeypatch.setattr(batches, "BATCH_BYTES", 150)
    good = "".join(f"G{i},2026-01-05,S1,A1,P1,1,5,\n" for i in range(8))  # rows 2..9 are fine
    body = SALES + "\n" + good + "B1,2026-01-05,NOPE,A1,P1,1,ten,\n" + good.replace("G", "H") + "B2,x,S1,A404,P1,1,5,\n"
    # B1 is row 10; the H rows are 11..18; B2 is row 19.
    assert rejected(session, "sales", body) == [
        (10, "seller_code", "NOPE", "unknown seller_code"),
        (10, "amount", "ten", "not a number"),
        (19, "date", "x", "not a date (YYYY-MM-DD or DD.MM.YYYY)"),
        (19, "account_code", "A404", "unknown account_code"),
    ]


def test_activities_every_problem_of_every_row(session, org):
    body = ACTIVITIES + "\nX1,2026-01-05,NOPE,A1,meeting,-1\nX2,2026-01-05,S1,A404,lunch,\n"
    assert rejected(session, "activities", body) == [
        (2, "seller_code", "NOPE", "unknown seller_code"),
        (2, "value", "-1", "must be 0 or more"),
        (3, "account_code", "A404", "unknown account_code"),
        (3, "type", "lunch", "must be one of: " + ", ".join(DATASETS["activities"].column("type").choices)),
    ]


def test_org_datasets_every_problem_of_every_row(session, org):
    assert rejected(session, "districts", "code,name,basis,region_code\nD9,Nine,geografisk,R404\n") == [
        (2, "basis", "geografisk", "must be one of: geographic, product, customer"),
        (2, "region_code", "R404", "unknown region_code"),
    ]
    assert rejected(session, "accounts", "code,name,district_code,key_account,kam_seller_code\n"
                                         "A9,Nine,D404,maybe,S404\n") == [
        (2, "district_code", "D404", "unknown district_code"),
        (2, "key_account", "maybe", "must be true or false (also yes/no, 1/0, ja/nei)"),
        (2, "kam_seller_code", "S404", "unknown seller code"),
    ]
    assert rejected(session, "sellers", "code,name,email,district_code,valid_from\n"
                                        "S9,Nine,not-an-email,D404,31.02.2026\n") == [
        (2, "email", "not-an-email", "not an e-mail address"),
        (2, "district_code", "D404", "unknown district_code"),
        (2, "valid_from", "31.02.2026", "not a date in the calendar (DD.MM.YYYY)"),
    ]
    assert rejected(session, "leaders", "email,name,district_code,region_code\n"
                                        "no-email,Boss,,R404\nboss@example.com,,D404,\n") == [
        (2, "email", "no-email", "not an e-mail address"),
        (2, "region_code", "R404", "unknown region_code"),
        (3, "name", "", "a value is required"),
        (3, "district_code", "D404", "unknown district_code"),
    ]


def test_targets_every_problem_of_every_row(session, org):
    kpis = sorted(session.scalars(select(KpiDefinition.code)))
    body = ("level,code,kpi,period,value\n"
            "seller,S404,revenue,2026,abc\n"  # an unknown seller and a bad value
            "district,D1,nokpi,2026-01,1\n"  # an unknown KPI
            "district,D1,revenue,2026,1200\n"  # the year ...
            "district,D1,revenue,2026-03,100\n")  # ... and a month of it: March is written twice
    assert rejected(session, "targets", body) == [
        (2, "code", "S404", "unknown seller code"),
        (2, "value", "abc", "not a number"),
        (3, "kpi", "nokpi", f"unknown kpi; the KPIs are: {', '.join(kpis)}"),
        (5, "period", "2026-03", "2026-03 is also covered by row 4 (2026)"),
    ]


def test_budgets_every_problem_of_every_row(session, org):
    body = ("district_code,product_code,period,quantity,amount\n"
            "D404,P1,2026-01,1,ten\n"  # an unknown district and a bad amount
            "D1,P404,2026-01,1,5\n"  # an unknown product
            "D1,P1,2026,12,1200\n"
            "D1,P1,2026-02,1,100\n")  # February of row 4's year again
    assert rejected(session, "budgets", body) == [
        (2, "district_code", "D404", "unknown district_code"),
        (2, "amount", "ten", "not a number"),
        (3, "product_code", "P404", "unknown product_code"),
        (5, "period", "2026-02", "2026-02 is also covered by row 4 (2026)"),
    ]


# --- another dataset's file ----------------------------------------------------------------------


def test_activities_file_loaded_as_sales_says_so_first_and_only_the_header(session, org):
    rows = "".join(f"X{i},2026-01-05,S1,A1,meeting,\n" for i in range(200))
    errors = rejected(session, "sales", ACTIVITIES + "\n" + rows)
    assert errors[0] == (1, None, None, "these are the columns of activities, not of sales; load this file as activities")
    # Then the header's own problems (two unknown, three missing columns), and no problem of the 200 rows.
    assert [(r, c, m.split(";")[0]) for r, c, _, m in errors[1:]] == [
        (1, "type", "unknown column"), (1, "value", "unknown column"),
        (1, "product_code", "missing column"), (1, "quantity", "missing column"), (1, "amount", "missing column"),
    ]


def test_other_datasets_are_named(session, org):
    assert rejected(session, "budgets", "level,code,kpi,period,value\ncompany,,revenue,2026,1\n")[0][3] == (
        "these are the columns of targets or kpi_values, not of budgets; load this file as targets or kpi_values")
    assert rejected(session, "regions", "code,name,product_group\nP9,Nine,Tools\n")[0][3].startswith(
        "these are the columns of products, not of regions")
    # A sales file with a typo is a sales file: its rows are still checked.
    assert rejected(session, "sales", SALES.replace("amount", "amout") + "\nI1,2026-01-05,NOPE,A1,P1,1,5,\n") == [
        (1, "amout", "amout", "unknown column; did you mean 'amount'?"),
        (1, "amount", None, "missing column"),
        (2, "seller_code", "NOPE", "unknown seller_code"),
    ]


def test_a_streamed_file_of_another_dataset_stops_at_its_header(session, org, monkeypatch):
    monkeypatch.setattr(service, "STREAM_MIN_BYTES", 0)
    monkeypatch.setattr(batches, "HEAD_BYTES", 128)
    monkeypatch.setattr(batches, "BATCH_BYTES", 150)
    parsed: list[int] = []
    real_parse = service.parse
    monkeypatch.setattr(service, "parse", lambda spec, raw, **kw: parsed.append(len(raw)) or real_parse(spec, raw, **kw))
    rows = "".join(f"X{i},2026-01-05,S1,A1,meeting,\n" for i in range(100))  # some 30 batches
    errors = rejected(session, "sales", ACTIVITIES + "\n" + rows)
    assert errors[0][3].startswith("these are the columns of activities") and len(errors) == 6
    assert len(parsed) <= 2  # the first batch (read again with the key log, at most), not all of them


def test_another_datasets_file_through_the_api(client, session, org):
    headers = login(client, make_user(session, role="admin"))
    rows = "".join(f"X{i},2026-01-05,S1,A1,meeting,\n" for i in range(50))
    res = client.post("/api/v1/imports/sales", headers=headers,
                      files={"file": ("activities.csv", (ACTIVITIES + "\n" + rows).encode(), "text/csv")})
    assert res.status_code == 422
    body = res.json()
    said = "these are the columns of activities, not of sales; load this file as activities"
    assert body["detail"] == f"the file was not loaded: {said}"
    assert body["errors"][0] == {"row": 1, "column": None, "value": None, "message": said}
    assert body["error_count"] == 6 and {e["row"] for e in body["errors"]} == {1}  # no row of the 50
    assert body["summary"][0] == {"column": None, "message": said, "count": 1, "rows": [1]}


def test_a_streamed_files_header_problem_is_listed_once(session, org, monkeypatch):
    monkeypatch.setattr(service, "STREAM_MIN_BYTES", 0)
    monkeypatch.setattr(batches, "HEAD_BYTES", 128)
    monkeypatch.setattr(batches, "BATCH_BYTES", 150)
    rows = "".join(f"I{i},2026-01-05,S1,A1,P1,1,5,,x\n" for i in range(40))  # some 15 batches
    assert rejected(session, "sales", SALES + ",note\n" + rows) == [
        (1, "note", "note", "unknown column; the columns are " + ", ".join(DATASETS["sales"].column_names))]


# --- the summary ---------------------------------------------------------------------------------


def test_summary_groups_by_column_and_message_most_frequent_first():
    errors = [RowError(r, "amount", "x", "not a number") for r in (9, 2, 4, 7, 3, 8)]
    errors += [RowError(5, "seller_code", "S9", "unknown seller_code")]
    errors += [RowError(r, "id", "I1", f"duplicate of row {r - 4}", group="duplicate of an earlier row")
               for r in (6, 10)]
    assert summarize(errors) == [
        {"column": "amount", "message": "not a number", "count": 6, "rows": [2, 3, 4, 7, 8]},  # the first five
        {"column": "id", "message": "duplicate of an earlier row", "count": 2, "rows": [6, 10]},
        {"column": "seller_code", "message": "unknown seller_code", "count": 1, "rows": [5]},
    ]


def test_the_422_answer_has_a_summary_and_every_problem(client, session, org):
    headers = login(client, make_user(session, role="admin"))
    # 120 rows: every third row has an unknown seller, every row an amount 'ten', row 50 an impossible date.
    lines = [f"I{i},{'30.02.2026' if i == 48 else '2026-01-05'},{'NOPE' if i % 3 == 0 else 'S1'},A1,P1,1,ten,\n"
             for i in range(120)]
    before = session.scalar(select(func.count()).select_from(Sale))
    res = client.post("/api/v1/imports/sales", headers=headers,
                      files={"file": ("sales.csv", (SALES + "\n" + "".join(lines)).encode(), "text/csv")})
    assert res.status_code == 422
    body = res.json()
    assert session.scalar(select(func.count()).select_from(Sale)) == before
    # A plain count of the problems listed, per column and message, against the summary.
    plain: dict[tuple, int] = {}
    for e in body["errors"]:
        plain[(e["column"], e["message"])] = plain.get((e["column"], e["message"]), 0) + 1
    assert {(g["column"], g["message"]): g["count"] for g in body["summary"]} == plain
    # By hand: 120 amounts (rows 2..121), 40 sellers (i = 0, 3, ..., 117: rows 2, 5, 8, ...), 1 date (row 50).
    assert body["error_count"] == len(body["errors"]) == 120 + 40 + 1
    assert body["summary"] == [
        {"column": "amount", "message": "not a number", "count": 120, "rows": [2, 3, 4, 5, 6]},
        {"column": "seller_code", "message": "unknown seller_code", "count": 40, "rows": [2, 5, 8, 11, 14]},
        {"column": "date", "message": "not a date in the calendar (DD.MM.YYYY)", "count": 1, "rows": [50]},
    ]
