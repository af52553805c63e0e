"""Exports read back: CSV (both dialects), XLSX, Parquet; formula neutralization; streaming."""

import csv
import io
import tracemalloc
from decimal import Decimal

import numpy as np
import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from app.analytics.variance import totals, variance
from app.exports import iter_csv, json_records, neutralize_formula, write_csv, write_parquet, write_xlsx

NASTY = ['=HYPERLINK("http://evil.example","click")', "+1", "-x", "@SUM(A1:A2)", "\tTab"]


def _row(product, name, qty, amount, month):
    return dict(district_code="D1", district_name="Øst-Norge", region_code="R1", region_name="Region",
                product_code=product, product_name=name, product_group="G", month=month,
                quantity=qty, amount=amount)


@pytest.fixture
def rows():
    names = ["Plain", *NASTY]
    b = pd.DataFrame([_row(f"P{i}", n, 10000 + i, 100000 + 13 * i, m)
                      for i, n in enumerate(names) for m in ("2026-01", "2026-02")])
    a = pd.DataFrame([_row(f"P{i}", n, 9000 + 7 * i, 95000 + 1333 * i, m)
                      for i, n in enumerate(names) for m in ("2026-01", "2026-02")])
    # one product sold without budget, for an empty variance_pct
    a = pd.concat([a, pd.DataFrame([_row("P9", "Nine", 300, 1000, "2026-01")])], ignore_index=True)
    return variance(b, a, by=["district", "product"], per_month=True)


def _expected_cells(df, decimal="."):
    """The frame as the text a CSV should hold, computed independently of the writer."""
    out = []
    for rec in json_records(df):
        line = []
        for col, v in rec.items():
            if v is None:
                line.append("")
            elif isinstance(v, bool):
                line.append("true" if v else "false")
            elif col.endswith("_pct"):
                line.append(format(Decimal(repr(v)).normalize(), "f").replace(".", decimal))
            elif isinstance(v, float):
                line.append(str(Decimal(repr(v)).quantize(Decimal("0.01"))).replace(".", decimal))
            elif v[:1] in ("=", "+", "-", "@", "\t"):
                line.append("'" + v)
            else:
                line.append(v)
        out.append(line)
    return out


def test_neutralize_formula():
    for text in NASTY + ["\rx"]:
        assert neutralize_formula(text) == "'" + text
    for text in ["Plain", "", "a=b", "100", "'quoted"]:
        assert neutralize_formula(text) == text


def test_csv_reads_back_equal_to_the_frame(rows):
    data = write_csv(rows).decode("utf-8")
    got = list(csv.reader(io.StringIO(data)))
    assert got[0] == list(rows.columns)
    assert got[1:] == _expected_cells(rows)
    # money columns show exactly two decimals
    assert got[1][list(rows.columns).index("budget_amount")] == "1000.00"


def test_norwegian_csv_reads_back(rows):
    data = write_csv(rows, delimiter=";", decimal=",", bom=True)
    assert data.startswith("\ufeff".encode())
    got = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert got[0] == list(rows.columns)
    assert got[1:] == _expected_cells(rows, decimal=",")
    i = list(rows.columns).index("budget_amount")
    assert Decimal(got[1][i].replace(",", ".")) == Decimal(str(rows["budget_amount"].iloc[0]))
    with pytest.raises(ValueError, match="must differ"):
        write_csv(rows, delimiter=",", decimal=",")


def test_formula_names_are_neutralized_in_csv_and_xlsx(rows):
    text = write_csv(rows).decode()
    for name in NASTY:
        cell = next(r for r in csv.reader(io.StringIO(text)) if r[2] != "product_code" and r[3].endswith(name[1:]))
        assert cell[3] == "'" + name
    # a negative number is a number, never prefixed
    assert ",-" in text and ",'-x" in text and ",'-" not in text.replace(",'-x", "")
    wb = openpyxl.load_workbook(io.BytesIO(write_xlsx(rows)))
    ws = wb.active
    names = {ws.cell(r, 4).value for r in range(2, ws.max_row + 1)}
    for name in NASTY:
        assert "'" + name in names and name not in names
    assert all(ws.cell(r, 4).data_type == "s" for r in range(2, ws.max_row + 1))


def test_xlsx_reads_back_equal_to_the_frame(rows):
    t = totals(rows)
    wb = openpyxl.load_workbook(io.BytesIO(write_xlsx(rows, totals=t)))
    assert len(wb.worksheets) == 1
    ws = wb.active
    values = list(ws.iter_rows(values_only=True))
    assert list(values[0]) == list(rows.columns)
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(rows.columns))}{len(rows) + 1}"
    for got, rec in zip(values[1:-1], json_records(rows)):
        exp = [("'" + v if isinstance(v, str) and v[:1] in "=+-@\t" and v else v) for v in rec.values()]
        assert list(got) == exp
    # number formats and the bold totals row
    cols = list(rows.columns)
    assert ws.cell(2, cols.index("budget_amount") + 1).number_format == "#,##0.00"
    assert ws.cell(2, cols.index("variance_pct") + 1).number_format == "0.00%"
    total = values[-1]
    assert total[0] == "Total" and ws.cell(len(rows) + 2, 1).font.b
    assert ws.cell(len(rows) + 2, cols.index("actual_amount") + 1).font.b
    for col in ("budget_amount", "actual_amount", "variance_amount", "price_effect", "volume_effect", "mix_effect"):
        got = Decimal(repr(total[cols.index(col)]))
        assert got == sum(Decimal(repr(v)) for v in rows[col]), col
    assert ws.column_dimensions["D"].width >= len(NASTY[0])


def test_parquet_reads_back(rows):
    table = pq.read_table(io.BytesIO(write_parquet(rows)))
    assert str(table.schema.field("budget_amount").type) == "decimal128(18, 2)"
    assert str(table.schema.field("variance_pct").type) == "double"
    assert str(table.schema.field("favorable").type) == "bool"
    back = table.to_pylist()
    for got, rec in zip(back, json_records(rows), strict=True):
        for col, v in rec.items():
            if isinstance(v, float) and not col.endswith("_pct"):
                assert got[col] == Decimal(repr(v)).quantize(Decimal("0.01")), col
            else:
                assert got[col] == v, col  # text is not neutralized in Parquet
    assert any(r["variance_pct"] is None for r in back)


def test_negative_and_large_money_exact_in_parquet():
    df = pd.DataFrame({"amount": [-0.01, -123456789012.34, 0.0, np.nan, 99999999.99]})
    back = pq.read_table(io.BytesIO(write_parquet(df))).column("amount").to_pylist()
    assert back == [Decimal("-0.01"), Decimal("-123456789012.34"), Decimal("0.00"), None, Decimal("99999999.99")]


def _export_peak(n, chunk_rows):
    """(peak traced bytes while streaming, lines, output bytes) for an n-row frame."""
    df = pd.DataFrame({"district_code": np.repeat(["D1", "D2"], n // 2),
                       "amount": np.arange(n) / 100, "variance_pct": np.linspace(-1, 1, n)})
    chunks = iter_csv(df, chunk_rows=chunk_rows)
    assert next(chunks) == b"district_code,amount,variance_pct\r\n"
    tracemalloc.start()
    total = lines = 0
    for chunk in chunks:
        total += len(chunk)
        lines += chunk.count(b"\n")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, lines, total


def test_csv_streams_in_chunks_without_growing():
    small_peak, small_lines, _ = _export_peak(40_000, 5_000)
    big_peak, big_lines, _ = _export_peak(320_000, 5_000)
    assert (small_lines, big_lines) == (40_000, 320_000)
    # 8x the rows, about the same memory: a chunk at a time, never the whole output
    assert big_peak < 1.5 * small_peak, (small_peak, big_peak)


def _reference_csv(df, delimiter=",", decimal="."):
    """The CSV the `csv` module writes row by row, with the formatting rules spelled out plainly."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter)
    w.writerow(list(df.columns))
    text_cols = {c for c in df.columns if df[c].dtype == object or isinstance(df[c].dtype, pd.StringDtype)}
    for rec in df.astype(object).itertuples(index=False):
        line = []
        for col, v in zip(df.columns, rec):
            if v is None or v is pd.NA or (isinstance(v, float) and v != v):
                line.append("")
            elif col in text_cols:
                line.append(neutralize_formula(str(v)))
            elif isinstance(v, (bool, np.bool_)):
                line.append("true" if v else "false")
            elif isinstance(v, (int, np.integer)):
                line.append(str(v))
            elif isinstance(v, float) and col.endswith("_pct"):
                t = f"{v:.6f}".rstrip("0").rstrip(".")
                line.append(("0" if t in ("-0", "") else t).replace(".", decimal))
            elif isinstance(v, float):
                line.append(f"{round(v * 100) / 100:.2f}".replace(".", decimal))
            else:
                line.append(neutralize_formula(str(v)))
        w.writerow(line)
    return buf.getvalue().encode()


@pytest.mark.parametrize("delimiter,decimal", [(",", "."), (";", ",")])
def test_vectorized_csv_matches_the_csv_module_on_awkward_values(delimiter, decimal):
    df = pd.DataFrame({
        "name": pd.array(['a,b', 'say "hi"', "two\nlines", "cr\rx", "semi;colon", "=1+1", None, "", "ø æ å",
                          "-5", "+x", "@a", "\tt"], dtype="str"),
        "amount": [0.0, -0.01, 0.05, -1234567.89, 99999999999.99, np.nan, 1.1, 2.675, -0.5, 10.0, 0.1, 7.0, 3.0],
        "variance_pct": [0.0, -0.0, 1e-7, -4e-7, 0.123456, -2.5, np.nan, 1.0, 0.1000005, 123456.654321,
                         -0.000001, 5e-7, 3.0],
        "n": pd.array([1, -2, None, 0, 5, 6, 7, 8, 9, 10, 11, 12, 13], dtype="Int64"),
        "flag": pd.array([True, False, None, True, False, True, False, True, False, True, False, True, None],
                         dtype="boolean"),
        "obj": pd.Series([1, "x", None, 2.5, "=y", "a,b", "", "q", "r", "s", "t", "u", "v"], dtype=object),
    })
    for chunk_rows in (1, 4, 1000):
        got = write_csv(df, delimiter=delimiter, decimal=decimal, chunk_rows=chunk_rows)
        assert got == _reference_csv(df, delimiter, decimal), chunk_rows


def test_single_column_csv_keeps_empty_lines_quoted():
    df = pd.DataFrame({"name": pd.array(["a", None, ""], dtype="str")})
    assert write_csv(df) == b'name\r\na\r\n""\r\n""\r\n'
    assert write_csv(df.iloc[:0]) == b"name\r\n"


# --- parts: a report computed and written part by part ----------------------------------------------

def _parts(rows, sizes):
    out, start = [], 0
    for n in sizes:
        out.append(rows.iloc[start:start + n].reset_index(drop=True))
        start += n
    assert start == len(rows)
    return out


def test_csv_of_parts_equals_csv_of_the_whole(rows):
    parts = _parts(rows, [3, 0, 1, len(rows) - 4])
    for options in ({}, {"delimiter": ";", "decimal": ",", "bom": True}):
        assert write_csv(iter(parts), **options) == write_csv(rows, **options)
    # each part is formatted only when the reader gets to it
    produced = []

    def lazily():
        for p in parts:
            produced.append(len(p))
            yield p
    chunks = iter_csv(lazily())
    next(chunks)  # the header needs the first part only
    assert produced == [3]
    assert list(iter_csv(iter([]))) == []


def test_parts_with_other_columns_are_refused(rows):
    with pytest.raises(ValueError, match="columns"):
        write_csv([rows.iloc[:2], rows.iloc[2:].drop(columns=["mix_effect"])])


def test_xlsx_of_parts_takes_totals_once_the_rows_are_written(rows):
    parts = _parts(rows, [2, len(rows) - 2])
    seen = []

    def lazily():
        for p in parts:
            seen.append(len(p))
            yield p

    def late_totals():
        assert seen == [2, len(rows) - 2]  # asked only after every row went out
        return totals(rows)
    whole = openpyxl.load_workbook(io.BytesIO(write_xlsx(rows, totals=totals(rows)))).active
    split = openpyxl.load_workbook(io.BytesIO(write_xlsx(lazily(), totals=late_totals))).active
    assert list(split.iter_rows(values_only=True)) == list(whole.iter_rows(values_only=True))
    assert split.auto_filter.ref == whole.auto_filter.ref


def test_parquet_of_parts_reads_back_as_the_whole(rows):
    parts = _parts(rows, [4, 0, len(rows) - 4])
    split = pq.read_table(io.BytesIO(write_parquet(parts)))
    assert split.equals(pq.read_table(io.BytesIO(write_parquet(rows))))
    assert pq.ParquetFile(io.BytesIO(write_parquet(parts))).metadata.num_row_groups == 3


def test_xlsx_and_parquet_into_a_file_equal_the_bytes(rows, tmp_path):
    for name, write, kwargs in (("x.xlsx", write_xlsx, {"totals": totals(rows)}), ("x.parquet", write_parquet, {})):
        with open(tmp_path / name, "w+b") as out:
            assert write(iter([rows.iloc[:3], rows.iloc[3:]]), out=out, **kwargs) is None
            out.seek(0)
            on_disk = out.read()
        if name.endswith(".parquet"):
            assert pq.read_table(io.BytesIO(on_disk)).equals(pq.read_table(io.BytesIO(write(rows))))
        else:
            read = openpyxl.load_workbook(io.BytesIO(on_disk)).active
            assert list(read.iter_rows(values_only=True)) == list(
                openpyxl.load_workbook(io.BytesIO(write(rows, **kwargs))).active.iter_rows(values_only=True))
