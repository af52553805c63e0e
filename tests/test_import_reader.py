"""Reading CSV and XLSX uploads into frames of strings (no database)."""

import datetime as dt

import openpyxl
import pytest

from app.imports.errors import FileProblem, ImportRejected
from app.imports.parse import parse
from app.imports.reader import read_table
from app.imports.specs import DATASETS

SALES = DATASETS["sales"]
REGIONS = DATASETS["regions"]


def _rows(frame):
    return [list(r) for r in frame.itertuples(index=False)]


def test_comma_csv():
    data = b"code,name\nR1,North\nR2,\"South, East\"\n"
    raw = read_table(data, "regions.csv", spec=REGIONS)
    assert list(raw.columns) == ["code", "name"]
    assert _rows(raw) == [["R1", "North"], ["R2", "South, East"]]
    assert list(raw.index) == [2, 3]
    assert raw.attrs["decimal"] == "."


def test_norwegian_semicolon_csv_with_decimal_commas():
    data = (
        "id;date;seller_code;account_code;product_code;quantity;amount;cost\n"
        "S1;2026-01-05;SEL1;A1;P1;2;1234,50;1000,25\n"
        "S2;2026-01-06;SEL1;A1;P1;-1;-99,9;\n"
    ).encode()
    raw = read_table(data, "sales.csv", spec=SALES)
    assert raw.attrs["decimal"] == ","
    assert raw.loc[2, "amount"] == "1234,50"
    typed, errors = parse(SALES, raw)
    assert errors == []
    assert typed["amount"].tolist() == [123450, -9990]
    assert typed["quantity"].tolist() == [200, -100]
    assert typed["cost"].iloc[0] == 100025 and typed["cost"].isna().iloc[1]


def test_tab_delimited_csv():
    raw = read_table(b"code\tname\nR1\tNorth\n", "r.txt", spec=REGIONS)
    assert _rows(raw) == [["R1", "North"]]
    assert raw.attrs["decimal"] == "."


def test_bom_is_removed_from_the_first_header():
    raw = read_table("\ufeffcode;name\nR1;Nord\n".encode(), "r.csv", spec=REGIONS)
    assert list(raw.columns) == ["code", "name"]


def test_utf8_text_kept():
    raw = read_table("code,name\nR1,Bodø og Tromsø\n".encode(), "r.csv", spec=REGIONS)
    assert raw.loc[2, "name"] == "Bodø og Tromsø"


def test_latin1_file_is_rejected_with_line_and_byte():
    data = "code,name\nR1,North\nR2,Bodø\n".encode("latin-1")
    with pytest.raises(FileProblem) as info:
        read_table(data, "r.csv", spec=REGIONS)
    message = info.value.message
    # "R2,Bod" is 6 bytes, so the ø (0xF8) is byte 7 of line 3.
    assert "line 3" in message and "byte 7" in message and "0xF8" in message
    assert "CSV UTF-8" in message
    [error] = info.value.errors
    assert error.row is None


@pytest.mark.parametrize("data", [b"", b"   \n\r\n", b"\xef\xbb\xbf"])
def test_empty_file(data):
    with pytest.raises(FileProblem, match="the file is empty"):
        read_table(data, "r.csv", spec=REGIONS)


@pytest.mark.parametrize("data", [b"code,name", b"code,name\n", b"code,name\r\n\r\n", b"code;name\n;\n"])
def test_header_only(data):
    with pytest.raises(FileProblem, match="header but no data rows"):
        read_table(data, "r.csv", spec=REGIONS)


def test_blank_lines_are_dropped_but_row_numbers_stay_as_in_the_file():
    data = b"code,name\nR1,North\n\nR2,South\n,\n"
    raw = read_table(data, "r.csv", spec=REGIONS)
    assert list(raw.index) == [2, 4]
    typed, errors = parse(REGIONS, raw)
    assert errors == []
    assert typed["row"].tolist() == [2, 4]


def test_quoted_newline_and_quotes():
    data = b'code,name\nR1,"two\nlines"\nR2,"say ""hi"""\n'
    raw = read_table(data, "r.csv", spec=REGIONS)
    assert _rows(raw) == [["R1", "two\nlines"], ["R2", 'say "hi"']]


def test_row_with_more_cells_than_the_header_is_a_row_error():
    data = b"code,name\nR1,North\nR2,South,extra\nR3,West\nR4,East,x,y\n"
    raw = read_table(data, "r.csv", spec=REGIONS)
    assert _rows(raw) == [["R1", "North"], ["R2", "South"], ["R3", "West"], ["R4", "East"]]
    typed, errors = parse(REGIONS, raw)
    assert [(e.row, e.column) for e in errors] == [(3, None), (5, None)]
    assert "3 cells but the header has 2" in errors[0].message


def test_short_rows_are_filled_with_empty_cells():
    raw = read_table(b"code,name\nR1\nR2,South\n", "r.csv", spec=REGIONS)
    assert _rows(raw) == [["R1", ""], ["R2", "South"]]
    _, errors = parse(REGIONS, raw)
    assert [(e.row, e.column, e.message) for e in errors] == [(2, "name", "a value is required")]


@pytest.mark.parametrize("data", [b"\x00\x01\x02\xff\xfe garbage \x00", b"PK\x03\x04 not really a zip"])
def test_garbage_bytes(data):
    with pytest.raises(FileProblem, match="not a CSV or XLSX file"):
        read_table(data, "upload.bin", spec=REGIONS)


def test_garbage_named_xlsx():
    with pytest.raises(FileProblem, match="not a CSV or XLSX file"):
        read_table(b"code,name\nR1,North\n", "regions.xlsx", spec=REGIONS)


# --- XLSX (built with openpyxl into tmp_path) ---------------------------------------------------


def _xlsx(tmp_path, sheets: dict[str, list[list]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    path = tmp_path / "upload.xlsx"
    book.save(path)
    return path.read_bytes()


def test_xlsx_single_sheet(tmp_path):
    data = _xlsx(tmp_path, {"Ark1": [["code", "name"], ["R1", "North"], [None, None], [1001, "Numbered"]]})
    raw = read_table(data, "regions.xlsx", spec=REGIONS)
    assert list(raw.columns) == ["code", "name"]
    assert _rows(raw) == [["R1", "North"], ["1001", "Numbered"]]
    assert list(raw.index) == [2, 4]
    assert raw.attrs["decimal"] == "."


def test_xlsx_detected_by_content_whatever_the_name(tmp_path):
    data = _xlsx(tmp_path, {"Ark1": [["code", "name"], ["R1", "North"]]})
    raw = read_table(data, "upload", spec=REGIONS)
    assert _rows(raw) == [["R1", "North"]]


def test_xlsx_numbers_and_dates(tmp_path):
    header = ["id", "date", "seller_code", "account_code", "product_code", "quantity", "amount", "cost"]
    rows = [
        header,
        ["S1", dt.datetime(2026, 3, 1), "SEL1", "A1", "P1", 3.0, 1234.5, 0.1],
        ["S2", dt.date(2026, 3, 2), "SEL1", "A1", "P1", 2, -10, 1e-2],
        ["S3", "2026-03-03", "SEL1", "A1", "P1", 1, 0.29, None],
    ]
    raw = read_table(_xlsx(tmp_path, {"sales": rows}), "sales.xlsx", spec=SALES)
    assert raw["date"].tolist() == ["2026-03-01", "2026-03-02", "2026-03-03"]
    assert raw["quantity"].tolist() == ["3", "2", "1"]
    assert raw["amount"].tolist() == ["1234.5", "-10", "0.29"]
    assert raw["cost"].tolist() == ["0.1", "0.01", ""]
    typed, errors = parse(SALES, raw)
    assert errors == []
    assert typed["amount"].tolist() == [123450, -1000, 29]
    assert typed["date"].dt.day.tolist() == [1, 2, 3]


def test_xlsx_float_with_too_many_decimals_is_reported(tmp_path):
    header = ["id", "date", "seller_code", "account_code", "product_code", "quantity", "amount"]
    rows = [header, ["S1", dt.date(2026, 3, 1), "SEL1", "A1", "P1", 1, 12.345]]
    raw = read_table(_xlsx(tmp_path, {"Sheet": rows}), "s.xlsx", spec=SALES)
    assert raw.loc[2, "amount"] == "12.345"
    _, errors = parse(SALES, raw)
    assert [(e.row, e.column, e.message) for e in errors] == [(2, "amount", "at most 2 decimals")]


def test_xlsx_several_sheets_picked_by_name(tmp_path):
    data = _xlsx(tmp_path, {"Notes": [["read me"]], "Regions": [["code", "name"], ["R1", "North"]]})
    raw = read_table(data, "book.xlsx", spec=REGIONS)
    assert _rows(raw) == [["R1", "North"]]


def test_xlsx_several_sheets_rejected_listing_them(tmp_path):
    data = _xlsx(tmp_path, {"Ark1": [["code", "name"]], "Ark2": [["x"]]})
    with pytest.raises(FileProblem) as info:
        read_table(data, "book.xlsx", spec=REGIONS)
    assert "'Ark1'" in info.value.message and "'Ark2'" in info.value.message
    assert "'regions'" in info.value.message


def test_xlsx_header_only_and_empty(tmp_path):
    with pytest.raises(FileProblem, match="header but no data rows"):
        read_table(_xlsx(tmp_path, {"Ark1": [["code", "name"]]}), "r.xlsx", spec=REGIONS)
    with pytest.raises(FileProblem, match="the file is empty"):
        read_table(_xlsx(tmp_path, {"Ark1": []}), "r.xlsx", spec=REGIONS)


def test_xlsx_formula_without_cached_value(tmp_path):
    # openpyxl writes formulas without computing them, as a file never opened in Excel would be.
    data = _xlsx(tmp_path, {"Ark1": [["code", "name"], ["R1", "North"], ["R2", '=CONCAT("So","uth")']]})
    raw = read_table(data, "r.xlsx", spec=REGIONS)
    typed, errors = parse(REGIONS, raw)
    assert (3, "name", "formula without a value") in [(e.row, e.column, e.message) for e in errors]


def test_xlsx_cells_beyond_the_header(tmp_path):
    data = _xlsx(tmp_path, {"Ark1": [["code", "name"], ["R1", "North", "stray"]]})
    raw = read_table(data, "r.xlsx", spec=REGIONS)
    _, errors = parse(REGIONS, raw)
    assert [(e.row, e.value) for e in errors] == [(2, "stray")]


def test_file_problem_is_an_import_rejection():
    with pytest.raises(ImportRejected) as info:
        read_table(b"", "r.csv", spec=REGIONS)
    assert info.value.errors[0].as_dict() == {"row": None, "column": None, "value": None, "message": "the file is empty"}


def test_large_csv_roundtrip_keeps_row_numbers():
    lines = ["code,name"] + [f"R{i},Name {i}" for i in range(5000)]
    raw = read_table(("\n".join(lines) + "\n").encode(), "r.csv", spec=REGIONS)
    assert len(raw) == 5000
    assert raw.index[-1] == 5001 and raw.iloc[-1]["code"] == "R4999"
