"""Hostile and broken files: each is rejected with row errors (or one whole-file error) and writes nothing.

The corpus: the small text files in tests/data/hostile/ plus the big and binary ones that
tests/data/make_hostile.py generates. A file is named `<dataset>__<what>.<ext>`. EXPECTED says, per
file, the problems the answer must name: (row, column, words of the message); row None = the whole
file. The rows with errors must be exactly the expected rows, so a file rejected for some other
reason (a reference the fixture forgot, say) fails its test too.
"""

from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, table

from app.imports.errors import ImportRejected
from app.imports.service import import_file
from tests.builders import login, make_account, make_district, make_product, make_region, make_seller, make_user
from tests.data.make_hostile import GENERATED, write_all

HOSTILE = Path(__file__).parent / "data" / "hostile"

NOT_UTF8 = "is not UTF-8"
FORMULA = "runs as a formula"
REQUIRED = "a value is required"

EXPECTED: dict[str, list[tuple[int | None, str | None, str]]] = {
    # encodings
    "accounts__latin1.csv": [(None, None, "not UTF-8: line 3, byte 6 (0xF8)")],
    "products__cp1252_smart_quotes.csv": [(None, None, "not UTF-8: line 2, byte 4 (0x93)")],
    "regions__utf16_bom.csv": [(None, None, "UTF-16")],
    "products__binary_garbage.csv": [(None, None, "not a CSV or XLSX file")],
    "regions__nul_in_header.csv": [(None, None, "not a CSV or XLSX file")],
    "regions__nul_in_cell.csv": [(2, "name", "control character U+0000")],
    "regions__ansi_escape.csv": [(2, "name", "control character U+001B")],
    # delimiters, header and shape
    "sales__tab_header_comma_rows.csv": [(2, c, REQUIRED) for c in
                                         ("date", "seller_code", "account_code", "product_code", "quantity", "amount")],
    "products__pipe_delimited.csv": [(1, "code|name|product_group", "unknown column"), (1, "code", "missing column"),
                                     (1, "name", "missing column"), (1, "product_group", "missing column")],
    "sales__missing_columns.csv": [(1, "quantity", "missing column"), (1, "amount", "missing column")],
    "regions__extra_column.csv": [(1, "manager", "unknown column; the columns are code, name")],
    "regions__extra_cells.csv": [(3, None, "the row has 3 cells but the header has 2")],
    "regions__column_twice.csv": [(1, "name", "more than once")],
    "districts__unnamed_column_with_values.csv": [(1, None, "column 4 has values but no name")],
    "regions__header_repeated.csv": [(3, None, "the header row appears again")],
    "regions__unbalanced_quote.csv": [(2, "name", "line break")],
    "sales__unbalanced_quote_in_number.csv": [(2, "amount", "not a number")],
    "regions__whitespace_only.csv": [(None, None, "the file is empty")],
    "sales__header_only.csv": [(None, None, "header but no data rows")],
    "sellers__cr_only_line_endings.csv": [(3, "email", "not an e-mail address")],
    "regions__one_mb_line.csv": [(2, "name", "longer than 200 characters")],
    "sales__one_mb_no_newline.csv": [(None, None, "header line could not be read")],
    "regions__one_mb_header_cell.csv": [(None, None, "header line could not be read")],
    # formulas (CSV injection) as text
    "accounts__formula_cmd.csv": [(2, "name", "starts with '='")],
    "products__formula_plus_sum.csv": [(3, "name", "starts with '+'")],
    "regions__formula_at.csv": [(2, "name", "starts with '@'")],
    "sales__formula_in_id.csv": [(2, "id", "starts with '='")],
    "sellers__formula_email_and_minus.csv": [(2, "name", "starts with '-'"), (3, "email", "starts with '='")],
    # numbers
    "sales__huge_numbers.csv": [(2, "amount", "not a number"), (3, "quantity", "too large")],
    "targets__huge_and_too_precise.csv": [(2, "value", "too large"), (3, "value", "at most 4 decimals")],
    "sales__nan_inf_hex.csv": [(2, "amount", "not a number"), (3, "amount", "not a number"),
                               (4, "quantity", "not a number"), (5, "quantity", "not a number")],
    "sales__semicolon_thousands.csv": [(2, "amount", "thousands separators"), (3, "amount", "decimal separator")],
    # negative where not allowed
    "budgets__negative.csv": [(2, "amount", "0 or more"), (3, "quantity", "0 or more"), (4, "cost", "0 or more")],
    "activities__negative_csat_and_hours.csv": [(2, "value", "csat must be a score from 1 to 5"),
                                                (3, "value", "0 or more"),
                                                (4, "value", "csat must be a score from 1 to 5"),
                                                (5, "value", "0 or more")],
    "seasonality__negative_weight.csv": [(4, "weight", "0 or more")],
    # dates, periods, enums, months
    "sales__date_feb30.csv": [(2, "date", "not a date in the calendar")],
    "sales__date_two_digit_year.csv": [(2, "date", "not a date (YYYY-MM-DD)")],
    "activities__date_slashes.csv": [(2, "date", "not a date (YYYY-MM-DD)")],
    "sellers__date_other_formats.csv": [(2, "valid_from", "not a date"), (3, "valid_from", "not a date")],
    "targets__bad_level_and_periods.csv": [(2, "level", "must be one of"), (3, "period", "month must be 01 to 12"),
                                           (4, "period", "not a period"),
                                           (5, "code", "must be empty for level company")],
    "kpi_values__yearly_period.csv": [(2, "period", "actual values are monthly")],
    "seasonality__month_out_of_range.csv": [(r, "month", "month number from 1 to 12") for r in (2, 3, 4)],
    "accounts__bad_bool.csv": [(2, "key_account", "must be true or false")],
    "products__code_too_long.csv": [(2, "code", "longer than 64 characters")],
    # keys and references
    "regions__duplicate_keys.csv": [(3, "code", "duplicate of row 2")],
    "sales__duplicate_ids.csv": [(4, "id", "duplicate of row 2")],
    "budgets__duplicate_key.csv": [(3, "district_code, product_code, period", "duplicate of row 2")],
    "leaders__both_units.csv": [(2, "region_code", "not both")],
    "sales__unknown_references.csv": [(2, "seller_code", "unknown seller_code"), (3, "account_code", "unknown"),
                                      (3, "product_code", "unknown")],
    "sales__before_seller_start.csv": [(2, "date", "seller S1 has no district before 2020-01-01")],
    # checked after writing, inside the savepoint
    "seasonality__eleven_months.csv": [(None, "month", "needs all 12 months; missing: 12")],
    # workbooks
    "sales__fake_xlsx.xlsx": [(None, None, "could not be opened")],
    "sales__formulas_without_values.xlsx": [(2, "amount", "formula without a value"),
                                            (3, "quantity", "formula without a value")],
    "sales__formulas_cached_errors.xlsx": [(2, "amount", "not a number"), (3, "amount", "not a number")],
    "accounts__xlsx_formula_text.xlsx": [(2, "name", "starts with '='"), (3, "code", "starts with '@'")],
    "sales__merged_cells.xlsx": [(3, "seller_code", REQUIRED), (4, "seller_code", REQUIRED)],
    "regions__empty_workbook.xlsx": [(None, None, "the file is empty")],
    "sales__several_sheets_none_matching.xlsx": [(None, None, "several sheets ('Ark1', 'Ark2', 'Sheet3')")],
    "sales__xlsx_odd_types.xlsx": [(2, "amount", "too large"), (3, "quantity", "not a number"),
                                   (4, "date", "not a date in the calendar")],
    "regions__xlsx_header_only.xlsx": [(None, None, "header but no data rows")],
}

COMMITTED = sorted(p.name for p in HOSTILE.iterdir() if p.is_file())
ALL_FILES = sorted([*COMMITTED, *GENERATED])


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[str, Path]:
    return write_all(tmp_path_factory.mktemp("hostile"))


def _file(name: str, generated: dict[str, Path]) -> bytes:
    return (generated[name] if name in generated else HOSTILE / name).read_bytes()


@pytest.fixture
def references(session):
    """What the files refer to, so each is wrong only in the way its name says."""
    region = make_region(session, code="R1")
    district = make_district(session, code="D1", region=region)
    make_seller(session, code="S1", district=district)
    make_account(session, code="A1", district=district)
    make_product(session, code="P1")


def _counts(session) -> dict[str, int]:
    """Rows per table (the audit trail may record a rejected import, so it is left out)."""
    names = [n for n in inspect(session.connection()).get_table_names()
             if n != "alembic_version" and not n.startswith("audit")]
    return {n: session.scalar(select(func.count()).select_from(table(n))) for n in names}


def _check_errors(errors: list[dict], expected: list[tuple[int | None, str | None, str]]) -> None:
    for row, column, words in expected:
        assert any(e["row"] == row and e["column"] == column and words in e["message"] for e in errors), (
            f"no error ({row}, {column}, {words!r}) in {errors}")
    assert {e["row"] for e in errors} == {row for row, _, _ in expected}, errors
    for e in errors:  # what goes back to the user stays small, whatever the file held
        assert e["value"] is None or len(e["value"]) <= 100
        assert e["column"] is None or len(e["column"]) <= 100


def test_the_corpus_is_complete():
    assert len(COMMITTED) >= 30
    assert not set(COMMITTED) & set(GENERATED)
    assert sorted(EXPECTED) == ALL_FILES, "every file needs its expected errors, every expectation its file"


def test_the_big_files_are_big(generated):
    assert len(generated["regions__one_mb_line.csv"].read_bytes().split(b"\n")[1]) > 1024 * 1024
    assert b"\n" not in generated["sales__one_mb_no_newline.csv"].read_bytes()
    assert len(generated["sales__one_mb_no_newline.csv"].read_bytes()) > 1024 * 1024


@pytest.mark.parametrize("name", ALL_FILES)
def test_hostile_file_is_rejected_and_writes_nothing(name, session, references, generated):
    dataset = name.split("__")[0]
    before = _counts(session)
    with pytest.raises(ImportRejected) as info:
        import_file(session, dataset=dataset, data=_file(name, generated), filename=name)
    _check_errors([e.as_dict() for e in info.value.errors], EXPECTED[name])
    assert _counts(session) == before


VIA_API = [
    "accounts__formula_cmd.csv",
    "regions__utf16_bom.csv",
    "regions__one_mb_line.csv",
    "regions__one_mb_header_cell.csv",
    "products__binary_garbage.csv",
    "seasonality__eleven_months.csv",
    "sales__merged_cells.xlsx",
    "sales__several_sheets_none_matching.xlsx",
]


@pytest.mark.parametrize("name", VIA_API)
def test_hostile_file_through_the_api(name, client, session, references, generated):
    headers = login(client, make_user(session, role="admin"))
    before = _counts(session)
    res = client.post(f"/api/v1/imports/{name.split('__')[0]}", headers=headers,
                      files={"file": (name, _file(name, generated), "application/octet-stream")})
    assert res.status_code == 422, res.text
    body = res.json()
    _check_errors(body["errors"], EXPECTED[name])
    assert body["error_count"] == len(body["errors"])
    assert len(res.content) < 5000  # a 1 MB cell or header never comes back whole
    assert _counts(session) == before


def test_counting_sees_a_write(session, references):
    """The check above would catch a write: a good file changes the counts."""
    before = _counts(session)
    import_file(session, dataset="regions", data=b"code,name\nR9,West\n", filename="ok.csv")
    after = _counts(session)
    assert after["regions"] == before["regions"] + 1


def test_cr_only_line_endings_are_read(session, references):
    """Old Mac files (CR only) load like any other, with rows numbered as a spreadsheet shows them."""
    data = _file("sellers__cr_only_line_endings.csv", {}).replace(b"not-an-email", b"s9@example.com")
    result = import_file(session, dataset="sellers", data=data, filename="mac.csv")
    assert (result.rows, result.inserted) == (2, 2)


@pytest.mark.parametrize("text", ["-Nord AS", "- discontinued -", "Ola Nordmann", "Kari + Ola", "a=b",
                                  "@Home AS", "+Vest", "-20% kampanje", "-1"])
def test_text_that_is_not_a_formula_is_accepted(session, text):
    """The formula rule rejects only what a spreadsheet would run, not a dash before a word."""
    import_file(session, dataset="regions", data=f"code,name\nR9,{text}\n".encode(), filename="ok.csv")
