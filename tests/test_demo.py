"""The demo company: deterministic, in the import formats, telling its story; `scorecard demo` loads it."""

import io
import re
from collections import Counter
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from app import cli
from app.demo.generate import DATASET_ORDER, generate
from app.imports.parse import parse
from app.imports.reader import read_table
from app.imports.specs import DATASETS
from app.models import Activity, Budget, GoalConversation, Sale, Seller, SellerDistrict, Target, User

# The demo as made on this day (its data ends on 31 October 2026): the story and the figures below.
DAY = date(2026, 11, 27)


@pytest.fixture(scope="module")
def company():
    return generate(today=DAY)


@pytest.fixture(scope="module")
def frames(company) -> dict[str, pd.DataFrame]:
    """Each file read back as plain strings (an independent reading, not the app's parser)."""
    return {name: pd.read_csv(io.StringIO(text_), dtype=str, keep_default_na=False)
            for name, text_ in company.files.items()}


def _num(series: pd.Series) -> pd.Series:
    return series.astype(float)


def _phased_share(frames, months: int) -> float:
    """Share of a year in its first `months` months, by the seasonality file."""
    w = _num(frames["seasonality"].sort_values("month", key=lambda m: m.astype(int))["weight"]).tolist()
    return sum(w[:months]) / sum(w)


def _with_district(frames, facts: pd.DataFrame) -> pd.DataFrame:
    """Each row with the district of its seller on its date (the latest valid_from on or before it)."""
    hist = frames["sellers"][["code", "district_code", "valid_from"]]
    rows = facts.merge(hist, left_on="seller_code", right_on="code")
    rows = rows[rows["valid_from"] <= rows["date"]]
    return rows.sort_values("valid_from").groupby("id", sort=False).tail(1)


def test_generator_is_deterministic(company):
    again = generate(today=date(2026, 11, 1))  # another day of the same month: the same files
    assert again.files == company.files
    assert again.logins == company.logins


def test_another_day_shifts_the_window_and_ends_on_the_last_day_of_the_month_before():
    later = generate(today=date(2027, 3, 10))
    sales = pd.read_csv(io.StringIO(later.files["sales"]), dtype=str, keep_default_na=False)
    acts = pd.read_csv(io.StringIO(later.files["activities"]), dtype=str, keep_default_na=False)
    # 24 months, 2025-03 through 2027-02; sales fall on weekdays: 28 Feb 2027 is a Sunday, the 26th a Friday
    assert (later.facts["first_day"], later.facts["last_day"]) == (date(2025, 3, 1), date(2027, 2, 28))
    assert sorted(set(sales["date"].str[:7])) == [f"{2025 + (2 + m) // 12}-{(2 + m) % 12 + 1:02d}" for m in range(24)]
    assert "2025-03-01" <= sales["date"].min() <= "2025-03-05"
    assert "2027-02-22" <= sales["date"].max() <= "2027-02-26"
    assert acts["date"].max() <= "2027-02-28" and acts["date"].min() >= "2025-03-01"
    # plans for the data's last two calendar years, so they cover the rest of 2027
    targets = pd.read_csv(io.StringIO(later.files["targets"]), dtype=str, keep_default_na=False)
    assert set(targets["period"].str[:4]) == {"2026", "2027"}
    budgets = pd.read_csv(io.StringIO(later.files["budgets"]), dtype=str, keep_default_na=False)
    assert set(budgets["period"]) == {"2026", "2027"}
    # the story's months move with the window: the mover's second row starts 14 months in (2026-05)
    sellers = pd.read_csv(io.StringIO(later.files["sellers"]), dtype=str, keep_default_na=False)
    assert sellers.groupby("code")["valid_from"].max()[later.facts["movers"][2]] == "2026-05-01"
    assert later.facts["story_from"] == date(2026, 5, 1)


def test_every_dataset_in_load_order_with_the_spec_columns(company, frames):
    assert tuple(company.files) == DATASET_ORDER
    for name, frame in frames.items():
        assert set(frame.columns) <= set(DATASETS[name].column_names), name
        required = {c.name for c in DATASETS[name].columns if c.required}
        assert required <= set(frame.columns), name


def test_files_parse_without_errors(company, frames):
    for name, text_ in company.files.items():
        raw = read_table(text_.encode("utf-8"), f"{name}.csv", spec=DATASETS[name])
        typed, errors = parse(DATASETS[name], raw)
        assert errors == [], (name, errors[:5])
        assert len(typed) == len(frames[name]) > 0


def test_formats(frames):
    date_re = re.compile(r"^\d{4}-\d{2}-\d{2}$")
    money_re = re.compile(r"^-?\d+\.\d{2}$")
    for name, cols in (("sales", ["date"]), ("activities", ["date"]), ("sellers", ["valid_from"])):
        for col in cols:
            assert frames[name][col].str.match(date_re).all(), (name, col)
    for col in ("amount", "cost"):
        assert frames["sales"][col].str.match(money_re).all()
        assert frames["budgets"][col].str.match(money_re).all()
    assert frames["targets"]["period"].str.match(r"^\d{4}(-\d{2})?$").all()
    assert set(frames["budgets"]["period"]) == {"2025", "2026"}
    assert not any("," in v for v in frames["sales"]["amount"])  # `.` decimals, no separators


def test_organization_shape(frames):
    assert len(frames["regions"]) == 3
    assert "Øst" in set(frames["regions"]["name"])
    d = frames["districts"]
    assert len(d) == 12 and set(d["basis"]) == {"geographic", "product", "customer"}
    assert set(d["region_code"]) == set(frames["regions"]["code"])
    s = frames["sellers"]
    rows_per_seller = s.groupby("code").size()
    assert 55 <= len(rows_per_seller) <= 65
    movers = rows_per_seller[rows_per_seller == 2].index
    assert 3 <= len(movers) <= 4 and rows_per_seller.max() == 2
    for code in movers:  # a move is to another district
        assert s[s["code"] == code]["district_code"].nunique() == 2
    assert s.groupby("code")["email"].nunique().max() == 1
    assert s.drop_duplicates("code")["email"].is_unique

    lead = frames["leaders"]
    director = lead[(lead["district_code"] == "") & (lead["region_code"] == "")]
    assert len(director) == 1
    assert set(lead["region_code"]) - {""} == set(frames["regions"]["code"])
    per_district = lead[lead["district_code"] != ""].groupby("district_code").size()
    assert set(per_district.index) == set(d["code"]) and per_district.max() == 2
    assert lead.groupby("email").size().max() == 2  # one leader leads two districts
    assert not set(lead["email"]) & set(s["email"])

    a = frames["accounts"]
    assert 550 <= len(a) <= 650 and a["code"].is_unique
    key = a[a["key_account"] == "true"]
    assert 25 <= len(key) <= 35
    assert set(key["kam_seller_code"]) <= set(s["code"]) and (key["kam_seller_code"] != "").all()
    assert (a[a["key_account"] == "false"]["kam_seller_code"] == "").all()
    p = frames["products"]
    assert 35 <= len(p) <= 45 and p["product_group"].nunique() == 6
    assert len(frames["seasonality"]) == 12


def test_sales_and_activities_volume_and_content(frames):
    sales = frames["sales"]
    assert 40_000 <= len(sales) <= 80_000
    assert "2024-11-01" <= sales["date"].min() <= "2024-11-05"
    assert "2026-10-25" <= sales["date"].max() <= "2026-10-31"
    assert (sales["cost"] != "").all()
    credits = sales[_num(sales["amount"]) < 0]
    assert len(credits) > 100
    assert (_num(credits["quantity"]) < 0).all() and (_num(credits["cost"]) < 0).all()
    assert (_num(sales[_num(sales["amount"]) > 0]["quantity"]) > 0).all()
    months = sales.groupby(sales["date"].str[:7]).size()
    assert len(months) == 24
    # Seasonal: July is the quietest month and November/December the busiest, both years.
    rev = _num(sales["amount"]).groupby(sales["date"].str[:7]).sum()
    for y in ("2025",):
        year = rev[rev.index.str.startswith(y)]
        assert year.idxmin() == f"{y}-07"
        assert year.idxmax() in (f"{y}-11", f"{y}-12")

    act = frames["activities"]
    assert set(act["type"]) == {"meeting", "call", "proposal", "won", "lost", "training_hours",
                                "coaching_session", "goal_conversation", "csat"}
    csat = _num(act[act["type"] == "csat"]["value"])
    assert csat.between(1, 5).all() and (csat == csat.round()).all()
    assert (act[act["type"] == "training_hours"]["value"] != "").all()
    assert set(frames["sales"]["account_code"]) <= set(frames["accounts"]["code"])
    assert set(act["account_code"]) - {""} <= set(frames["accounts"]["code"])


def test_nothing_dated_before_the_sellers_first_valid_from(frames):
    first = frames["sellers"].groupby("code")["valid_from"].min()
    for name in ("sales", "activities"):
        rows = frames[name]
        assert (rows["date"] >= rows["seller_code"].map(first)).all(), name
    # The new hires really start late, and the movers sell in both districts.
    assert (first > "2025-01-01").sum() >= 2


def test_sales_go_to_accounts_of_the_sellers_district_on_the_date(frames):
    rows = _with_district(frames, frames["sales"])
    acc_district = frames["accounts"].set_index("code")["district_code"]
    assert (rows["account_code"].map(acc_district) == rows["district_code"]).all()


def test_targets_cover_every_seller_and_kpi(frames):
    t = frames["targets"]
    sellers = set(frames["sellers"]["code"])
    rev26 = t[(t["level"] == "seller") & (t["kpi"] == "revenue") & t["period"].str.startswith("2026")]
    assert set(rev26["code"]) == sellers
    seller_kpis = set(t[t["level"] == "seller"]["kpi"])
    assert seller_kpis == {"revenue", "gross_margin", "meetings", "proposals", "training_hours",
                           "coaching_sessions", "margin_pct", "hit_rate", "csat", "active_customers",
                           "key_account_share"}
    yearly = t[(t["level"] == "seller") & (t["period"].str.len() == 4)]
    assert set(yearly["period"]) == {"2025", "2026"}
    assert (t[t["level"] == "district"]["kpi"] == "revenue").any()
    company_rows = t[t["level"] == "company"]
    assert (company_rows["code"] == "").all() and "revenue" in set(company_rows["kpi"])
    assert (t[t["level"] != "company"]["code"] != "").all()
    assert (t[t["kpi"] == "csat"]["value"].astype(float).between(1, 5)).all()
    assert (t[t["kpi"].isin(["margin_pct", "hit_rate", "key_account_share"])]["value"]
            .astype(float).between(0, 1)).all()


def test_story_sellers_ahead_and_behind_plan(company, frames):
    """2026 through October against the yearly revenue target phased by the seasonality file."""
    sales = frames["sales"]
    s26 = sales[sales["date"] >= "2026-01-01"]
    revenue = _num(s26["amount"]).groupby(s26["seller_code"]).sum()
    t = frames["targets"]
    yearly = t[(t["level"] == "seller") & (t["kpi"] == "revenue") & (t["period"] == "2026")]
    phased = _num(yearly.set_index("code")["value"]) * _phased_share(frames, 10)
    attainment = (revenue / phased).dropna()
    facts = company.facts
    for code in facts["ahead_sellers"]:
        assert attainment[code] > 1.12, code
    for code in facts["behind_sellers"]:
        assert attainment[code] < 0.88, code
    assert (attainment > 1.1).sum() >= 3 and (attainment < 0.9).sum() >= 3
    assert 0.9 < attainment.median() < 1.1  # the rest is roughly on plan


def test_story_margin_given_away_by_discounts(company, frames):
    code = company.facts["discount_seller"]
    sales = frames["sales"]
    mine = sales[sales["seller_code"] == code]

    def margin_pct(rows):
        return 1 - _num(rows["cost"]).sum() / _num(rows["amount"]).sum()

    before = margin_pct(mine[mine["date"] < "2026-01-01"])
    after = margin_pct(mine[mine["date"] >= "2026-01-01"])
    t = frames["targets"]
    target = float(t[(t["code"] == code) & (t["kpi"] == "margin_pct") & (t["period"] == "2026")]["value"].iloc[0])
    assert after < target - 0.08 and after < before - 0.08
    others = sales[(sales["seller_code"] != code) & (sales["date"] >= "2026-01-01")]
    assert margin_pct(others) > after + 0.08
    # ... while revenue is on plan.
    yearly = float(t[(t["code"] == code) & (t["kpi"] == "revenue") & (t["period"] == "2026")]["value"].iloc[0])
    assert _num(mine[mine["date"] >= "2026-01-01"]["amount"]).sum() > 0.95 * yearly * _phased_share(frames, 10)


def test_story_districts_against_budget_and_falling_hit_rate(company, frames):
    weak, strong = company.facts["weak_district"], company.facts["strong_district"]
    sales = _with_district(frames, frames["sales"][frames["sales"]["date"] >= "2026-01-01"])
    actual = _num(sales["amount"]).groupby(sales["district_code"]).sum()
    b = frames["budgets"]
    budget = _num(b[b["period"] == "2026"]["amount"]).groupby(b[b["period"] == "2026"]["district_code"]).sum()
    ratio = actual / (budget * _phased_share(frames, 10))
    assert ratio[strong] > 1.08
    assert ratio[weak] < 0.85
    assert ratio.drop([strong, weak]).between(0.85, 1.15).mean() > 0.7

    act = _with_district(frames, frames["activities"][frames["activities"]["type"].isin(["won", "lost"])])
    act = act.assign(n=_num(act["value"].replace("", "1")))

    def hit_rate(rows):
        won = rows[rows["type"] == "won"]["n"].sum()
        return won / rows["n"].sum()

    mine = act[act["district_code"] == weak]
    early = hit_rate(mine[(mine["date"] >= "2024-11-01") & (mine["date"] < "2025-05-01")])
    late = hit_rate(mine[mine["date"] >= "2026-01-01"])
    rest_late = hit_rate(act[(act["district_code"] != weak) & (act["date"] >= "2026-01-01")])
    assert early > 0.35 and late < 0.25 and rest_late > 0.35


def test_budgets_are_positive_yearly_rows_that_phase_to_the_cent(frames):
    from app.analytics.periods import phase

    b = frames["budgets"]
    assert len(b) >= 12 * 30 * 2
    assert (_num(b["quantity"]) > 0).all() and (_num(b["amount"]) > 0).all()
    assert set(b["district_code"]) == set(frames["districts"]["code"])
    weights = [Decimal(w) for w in frames["seasonality"].sort_values(
        "month", key=lambda m: m.astype(int))["weight"]]
    for amount in b["amount"].head(50):
        minor = int(Decimal(amount) * 100)
        months = phase(minor, weights)
        assert len(months) == 12 and sum(months) == minor
        assert months[6] < months[11]  # July below December, as the profile says


def test_export_writes_the_files(tmp_path, company, capsys):
    assert cli.main(["demo", "--export", str(tmp_path / "files"), "--today", DAY.isoformat()]) == 0
    for name in DATASET_ORDER:
        assert (tmp_path / "files" / f"{name}.csv").read_text(encoding="utf-8") == company.files[name]
    out = capsys.readouterr().out
    assert "scorecard import sales" in out


def test_demo_command_loads_everything(tmp_path, monkeypatch, company, frames, capsys):
    """End to end: a fresh SQLite file, every dataset through the import service, the logins."""
    other = tmp_path / "configured.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{other.as_posix()}")
    path = tmp_path / "demo.db"
    path.write_text("an old file that must be replaced")
    (tmp_path / "demo.db-wal").write_text("stale")
    assert cli.main(["demo", "--no-serve", "--database", str(path), "--today", DAY.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "demo-scorecard" in out and "http://127.0.0.1:8000/" in out
    for login in company.logins:
        assert login.email in out
    assert not other.exists()  # DATABASE_URL's database is never touched

    engine = create_engine(f"sqlite:///{path.as_posix()}")
    try:
        with Session(engine) as session:
            count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
            assert count(Sale) == len(frames["sales"])
            # the imported activities, and the goal conversations the demo records (each is an activity)
            assert count(Activity) == len(frames["activities"]) + count(GoalConversation)
            assert count(Seller) == frames["sellers"]["code"].nunique()
            assert count(SellerDistrict) == len(frames["sellers"])
            for table in ("regions", "districts", "accounts", "products", "seasonality"):
                assert session.scalar(text(f"SELECT count(*) FROM {table}")) == len(frames[table])
            assert session.scalar(text("SELECT count(*) FROM leader_units")) == len(frames["leaders"])
            assert session.scalar(text("SELECT count(*) FROM leaders")) == frames["leaders"]["email"].nunique()
            t = frames["targets"]
            assert count(Target) == 12 * (t["period"].str.len() == 4).sum() + (t["period"].str.len() == 7).sum()
            assert count(Budget) == 12 * len(frames["budgets"])
            # Money arrives to the cent: sales total, and each yearly budget's months add up.
            cent = Decimal("0.01")
            total = sum(Decimal(v) for v in frames["sales"]["amount"])
            assert Decimal(str(session.scalar(select(func.sum(Sale.amount))))).quantize(cent) == total
            stored = session.execute(text(
                "SELECT d.code, p.code, strftime('%Y', b.month), sum(b.amount), sum(b.quantity) "
                "FROM budgets b JOIN districts d ON d.id = b.district_id JOIN products p ON p.id = b.product_id "
                "GROUP BY 1, 2, 3")).all()
            by_key = {(d, p, y): (Decimal(str(a)).quantize(cent), Decimal(str(q)).quantize(cent))
                      for d, p, y, a, q in stored}
            for row in frames["budgets"].itertuples():
                key = (row.district_code, row.product_code, row.period)
                assert by_key[key] == (Decimal(row.amount), Decimal(row.quantity)), key
            roles = Counter(session.scalars(select(User.role)))
            assert roles == {"admin": 1, "finance": 1, "leader": 3, "seller": 2}
    finally:
        engine.dispose()


def test_demo_refuses_the_database_that_database_url_names(tmp_path, monkeypatch, capsys):
    from app.config import get_settings

    real = tmp_path / "real.db"
    real.write_bytes(b"the user's data")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{real.as_posix()}")
    get_settings.cache_clear()
    try:
        assert cli.main(["demo", "--no-serve", "--database", str(real)]) == 2
    finally:
        get_settings.cache_clear()
    assert real.read_bytes() == b"the user's data"
    assert "DATABASE_URL" in capsys.readouterr().err
