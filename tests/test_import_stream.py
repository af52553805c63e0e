"""Big CSV files are read, checked and written in batches: the same answer as reading them whole.

The fixture `small_batches` makes every sales or activities CSV file stream, in batches of a few
rows, so small files written out here cross many batch boundaries. Each test states the answer
worked out by hand, and where it matters compares it with the whole-file path's answer for the
same file (the behaviour the other import tests pin down).
"""

import hashlib
import io
import itertools
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import func, inspect, select, text

from app.imports import batches as batch_reader
from app.imports import driver, service, upsert
from app.imports.batches import CsvBatches, NotStreamable
from app.imports.errors import FileProblem, ImportRejected
from app.imports.reader import read_table
from app.imports.service import import_file
from app.imports.specs import DATASETS
from app.models import AuditEvent, Sale
from tests.builders import (
    login,
    make_account,
    make_district,
    make_product,
    make_seller,
    make_user,
)
from tests.test_aggregates import assert_in_step

HEADER = "id,date,seller_code,account_code,product_code,quantity,amount,cost\n"


@pytest.fixture
def small_batches(monkeypatch):
    """Every sales/activities CSV file streams, about three rows a batch; `batches` counts them per import."""
    monkeypatch.setattr(service, "STREAM_MIN_BYTES", 0)
    monkeypatch.setattr(batch_reader, "HEAD_BYTES", 128)
    monkeypatch.setattr(batch_reader, "BATCH_BYTES", 150)
    monkeypatch.setattr(driver, "WRITE_CHUNK", 2)
    seen: list[int] = []
    real_parse = service.parse

    def parse(spec, raw, **kw):
        seen.append(len(raw))
        return real_parse(spec, raw, **kw)

    monkeypatch.setattr(service, "parse", parse)
    return seen


@pytest.fixture
def org(session):
    d1, d2 = make_district(session, code="D1"), make_district(session, code="D2")
    s1 = make_seller(session, code="S1", district=d1, valid_from=date(2025, 1, 1))
    s2 = make_seller(session, code="S2", district=d2, valid_from=date(2025, 1, 1))
    accounts = [make_account(session, code=f"A{i}", district=d1) for i in range(3)]
    make_product(session, code="P1")
    return {"S1": s1, "S2": s2, "A": accounts}


def line(i: int, *, seller: str | None = None, amount: str | None = None, day: date | None = None) -> str:
    """Sale I{i}: 2025-01-01 + i days, seller S1/S2 alternating, account A{i % 3}, quantity i, amount i.25, cost i."""
    day = day or date(2025, 1, 1) + timedelta(days=i)
    return (f"I{i},{day.isoformat()},{seller or ('S1' if i % 2 else 'S2')},A{i % 3},P1,{i},"
            f"{amount or f'{i}.25'},{i}\n")


def load(session, body: str, **kw):
    return import_file(session, dataset="sales", data=body.encode(), filename="sales.csv", **kw)


def errors_of(session, body: str) -> list[tuple]:
    with pytest.raises(ImportRejected) as info:
        load(session, body)
    return [(e.row, e.column, e.value, e.message) for e in info.value.errors]


def counts(result) -> tuple[int, int, int, int]:
    return result.rows, result.inserted, result.updated, result.unchanged


# ------------------------------------------------------------------------------------------- loading


def test_a_streamed_file_lands_row_for_row_with_exact_counts(session, org, small_batches):
    body = HEADER + "".join(line(i) for i in range(1, 61))
    assert counts(load(session, body)) == (60, 60, 0, 0)
    assert len(small_batches) >= 10  # really in batches
    stored = {s.id: s for s in session.scalars(select(Sale))}
    assert len(stored) == 60
    for i in (1, 30, 60):
        s = stored[f"I{i}"]
        assert (s.date, s.seller_id, s.quantity, s.amount, s.cost) == (
            date(2025, 1, 1) + timedelta(days=i), org["S1" if i % 2 else "S2"].id, Decimal(i),
            Decimal(f"{i}.25"), Decimal(i))
    # Rows 1-10 changed, 61-65 new, 11-60 as before: 10 updated, 5 inserted, 50 unchanged.
    again = HEADER + "".join(line(i, amount=f"{i}.50" if i <= 10 else None) for i in range(1, 66))
    assert counts(load(session, again)) == (65, 5, 10, 50)
    assert session.get(Sale, "I7").amount == Decimal("7.50")
    assert session.scalar(select(func.count()).select_from(Sale)) == 65
    assert_in_step(session)  # the aggregates equal a recomputation from the raw rows


def test_bulk_mode_in_batches_rebuilds_the_indexes(session, org, small_batches, monkeypatch):
    monkeypatch.setattr(upsert, "BULK_MIN_ROWS", 1)
    before = sorted(ix["name"] for ix in inspect(session.connection()).get_indexes("sales"))
    assert counts(load(session, HEADER + "".join(line(i) for i in range(1, 31)))) == (30, 30, 0, 0)
    assert sorted(ix["name"] for ix in inspect(session.connection()).get_indexes("sales")) == before
    assert_in_step(session)


def test_a_dry_run_in_batches_counts_and_writes_nothing(session, org, small_batches):
    load(session, HEADER + "".join(line(i) for i in range(1, 21)))
    versions = session.execute(text("SELECT version FROM data_version")).scalar_one()
    result = load(session, HEADER + "".join(line(i, amount="1.00" if i == 3 else None) for i in range(1, 26)),
                  dry_run=True)
    assert counts(result) == (25, 5, 1, 19)
    assert session.scalar(select(func.count()).select_from(Sale)) == 20
    assert session.get(Sale, "I3").amount == Decimal("3.25")
    assert session.execute(text("SELECT version FROM data_version")).scalar_one() == versions
    assert_in_step(session)


# -------------------------------------------------------------------------------------------- errors


def test_bad_rows_in_every_batch_are_all_listed_as_in_a_whole_file(session, org, monkeypatch):
    rows = [line(i) for i in range(1, 41)]
    rows[1] = line(2, seller="S404")  # row 3
    rows[19] = line(20, amount="ten")  # row 21
    rows[33] = line(34, day=date(2024, 12, 31))  # row 35: before S2's first district
    rows[38] = line(39, seller="S9")  # row 40
    body = HEADER + "".join(rows)
    expected = [
        (3, "seller_code", "S404", "unknown seller_code"),
        (21, "amount", "ten", "not a number"),
        (35, "date", "2024-12-31", "seller S2 has no district before 2025-01-01"),
        (40, "seller_code", "S9", "unknown seller_code"),
    ]
    assert errors_of(session, body) == expected  # read whole (a small file)
    monkeypatch.setattr(service, "STREAM_MIN_BYTES", 0)
    monkeypatch.setattr(batch_reader, "HEAD_BYTES", 128)
    monkeypatch.setattr(batch_reader, "BATCH_BYTES", 150)
    assert errors_of(session, body) == expected  # the same, read in batches
    assert session.scalar(select(func.count()).select_from(Sale)) == 0


@pytest.mark.parametrize("stored_before", [False, True], ids=["empty table", "stored rows"])
def test_a_key_repeated_in_a_later_batch_is_a_duplicate(session, org, small_batches, stored_before):
    if stored_before:
        load(session, HEADER + line(100))
    # I5 on rows 6, 31 and 52; I7 on rows 8 and 9 (the same batch).
    rows = [line(i) for i in range(1, 56)]
    rows[29], rows[50], rows[7] = line(5), line(5, amount="9.99"), line(7)
    before = session.scalar(select(func.count()).select_from(Sale))
    assert errors_of(session, HEADER + "".join(rows)) == [
        (9, "id", "I7", "duplicate of row 8"),
        (31, "id", "I5", "duplicate of row 6"),
        (52, "id", "I5", "duplicate of row 6"),
    ]
    assert session.scalar(select(func.count()).select_from(Sale)) == before
    assert counts(load(session, HEADER + line(1))) == (1, 1, 0, 0)  # the session is usable after it


def test_into_an_empty_table_a_repeated_key_and_a_bad_cell_are_both_listed(session, org, small_batches):
    """Into an empty table the file is first read without the key log (the primary key would refuse a
    repeated key); on any problem it is read again with it, so the answer still lists everything."""
    rows = [line(i) for i in range(1, 50)]
    rows[39] = line(3)  # row 41 repeats row 4's key
    rows[44] = line(45, amount="ten")  # row 46
    assert errors_of(session, HEADER + "".join(rows)) == [
        (41, "id", "I3", "duplicate of row 4"), (46, "amount", "ten", "not a number")]
    assert session.scalar(select(func.count()).select_from(Sale)) == 0


def test_not_utf8_late_in_the_file_is_one_whole_file_error(session, org, small_batches):
    body = (HEADER + "".join(line(i) for i in range(1, 40))).encode()
    at = body.index(b"I33,")
    data = body[:at] + b"I33,2025-02-03,S1,A0,P1,1,1,1\nI9\xf8," + body[at + 30:]
    with pytest.raises(FileProblem) as streamed:
        import_file(session, dataset="sales", data=data, filename="sales.csv")
    # Line 35 (header = 1, I33 on line 34), byte 3 of it: the whole-file reader says the same.
    assert streamed.value.message.startswith("the file is not UTF-8: line 35, byte 3 (0xF8)")
    with pytest.raises(FileProblem) as whole:
        read_table(data, "sales.csv", spec=DATASETS["sales"])
    assert whole.value.message == streamed.value.message
    assert session.scalar(select(func.count()).select_from(Sale)) == 0


def test_a_row_with_extra_cells_falls_back_to_the_whole_file_reader(session, org, small_batches):
    rows = [line(i) for i in range(1, 30)]
    rows[24] = rows[24].rstrip("\n") + ",oops\n"  # row 26
    assert errors_of(session, HEADER + "".join(rows)) == [
        (26, None, rows[24].rstrip("\n"), "the row has 9 cells but the header has 8")]
    assert len(small_batches) > 1 and small_batches[-1] == 29  # batches first, then the whole file
    assert session.scalar(select(func.count()).select_from(Sale)) == 0


# ------------------------------------------------------------------------------------------ the reader


def test_batches_equal_the_whole_file_with_quoted_line_breaks_at_the_cuts(monkeypatch):
    monkeypatch.setattr(batch_reader, "HEAD_BYTES", 40)
    monkeypatch.setattr(batch_reader, "BATCH_BYTES", 16)
    body = "code,name\n" + "".join(f'R{i},"line one\nline ""two"", {i}"\n' if i % 3 == 0 else f"R{i},Plain {i}\n"
                                   for i in range(40)) + "\n\nR99,Last\n"
    data = body.encode()
    whole = read_table(data, "r.csv", spec=DATASETS["regions"])
    batches = list(CsvBatches(io.BytesIO(data), total_bytes=len(data)))
    assert len(batches) > 5
    joined = pd.concat(batches)
    assert list(joined.index) == list(whole.index)  # the same row numbers, blank lines skipped
    assert joined.values.tolist() == whole.values.tolist()
    assert joined.loc[5, "name"] == 'line one\nline "two", 3'
    assert joined.index[-1] == 2 + 40 + 2  # R99: after 40 rows and two blank lines


def test_the_reader_holds_about_one_batch(monkeypatch):
    monkeypatch.setattr(batch_reader, "HEAD_BYTES", 1024)
    monkeypatch.setattr(batch_reader, "BATCH_BYTES", 1024)
    data = (HEADER + "".join(line(i) for i in range(5000))).encode()  # about 230 KB
    source = io.BytesIO(data)
    batches = CsvBatches(source, total_bytes=len(data))
    read_at_batch = [source.tell() for _ in batches]
    assert len(read_at_batch) > 100
    assert read_at_batch[0] <= 3 * 1024  # not the whole file for the first batch
    assert all(b - a <= 2 * 1024 for a, b in itertools.pairwise(read_at_batch))
    assert batches.size == len(data) and batches.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("data", [b"\xff\xfecode,name\n", b"code,name\rR1,N\r", b'"co\nde",name\nR1,N\n'])
def test_odd_files_are_left_to_the_whole_file_reader(data):
    with pytest.raises(NotStreamable):
        CsvBatches(io.BytesIO(data), total_bytes=len(data))


# --------------------------------------------------------------------------------------- entry points


def test_an_upload_streams_from_its_spooled_file_and_is_audited_whole(client, session, org, small_batches):
    headers = login(client, make_user(session, role="admin"))
    body = (HEADER + "".join(line(i) for i in range(1, 41))).encode()
    res = client.post("/api/v1/imports/sales", headers=headers, files={"file": ("sales.csv", body, "text/csv")})
    assert res.status_code == 200, res.text
    assert res.json()["inserted"] == 40
    assert len(small_batches) >= 10
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "import")
                            .order_by(AuditEvent.id.desc())).first()
    assert (event.file_size, event.file_sha256, event.rows) == (len(body), hashlib.sha256(body).hexdigest(), 40)


def test_a_path_is_read_from_disk(session, org, small_batches, tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text(HEADER + "".join(line(i) for i in range(1, 21)))
    result = import_file(session, dataset="sales", data=path, filename="sales.csv")
    assert counts(result) == (20, 20, 0, 0)


def test_progress_in_batches_shows_every_tenth_as_the_command_line_prints_it(session, org, small_batches):
    calls = []
    load(session, HEADER + "".join(line(i) for i in range(1, 301)), progress=lambda s, d, t: calls.append((s, d, t)))
    writing = [(d, t) for s, d, t in calls if s == "writing sales"]
    assert writing[-1][0] == writing[-1][1]  # ends at 100 %
    done = [d for d, _ in writing]
    assert done == sorted(done)
    shown = []  # the rule of `scorecard import`: a line when the percent has grown by 10
    for d, t in writing:
        percent = 100 * d // t
        if not shown or shown[-1] + 10 <= percent:
            shown.append(percent)
    assert shown == list(range(0, 101, 10))
