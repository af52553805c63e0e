"""The monthly aggregates stay equal to a plain recomputation from the raw rows, whatever imports do.

The expected aggregates are computed here with plain Python over the raw tables (a loop finding each
fact's district on its date, Decimal cents, dict sums), not with the app's SQL. Each step imports real
files through `import_file` (new lines, corrections moving a line to another seller, month or account,
credit notes, lines losing their cost, a seller's history rewritten back in time, activities) and
then compares every aggregate table row for row. The scorecards read only these tables, so this
and tests/test_scorecard_demo.py (demo figures against pandas over the demo's files) together show
that figures equal those computed from the raw rows.
"""

import random
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import text

from app.imports.service import import_file
from app.reporting.aggregates import rebuild
from app.reporting.version import current_version

ORG = {
    "regions": "code,name\nR1,North\nR2,South\n",
    "districts": "code,name,basis,region_code\nD1,One,geographic,R1\nD2,Two,geographic,R1\nD3,Three,geographic,R2\n",
    "sellers": ("code,name,email,district_code,valid_from\n"
                "S1,Ann,s1@x.no,D1,2025-01-01\nS2,Bo,s2@x.no,D2,2025-01-01\nS2,Bo,s2@x.no,D1,2025-06-15\n"
                "S3,Cy,s3@x.no,D3,2025-01-01\n"),
    "accounts": ("code,name,district_code,segment,key_account,kam_seller_code\n"
                 + "".join(f"A{i},Acc {i},D{1 + i % 3},,{'true' if i < 2 else 'false'},\n" for i in range(8))),
    "products": "code,name,product_group\nP1,One,G\nP2,Two,G\nP3,Three,H\n",
}
SELLERS = ["S1", "S2", "S3"]


def load(session, dataset: str, body: str) -> None:
    import_file(session, dataset=dataset, data=body.encode(), filename=f"{dataset}.csv")


def sales_file(rows: list[tuple]) -> str:
    lines = ["id,date,seller_code,account_code,product_code,quantity,amount,cost"]
    lines += [",".join("" if v is None else str(v) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def random_sales(rng: random.Random, n: int, prefix: str) -> list[tuple]:
    rows = []
    for i in range(n):
        day = date(2025, rng.randint(1, 12), rng.randint(1, 28))
        amount = Decimal(rng.randint(-5_000, 90_000)) / 100  # some credit notes
        cost = None if rng.random() < 0.2 else (amount * Decimal("0.6")).quantize(Decimal("0.01"))
        rows.append((f"{prefix}{i}", day.isoformat(), rng.choice(SELLERS), f"A{rng.randint(0, 7)}",
                     f"P{rng.randint(1, 3)}", Decimal(rng.randint(1, 500)) / 100, amount, cost))
    return rows


def cents(value) -> int:  # noqa: ANN001
    return int((Decimal(str(value)) * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def month_of(day) -> str:  # noqa: ANN001
    return str(day)[:7]


def district_on(history: dict[int, list[tuple[str, int]]], seller: int, day: str) -> int:
    """The district of the seller's latest history row on or before `day` (plain scan)."""
    best = None
    for valid_from, district in history[seller]:
        if valid_from <= day and (best is None or valid_from > best[0]):
            best = (valid_from, district)
    return best[1]


def expected(session) -> dict[str, dict]:
    history: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for seller, district, valid_from in session.execute(
            text("SELECT seller_id, district_id, valid_from FROM seller_districts")):
        history[seller].append((str(valid_from), district))
    sales = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    products = defaultdict(lambda: [0, 0, 0, 0, 0])
    first: dict[int, str] = {}
    for _, day, seller, account, product, qty, amount, cost in session.execute(
            text("SELECT id, date, seller_id, account_id, product_id, quantity, amount, cost FROM sales")):
        district = district_on(history, seller, str(day))
        month = month_of(day)
        row = sales[(seller, month, district, account)]
        row[0] += 1
        row[1] += cents(amount) > 0
        row[2] += cost is not None
        row[3] += cents(amount)
        row[4] += cents(amount) - cents(cost) if cost is not None else 0
        row[5] += cents(amount) if cost is not None else 0
        prow = products[(month, district, product)]
        prow[0] += 1
        prow[1] += cost is not None
        prow[2] += cents(qty)
        prow[3] += cents(amount)
        prow[4] += cents(amount) - cents(cost) if cost is not None else 0
        if cents(amount) > 0:
            first[account] = min(first.get(account, month), month)
    acts = defaultdict(lambda: [0, 0])
    for seller, day, kind, value in session.execute(text("SELECT seller_id, date, type, value FROM activities")):
        row = acts[(seller, month_of(day), district_on(history, seller, str(day)), kind)]
        row[0] += 1
        row[1] += cents(value)
    return {
        "sales_monthly": {k: tuple(v) for k, v in sales.items()},
        "sales_product_monthly": {k: tuple(v) for k, v in products.items()},
        "activities_monthly": {k: tuple(v) for k, v in acts.items()},
        "account_first_sales": {(a,): (m,) for a, m in first.items()},
    }


KEYS = {"sales_monthly": 4, "sales_product_monthly": 3, "activities_monthly": 4, "account_first_sales": 1}
COLUMNS = {
    "sales_monthly": "seller_id, month, district_id, account_id, lines, sale_lines, costed_lines, amount, margin, "
                     "costed_amount",
    "sales_product_monthly": "month, district_id, product_id, lines, costed_lines, quantity, amount, margin",
    "activities_monthly": "seller_id, month, district_id, type, n, value",
    "account_first_sales": "account_id, month",
}


def stored(session) -> dict[str, dict]:
    """Each aggregate table as {key: values}, months as 'YYYY-MM' (a date or ISO text, by database)."""
    out = {}
    for table, n in KEYS.items():
        names = [c.strip() for c in COLUMNS[table].split(",")]
        rows = [tuple(month_of(v) if name == "month" else v for name, v in zip(names, r, strict=True))
                for r in session.execute(text(f"SELECT {COLUMNS[table]} FROM {table}"))]
        out[table] = {r[:n]: r[n:] for r in rows}
    return out


def assert_in_step(session) -> None:
    want, got = expected(session), stored(session)
    for table in KEYS:
        assert got[table] == want[table], table


@pytest.fixture
def org(session):
    for dataset, body in ORG.items():
        load(session, dataset, body)
    return session


def test_aggregates_follow_every_kind_of_import(org):
    session = org
    rng = random.Random(7)
    first = random_sales(rng, 300, "x")
    load(session, "sales", sales_file(first))
    assert_in_step(session)

    # Corrections: other seller, other month, other account, a cost removed, a sign flipped; plus new lines.
    changed = []
    for row in first[:40]:
        rid, day, seller, account, product, qty, amount, cost = row
        kind = int(rid[1:]) % 5
        if kind == 0:
            seller = SELLERS[(SELLERS.index(seller) + 1) % 3]
        elif kind == 1:
            day = date(2025, 12, 31).isoformat() if day < "2025-12" else "2025-01-02"
        elif kind == 2:
            account = "A7" if account != "A7" else "A0"
        elif kind == 3:
            cost = None
        else:
            amount = -amount
        changed.append((rid, day, seller, account, product, qty, amount, cost))
    load(session, "sales", sales_file(changed + random_sales(rng, 50, "y")))
    assert_in_step(session)

    # S3 moves to D2 back in time: every S3 line since then changes district.
    load(session, "sellers", "code,name,email,district_code,valid_from\nS3,Cy,s3@x.no,D2,2025-05-10\n")
    assert_in_step(session)

    load(session, "activities", "id,date,seller_code,account_code,type,value\n"
         "c1,2025-03-04,S1,A1,meeting,1\nc2,2025-03-05,S3,,csat,4.5\nc3,2025-07-01,S3,A2,won,1\n"
         "c4,2025-07-02,S2,A2,training_hours,2.25\n")
    assert_in_step(session)
    load(session, "activities", "id,date,seller_code,account_code,type,value\n"
         "c2,2025-08-05,S1,,csat,3\n")  # corrected: another seller and month
    assert_in_step(session)


def test_an_account_whose_only_purchase_is_corrected_away_has_no_first_sale(org):
    session = org
    load(session, "sales", sales_file([("z1", "2025-03-03", "S1", "A5", "P1", "1", "100.00", None),
                                       ("z2", "2025-04-03", "S1", "A6", "P1", "1", "50.00", None)]))
    assert sorted(stored(session)["account_first_sales"].values()) == [("2025-03",), ("2025-04",)]
    load(session, "sales", sales_file([("z1", "2025-03-03", "S1", "A5", "P1", "1", "-100.00", None)]))
    assert_in_step(session)
    assert list(stored(session)["account_first_sales"].values()) == [("2025-04",)]  # only A6 bought


def test_a_reload_of_the_same_file_leaves_the_aggregates_and_a_dry_run_changes_nothing(org):
    session = org
    rows = random_sales(random.Random(3), 60, "r")
    load(session, "sales", sales_file(rows))
    before = stored(session)
    load(session, "sales", sales_file(rows))
    assert stored(session) == before
    version = current_version(session)
    import_file(session, dataset="sales", data=sales_file(random_sales(random.Random(4), 20, "q")).encode(),
                filename="sales.csv", dry_run=True)
    assert stored(session) == before
    assert current_version(session) == version


def test_rebuild_gives_what_the_imports_kept(org):
    session = org
    load(session, "sales", sales_file(random_sales(random.Random(11), 120, "b")))
    kept = stored(session)
    rebuild(session)
    assert stored(session) == kept


def test_the_migration_fills_the_aggregates_of_data_stored_before_it(backend, empty_db_url):
    """Upgrading a database that holds facts to migration 0004 builds the same aggregates the imports keep."""
    from sqlalchemy.orm import Session

    from app import migrate
    from app.db import make_engine

    migrate.upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    try:
        with Session(engine) as session:
            for dataset, body in ORG.items():
                load(session, dataset, body)
            load(session, "sales", sales_file(random_sales(random.Random(5), 200, "m")))
            load(session, "activities", "id,date,seller_code,account_code,type,value\n"
                 "k1,2025-03-04,S1,A1,meeting,1\nk2,2025-07-05,S2,,csat,4.5\n")
            session.commit()
            kept = stored(session)
        assert kept["sales_monthly"]
        migrate.downgrade(empty_db_url, "0003")
        migrate.upgrade(empty_db_url)
        with Session(engine) as session:
            assert stored(session) == kept
            assert_in_step(session)
    finally:
        engine.dispose()
