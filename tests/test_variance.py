"""Budget variance, price/volume/mix and forecasts (pure; no database).

Units in the input frames: quantity in hundredths, amount/cost in cents (int64).
Expected numbers are worked out by hand in the comments, or by a plain Fraction computation.
"""

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.analytics.variance import forecast, totals, variance

GROUPS = {"A": "G1", "B": "G1", "C": "G2"}


def row(district, product, qty, amount, month="2026-01", cost=None, seller=None, region="R1"):
    """One input row; qty and amount in currency units (converted to hundredths and cents)."""
    r = dict(district_code=district, district_name=f"District {district}",
             region_code=region, region_name=None if region is None else f"Region {region}",
             product_code=product, product_name=f"Product {product}", product_group=GROUPS[product],
             month=month, quantity=round(qty * 100), amount=round(amount * 100))
    if cost is not None:
        r["cost"] = round(cost * 100)
    if seller is not None:
        r.update(seller_code=seller, seller_name=f"Seller {seller}")
    return r


def frame(*rows):
    f = pd.DataFrame(list(rows))
    if "cost" in f:
        f["cost"] = f["cost"].astype("Int64")
    return f


def one(df, **keys):
    sel = df
    for k, v in keys.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, sel
    return sel.iloc[0]


def effects(r):
    return (r["price_effect"], r["volume_effect"], r["mix_effect"])


def cents(x):
    return int(round(x * 100))


# --- the worked example of PRODUCT.md §2 ---------------------------------------------------------
# Budget A 100 × 10.00 = 1000, B 50 × 20.00 = 1000; ΣBQ = 150, ΣBA = 2000; m_A = 2/3, m_B = 1/3.
# Actual A 120 × 9.50 = 1140, B 40 × 21.00 = 840; ΣAQ = 160, ΣAA = 1980. Variance = −20.00.
# price  = (9.50 − 10.00)·120 + (21.00 − 20.00)·40 = −60 + 40 = −20.00
# Σ m·BP = 2/3·10 + 1/3·20 = 40/3 = 13.3333
# volume = (160 − 150)·40/3 = 400/3 = 133.333… → 133.33
# mix    = (120 − 160·2/3)·10 + (40 − 160·1/3)·20 = 133.333 − 266.667 = −133.333… → −133.33
# −20.00 + 133.33 − 133.33 = −20.00: no cent to adjust.
BUDGET = frame(row("D1", "A", 100, 1000), row("D1", "B", 50, 1000))
ACTUAL = frame(row("D1", "A", 120, 1140, seller="S1"), row("D1", "B", 40, 840, seller="S2"))


def test_worked_example_to_the_cent():
    r = one(variance(BUDGET, ACTUAL, by=["district"]), district_code="D1")
    assert r["district_name"] == "District D1"
    assert (r["budget_amount"], r["actual_amount"], r["variance_amount"]) == (2000.00, 1980.00, -20.00)
    assert r["variance_pct"] == -0.01
    assert not r["favorable"]
    assert (r["budget_quantity"], r["actual_quantity"]) == (150.00, 160.00)
    assert effects(r) == (-20.00, 133.33, -133.33)
    assert repr(float(r["volume_effect"])) == "133.33"  # exact cents, not 133.33000000001


def test_by_district_and_product_has_no_mix():
    # A alone: price (9.50 − 10)·120 = −60, volume (120 − 100)·10 = 200, total 140
    # B alone: price (21 − 20)·40 = 40, volume (40 − 50)·20 = −200, total −160
    df = variance(BUDGET, ACTUAL, by=["district", "product"])
    assert list(df["product_code"]) == ["A", "B"]
    assert effects(one(df, product_code="A")) == (-60.00, 200.00, 0.00)
    assert effects(one(df, product_code="B")) == (40.00, -200.00, 0.00)
    assert list(df["variance_amount"]) == [140.00, -160.00]


def test_product_sold_without_budget():
    # budget A 100 × 10 = 1000; actual A 100 × 10 = 1000 and C 10 × 5 = 50 (no budget: BP = AP = 5, m = 0)
    # price = 0 + 0; volume = (110 − 100)·10 = 100; mix = (100 − 110·1)·10 + (10 − 0)·5 = −100 + 50 = −50
    # sum 50 = 1050 − 1000
    b = frame(row("D1", "A", 100, 1000))
    a = frame(row("D1", "A", 100, 1000), row("D1", "C", 10, 50))
    r = one(variance(b, a, by=["district"]), district_code="D1")
    assert r["variance_amount"] == 50.00
    assert effects(r) == (0.00, 100.00, -50.00)
    # by product, C is a group without budget: its sales are volume, mix stays 0, no variance %
    c = one(variance(b, a, by=["product"]), product_code="C")
    assert (c["budget_amount"], c["variance_amount"]) == (0.0, 50.00)
    assert np.isnan(c["variance_pct"])
    assert effects(c) == (0.00, 50.00, 0.00)


def test_product_budgeted_but_not_sold():
    # budget A 100 × 10, B 50 × 20 (Σ m·BP = 40/3); actual A 100 × 10 only. variance = −1000
    # price 0; volume = (100 − 150)·40/3 = −666.667 → −666.67
    # mix = (100 − 100·2/3)·10 + (0 − 100·1/3)·20 = 333.333 − 666.667 = −333.333 → −333.33
    a = frame(row("D1", "A", 100, 1000))
    r = one(variance(BUDGET, a, by=["district"]), district_code="D1")
    assert r["variance_amount"] == -1000.00
    assert effects(r) == (0.00, -666.67, -333.33)
    b_row = one(variance(BUDGET, a, by=["product"]), product_code="B")
    # B alone: volume (0 − 50)·20 = −1000; actual 0
    assert (b_row["actual_amount"], b_row["variance_amount"], b_row["variance_pct"]) == (0.0, -1000.0, -1.0)
    assert effects(b_row) == (0.00, -1000.00, 0.00)


def test_district_with_zero_budget_has_no_variance_pct():
    b = frame(row("D1", "A", 100, 1000), row("D2", "A", 0, 0))
    a = frame(row("D1", "A", 100, 1000), row("D2", "A", 10, 50))
    df = variance(b, a, by=["district"])
    d2 = one(df, district_code="D2")
    assert d2["budget_amount"] == 0.0 and d2["variance_amount"] == 50.00
    assert np.isnan(d2["variance_pct"])
    assert d2["favorable"]
    assert sum(effects(d2)) == 50.00
    # and a district with sales and no budget row at all
    d3 = one(variance(b, frame(row("D3", "A", 1, 7)), by=["district"]), district_code="D3")
    assert np.isnan(d3["variance_pct"]) and d3["variance_amount"] == 7.00
    assert effects(d3) == (0.00, 7.00, 0.00)


def test_budget_amount_without_quantity_goes_to_price():
    # budget A 100 × 10 = 1000 and B: amount 200 with quantity 0 (BP undefined); actual A 100 × 10.
    # Formulas over A: price 0, volume 0, mix 0; B's 200 is unexplained -> price = −200 = variance.
    b = frame(row("D1", "A", 100, 1000), row("D1", "B", 0, 200))
    a = frame(row("D1", "A", 100, 1000))
    r = one(variance(b, a, by=["district"]), district_code="D1")
    assert r["variance_amount"] == -200.00
    assert effects(r) == (-200.00, 0.00, 0.00)


def test_credit_notes():
    # A: budget 100 × 10 = 1000. Sales 120 × 10 = 1200, a credit note −20 × 10 = −200, and a credit
    # without quantity (0, −50). Net AQ 100, AA 950, AP 9.50.
    # price = (9.50 − 10)·100 = −50 = variance; volume 0; mix 0.
    b = frame(row("D1", "A", 100, 1000))
    a = frame(row("D1", "A", 120, 1200), row("D1", "A", -20, -200), row("D1", "A", 0, -50))
    r = one(variance(b, a, by=["district"]), district_code="D1")
    assert (r["actual_quantity"], r["actual_amount"], r["variance_amount"]) == (100.00, 950.00, -50.00)
    assert effects(r) == (-50.00, 0.00, 0.00)
    # net return: B budget 10 × 20 = 200, actual −5 × 20 = −100 (AP 20): volume (−5 − 10)·20 = −300
    b = frame(row("D1", "B", 10, 200))
    a = frame(row("D1", "B", -5, -100))
    r = one(variance(b, a, by=["district"]), district_code="D1")
    assert effects(r) == (0.00, -300.00, 0.00)
    # only a credit without quantity, nothing budgeted (ΣBQ = ΣAQ = 0, AP undefined):
    # price = AA − BP·AQ = −30 − BP·0 = −30; volume (0 − 0)·0 = 0; mix 0
    r = one(variance(frame(row("D1", "B", 0, 0)), frame(row("D1", "A", 0, -30)), by=["district"]),
            district_code="D1")
    assert effects(r) == (-30.00, 0.00, 0.00)


def test_rounding_adjusts_the_largest_effect():
    # budget A 3 × (10.02), B 3 × (10.00), C 3 × (20.00); actual A 1 for 10, B 2 for 10, C 1 for 10
    # BP = 3.34, 3.3333, 6.6667; ΣBQ 9, ΣBA 40.02, Σ m·BP = 40.02/9 = 4.446667; ΣAQ 4; variance −10.02
    # price  = (10 − 3.34)·1 + (5 − 3.3333)·2 + (10 − 6.6667)·1 = 13.326667 → 13.33
    # volume = (4 − 9)·4.446667 = −22.233333 → −22.23
    # mix    = (3.34 + 2·3.3333 + 6.6667)… = 16.673333 − 4·4.446667 = −1.113333 → −1.11
    # 13.33 − 22.23 − 1.11 = −10.01 ≠ −10.02: the missing cent goes to volume (largest): −22.24
    b = frame(row("D1", "A", 3, 10.02), row("D1", "B", 3, 10.00), row("D1", "C", 3, 20.00))
    a = frame(row("D1", "A", 1, 10), row("D1", "B", 2, 10), row("D1", "C", 1, 10))
    r = one(variance(b, a, by=["district"]), district_code="D1")
    assert r["variance_amount"] == -10.02
    assert effects(r) == (13.33, -22.24, -1.11)


def test_by_product_group_and_region():
    # G1 = A and B: the worked example; G2 = C: budget 10 × 5 = 50, actual 12 × 5 = 60 (volume 10)
    b = frame(row("D1", "A", 100, 1000), row("D1", "B", 50, 1000), row("D2", "C", 10, 50, region=None))
    a = frame(row("D1", "A", 120, 1140), row("D1", "B", 40, 840), row("D2", "C", 12, 60, region=None))
    df = variance(b, a, by=["product_group"])
    assert list(df.columns[:2]) == ["product_group_code", "product_group_name"]
    assert effects(one(df, product_group_code="G1")) == (-20.00, 133.33, -133.33)
    assert effects(one(df, product_group_code="G2")) == (0.00, 10.00, 0.00)
    reg = variance(b, a, by=["region"])
    assert len(reg) == 2
    nul = reg[reg["region_code"].isna()].iloc[0]  # a district without a region groups on its own
    assert nul["budget_amount"] == 50.00 and pd.isna(nul["region_name"])


def test_per_month_split():
    # January: the worked example. February: A budget 100 × 10, actual 110 × 10 -> volume 100.
    b = pd.concat([BUDGET, frame(row("D1", "A", 100, 1000, month="2026-02"))], ignore_index=True)
    a = pd.concat([ACTUAL.drop(columns=["seller_code", "seller_name"]),
                   frame(row("D1", "A", 110, 1100, month="2026-02"))], ignore_index=True)
    df = variance(b, a, by=["district"], per_month=True)
    assert list(df["period"]) == ["2026-01", "2026-02"]
    assert effects(one(df, period="2026-01")) == (-20.00, 133.33, -133.33)
    assert effects(one(df, period="2026-02")) == (0.00, 100.00, 0.00)
    # months as datetimes give the same answer
    b2 = b.assign(month=pd.to_datetime(b["month"] + "-15"))
    pd.testing.assert_frame_equal(variance(b2, a, by=["district"], per_month=True), df)


def test_margin_against_budgeted_margin():
    # budget A 1000 with cost 600 -> margin 400; actual A 1140 cost 700 (440) and a sale without cost
    b = frame(row("D1", "A", 100, 1000, cost=600))
    a = frame(row("D1", "A", 100, 1140, cost=700), row("D1", "A", 20, 100))
    a.loc[1, "cost"] = pd.NA
    r = one(variance(b, a, by=["district"]), district_code="D1")
    assert (r["budget_margin"], r["actual_margin"], r["margin_variance"]) == (400.00, 440.00, 40.00)
    # a budget without cost has no budgeted margin
    r = one(variance(BUDGET, a, by=["district"]), district_code="D1")
    assert np.isnan(r["budget_margin"]) and np.isnan(r["margin_variance"]) and r["actual_margin"] == 440.00


def test_by_seller_has_no_budget_side():
    df = variance(BUDGET, ACTUAL, by=["seller"])
    s1 = one(df, seller_code="S1")
    assert s1["actual_amount"] == 1140.00 and s1["seller_name"] == "Seller S1"
    for col in ("budget_amount", "variance_amount", "variance_pct", "price_effect", "mix_effect"):
        assert np.isnan(s1[col])
    assert pd.isna(s1["favorable"])
    t = totals(df)
    assert t["actual_amount"] == 1980.00 and t["budget_amount"] is None and t["variance_pct"] is None


def test_bad_input_gives_clear_errors():
    with pytest.raises(ValueError, match="unknown group key"):
        variance(BUDGET, ACTUAL, by=["distrikt"])
    with pytest.raises(ValueError, match="actual: amount must be integers"):
        variance(BUDGET, ACTUAL.assign(amount=ACTUAL["amount"] / 100), by=["district"])
    with pytest.raises(ValueError, match="budget: missing column"):
        variance(BUDGET.drop(columns=["month"]), ACTUAL, by=["district"])
    with pytest.raises(ValueError, match="not a month"):
        variance(BUDGET.assign(month="2026-13"), ACTUAL, by=["district"])


# --- totals -----------------------------------------------------------------------------------

def test_totals_equal_the_sum_of_lines_exactly():
    rng = np.random.default_rng(7)
    rows_b, rows_a = [], []
    for d in ("D1", "D2", "D3", "D4"):
        for p in "ABC":
            for m in ("2026-01", "2026-02", "2026-03"):
                rows_b.append(row(d, p, int(rng.integers(0, 500)) / 3, int(rng.integers(0, 10**6)) / 7, month=m))
                rows_a.append(row(d, p, int(rng.integers(-50, 500)) / 3, int(rng.integers(-10**4, 10**6)) / 7, month=m))
    df = variance(frame(*rows_b), frame(*rows_a), by=["district", "product"], per_month=True)
    t = totals(df)
    for col in ("budget_amount", "actual_amount", "variance_amount", "budget_quantity", "actual_quantity",
                "price_effect", "volume_effect", "mix_effect"):
        assert Decimal(str(t[col])) == sum(Decimal(str(v)) for v in df[col]), col
    assert t["price_effect"] + t["volume_effect"] + t["mix_effect"] == pytest.approx(t["variance_amount"])
    assert cents(t["price_effect"]) + cents(t["volume_effect"]) + cents(t["mix_effect"]) == cents(t["variance_amount"])
    # ratio of the summed parts, not the mean of the rows' percentages
    assert t["variance_pct"] == round(t["variance_amount"] / abs(t["budget_amount"]), 6)
    assert t["variance_pct"] != round(df["variance_pct"].mean(), 6)
    assert t["favorable"] == (t["variance_amount"] >= 0)


# --- the identity, as a property ----------------------------------------------------------------

def exact_effects(b_cells, a_cells):
    """Plain Fraction computation of PRODUCT.md §2 for one group, with the documented conventions."""
    prods = set(b_cells) | set(a_cells)
    BQ = {p: b_cells.get(p, (0, 0))[0] for p in prods}
    BA = {p: b_cells.get(p, (0, 0))[1] for p in prods}
    AQ = {p: a_cells.get(p, (0, 0))[0] for p in prods}
    AA = {p: a_cells.get(p, (0, 0))[1] for p in prods}
    sbq, saq = sum(BQ.values()), sum(AQ.values())
    AP = {p: Fraction(AA[p], AQ[p]) if AQ[p] else Fraction(0) for p in prods}
    BP = {p: Fraction(BA[p], BQ[p]) if BQ[p] else AP[p] for p in prods}
    if sbq:
        m = {p: Fraction(BQ[p], sbq) for p in prods}
    elif saq:
        m = {p: Fraction(AQ[p], saq) for p in prods}
    else:
        m = {p: Fraction(0) for p in prods}
    pbar = sum(m[p] * BP[p] for p in prods)
    price = sum(AA[p] - BP[p] * AQ[p] for p in prods)
    volume = (saq - sbq) * pbar
    mix = sum((AQ[p] - saq * m[p]) * BP[p] for p in prods)
    var = sum(AA.values()) - sum(BA.values())
    price += var - (price + volume + mix)  # the unexplained remainder goes to price
    return price, volume, mix


cells_strategy = st.lists(
    st.tuples(st.sampled_from(["D1", "D2"]), st.sampled_from("ABC"),
              st.integers(-2_000, 50_000), st.integers(-10**7, 10**8)),
    max_size=12)


@settings(max_examples=150, deadline=None)
@given(budget_cells=cells_strategy, actual_cells=cells_strategy, per_month=st.booleans())
def test_price_volume_mix_add_up_to_variance(budget_cells, actual_cells, per_month):
    def mk(cells):
        rows = [dict(district_code=d, district_name=d, region_code="R", region_name="R", product_code=p,
                     product_name=p, product_group=GROUPS[p], month="2026-0" + str(1 + i % 2),
                     quantity=q, amount=amt) for i, (d, p, q, amt) in enumerate(cells)]
        f = pd.DataFrame(rows, columns=["district_code", "district_name", "region_code", "region_name",
                                        "product_code", "product_name", "product_group", "month",
                                        "quantity", "amount"])
        return f.astype({"quantity": "int64", "amount": "int64"})
    b, a = mk(budget_cells), mk(actual_cells)
    df = variance(b, a, by=["district"], per_month=per_month)
    for _, r in df.iterrows():
        sel_b = b[b["district_code"] == r["district_code"]]
        sel_a = a[a["district_code"] == r["district_code"]]
        if per_month:
            sel_b, sel_a = sel_b[sel_b["month"] == r["period"]], sel_a[sel_a["month"] == r["period"]]
        # the variance itself, from the inputs
        var = int(sel_a["amount"].sum()) - int(sel_b["amount"].sum())
        assert cents(r["variance_amount"]) == var
        p, v, m = (cents(x) for x in effects(r))
        assert p + v + m == var  # after rounding, exactly
        # each effect within 1.5 cents of the exact one (half a cent of rounding + at most one cent moved)
        agg = lambda f: {k: (int(g["quantity"].sum()), int(g["amount"].sum())) for k, g in f.groupby("product_code")}
        ep, ev, em = exact_effects(agg(sel_b), agg(sel_a))
        for got, exact in ((p, ep), (v, ev), (m, em)):
            assert abs(got - exact) <= Fraction(3, 2)
    t = totals(df)
    if len(df):
        assert cents(t["price_effect"]) + cents(t["volume_effect"]) + cents(t["mix_effect"]) == cents(t["variance_amount"])


# --- forecast ---------------------------------------------------------------------------------

def test_forecast_methods_by_hand():
    # D1 budget: Jan 100, Feb 200, Mar 300, Apr-Dec 100 each -> year 1500, to date (as of Mar) 600.
    # D1 actual: Jan 120, Feb 180, Mar 330, Apr 50 (after as_of: ignored) -> to date 630.
    #   budget_remainder = 630 + (1500 − 600) = 1530; run_rate = 630 / 3 × 12 = 2520;
    #   seasonal = 630 / 600 × 1500 = 1575.
    # D2 budget only Jun 1000; actual Jan 100 -> to date 100, budget to date 0:
    #   remainder = 100 + 1000 = 1100; run_rate = 100 / 3 × 12 = 400; seasonal null.
    # D3 budget 100/month; actual Feb 100.01 -> run_rate 100.01 × 4 = 400.04;
    #   seasonal = 100.01 / 300 × 1200 = 400.04; and a budget row of 2025 is ignored.
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    b_rows = [row("D1", "A", 1, v, month=m) for m, v in zip(months, [100, 200, 300] + [100] * 9)]
    b_rows += [row("D2", "A", 1, 1000, month="2026-06")]
    b_rows += [row("D3", "A", 1, 100, month=m) for m in months] + [row("D3", "A", 1, 999, month="2025-12")]
    a_rows = [row("D1", "A", 1, v, month=m) for m, v in zip(months, [120, 180, 330, 50])]
    a_rows += [row("D2", "A", 1, 100, month="2026-01"), row("D3", "A", 1, 100.01, month="2026-02")]
    df = forecast(frame(*b_rows), frame(*a_rows), year=2026, as_of_month="2026-03", by=["district"])
    d1, d2, d3 = (one(df, district_code=d) for d in ("D1", "D2", "D3"))
    cols = ["budget", "budget_to_date", "actual_to_date", "budget_remainder", "run_rate"]
    assert [d1[c] for c in cols] == [1500.00, 600.00, 630.00, 1530.00, 2520.00]
    assert d1["seasonal"] == 1575.00
    assert [d2[c] for c in cols] == [1000.00, 0.00, 100.00, 1100.00, 400.00]
    assert np.isnan(d2["seasonal"])
    assert [d3[c] for c in cols] == [1200.00, 300.00, 100.01, 1000.01, 400.04]
    assert d3["seasonal"] == 400.04
    t = totals(df)
    assert t["budget"] == 3700.00 and t["run_rate"] == 3320.04 and t["seasonal"] is None


def test_forecast_rounding_and_fiscal_year():
    # fiscal year 2026 starting in July: 2026-07 … 2027-06; as of 2026-08 two months have elapsed.
    # actual 2026-07 100.00 -> run_rate 100 / 2 × 12 = 600; budget 2026-07 + 2026-08 = 300, year 900
    # seasonal = 100 / 300 × 900 = 300; actual of 2026-06 (previous fiscal year) is ignored.
    # D2: actual 10.00 in 2026-07, budget 30.00 to date and 100.00 for the year:
    #   seasonal = 10 / 30 × 100 = 33.333 → 33.33; run_rate = 60.00
    b = frame(row("D1", "A", 1, 100, month="2026-07"), row("D1", "A", 1, 200, month="2026-08"),
              row("D1", "A", 1, 600, month="2027-06"), row("D2", "A", 1, 30, month="2026-08"),
              row("D2", "A", 1, 70, month="2026-12"))
    a = frame(row("D1", "A", 1, 100, month="2026-07"), row("D1", "A", 1, 5000, month="2026-06"),
              row("D2", "A", 1, 10, month="2026-07"))
    df = forecast(b, a, year=2026, as_of_month="2026-08", by=["district"], fiscal_start_month=7)
    d1, d2 = one(df, district_code="D1"), one(df, district_code="D2")
    assert (d1["budget"], d1["actual_to_date"], d1["run_rate"], d1["seasonal"]) == (900.0, 100.0, 600.0, 300.0)
    assert d1["budget_remainder"] == 100.0 + 600.0
    assert (d2["seasonal"], d2["run_rate"]) == (33.33, 60.00)
    with pytest.raises(ValueError, match="outside fiscal year 2026"):
        forecast(b, a, year=2026, as_of_month="2026-03", by=["district"], fiscal_start_month=7)
