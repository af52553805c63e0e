"""Header checks, typed columns in minor units, per-row rules and duplicate keys (no database)."""

import numpy as np
import pandas as pd
import pytest

from app.imports.parse import parse
from app.imports.reader import read_table
from app.imports.specs import DATASETS

SALES_HEADER = "id,date,seller_code,account_code,product_code,quantity,amount,cost"


def _parse_csv(dataset, text):
    spec = DATASETS[dataset]
    return parse(spec, read_table(text.encode(), f"{dataset}.csv", spec=spec))


def _found(errors):
    return [(e.row, e.column, e.value, e.message) for e in errors]


# --- header --------------------------------------------------------------------------------------


def test_unknown_column_with_hint():
    typed, errors = _parse_csv("regions", "code,nmae\nR1,North\n")
    assert (1, "nmae", "nmae", "unknown column; did you mean 'name'?") in _found(errors)
    assert (1, "name", None, "missing column") in _found(errors)


def test_upper_case_header_is_unknown():
    _, errors = _parse_csv("regions", "Code,name\nR1,North\n")
    assert _found(errors) == [
        (1, "Code", "Code", "unknown column; did you mean 'code'? (column names are lower case)"),
        (1, "code", None, "missing column"),
    ]


def test_unknown_column_without_a_close_name_lists_the_columns():
    _, errors = _parse_csv("regions", "code,name,xyzzy\nR1,North,1\n")
    assert _found(errors) == [(1, "xyzzy", "xyzzy", "unknown column; the columns are code, name")]


def test_missing_required_column_and_other_cells_still_checked():
    _, errors = _parse_csv("sales", "id,date,seller_code,account_code,product_code,quantity\nS1,2026-13-01,A,B,C,1\n")
    assert (1, "amount", None, "missing column") in _found(errors)
    assert (2, "date", "2026-13-01", "not a date in the calendar (YYYY-MM-DD)") in _found(errors)


def test_duplicate_header_column():
    _, errors = _parse_csv("regions", "code,name,name\nR1,North,Nord\n")
    assert _found(errors) == [(1, "name", "name", "the column appears more than once in the header")]


def test_columns_in_any_order_and_optional_columns_absent():
    typed, errors = _parse_csv("accounts", "name,district_code,code\nAcme,D1,A1\n")
    assert errors == []
    assert list(typed.columns) == ["row", "code", "name", "district_code", "segment", "key_account", "kam_seller_code"]
    assert typed.loc[0, "code"] == "A1"
    assert typed["segment"].isna().all() and typed["key_account"].isna().all() and typed["kam_seller_code"].isna().all()


def test_optional_numeric_column_absent():
    typed, errors = _parse_csv("sales", "id,date,seller_code,account_code,product_code,quantity,amount\nS1,2026-01-01,A,B,C,1,2\n")
    assert errors == []
    assert typed["cost"].isna().all() and str(typed["cost"].dtype) == "Int64"


# --- types ---------------------------------------------------------------------------------------


def test_typed_sales_frame():
    typed, errors = _parse_csv(
        "sales",
        SALES_HEADER + "\n S1 ,2026-01-31,SEL1,A1,P1,2,1234.5,0.29\nS2,2024-02-29,SEL1,A1,P1,-1,-0.05,\n",
    )
    assert errors == []
    assert typed["row"].tolist() == [2, 3]
    assert typed["id"].tolist() == ["S1", "S2"]  # stripped
    assert typed["date"].dtype == np.dtype("datetime64[ns]")
    assert typed["date"].tolist() == [pd.Timestamp("2026-01-31"), pd.Timestamp("2024-02-29")]
    assert typed["quantity"].dtype == np.dtype("int64") and typed["amount"].dtype == np.dtype("int64")
    assert typed["quantity"].tolist() == [200, -100]
    assert typed["amount"].tolist() == [123450, -5]
    assert typed["cost"].iloc[0] == 29  # 0.29 exactly: a float would give 28.999...
    assert typed["cost"].isna().iloc[1]


def test_every_type_error_is_reported_with_row_column_and_value():
    text = (
        SALES_HEADER + "\n"
        "S1,2026-02-30,A,B,C,1,1.005,\n"  # not a calendar date; 3 decimals
        "S2,2026/01/05,A,B,C,ten,1,\n"  # wrong date format; text in a number
        "S3,2026-01-01,A,B,C,1,100000000000000,\n"  # too large for Numeric(16,2)
        "S4,2026-01-01,A,B,C,1,\"1,5\",\n"  # comma decimal in a comma file
        "S5,2026-01-01,,B,C,1,2,\n"  # empty required cell
    )
    _, errors = _parse_csv("sales", text)
    assert _found(errors) == [
        (2, "date", "2026-02-30", "not a date in the calendar (YYYY-MM-DD)"),
        (2, "amount", "1.005", "at most 2 decimals"),
        (3, "date", "2026/01/05", "not a date (YYYY-MM-DD or DD.MM.YYYY)"),
        (3, "quantity", "ten", "not a number"),
        (4, "amount", "100000000000000", "too large (at most 14 digits before the decimal separator)"),
        (5, "amount", "1,5", "use '.' as the decimal separator (and no thousands separators)"),
        (6, "seller_code", "", "a value is required"),
    ]


def test_thousands_separators_out_of_place_in_a_semicolon_file():
    """Separators are accepted between groups of three (tests/test_import_formats.py); elsewhere, a message."""
    header = SALES_HEADER.replace(",", ";")
    text = header + "\nS1;2026-01-01;A;B;C;1;12 34,50;\nS2;2026-01-01;A;B;C;1;1.23,4;\nS3;2026-01-01;A;B;C;1;1 000.000,5;\n"
    _, errors = _parse_csv("sales", text)
    groups = "thousands separators must come between groups of three digits (1 234 567,50 or 1.234.567,50)"
    assert [(e.row, e.message) for e in errors] == [
        (2, groups),
        (3, groups),
        (4, "use one kind of thousands separator: a space or '.', not both"),
    ]


def test_bad_enum_bool_period_email():
    _, errors = _parse_csv("districts", "code,name,basis\nD1,North,geografisk\nD2,South,Product\n")
    assert _found(errors) == [(2, "basis", "geografisk", "must be one of: geographic, product, customer")]

    typed, errors = _parse_csv("accounts", "code,name,district_code,key_account\nA1,X,D1,kanskje\nA2,Y,D1,JA\nA3,Z,D1,0\n")
    assert _found(errors) == [(2, "key_account", "kanskje", "must be true or false (also yes/no, 1/0, ja/nei)")]
    assert typed["key_account"].tolist()[1:] == [True, False]

    _, errors = _parse_csv("targets", "level,code,kpi,period,value\nseller,S1,revenue,2026-13,1\nseller,S1,revenue,26,1\n")
    assert _found(errors) == [
        (2, "period", "2026-13", "the month must be 01 to 12"),
        (3, "period", "26", "not a period (YYYY for a year, YYYY-MM for a month)"),
    ]

    typed, errors = _parse_csv("sellers", "code,name,email,district_code,valid_from\nS1,Ann,Ann@Example.COM,D1,2025-01-01\nS2,Bo,not-an-email,D1,2025-01-01\n")
    assert _found(errors) == [(3, "email", "not-an-email", "not an e-mail address")]
    assert typed.loc[0, "email"] == "ann@example.com"


def test_too_long_code():
    _, errors = _parse_csv("regions", "code,name\n" + "X" * 65 + ",North\n")
    assert [(e.row, e.column, e.message) for e in errors] == [(2, "code", "longer than 64 characters")]
    assert len(errors[0].value) == 65


def test_targets_value_has_four_decimals():
    typed, errors = _parse_csv("targets", "level,code,kpi,period,value\nseller,S1,margin_pct,2026,0.3525\nseller,S1,revenue,2026-01,1.23456\n")
    assert _found(errors) == [(3, "value", "1.23456", "at most 4 decimals")]
    assert typed.loc[0, "value"] == 3525


def test_seasonality_month_and_weight():
    typed, errors = _parse_csv("seasonality", "month,weight\n1,8.5\n13,1\n2,-1\n3,0.1234567\n")
    assert _found(errors) == [
        (3, "month", "13", "must be a month number from 1 to 12"),
        (4, "weight", "-1", "must be 0 or more"),
        (5, "weight", "0.1234567", "at most 6 decimals"),
    ]
    assert typed.loc[0, "weight"] == 8_500_000  # 8.5 with 6 decimals


def test_budgets_must_not_be_negative_sales_may():
    _, errors = _parse_csv("budgets", "district_code,product_code,period,quantity,amount,cost\nD1,P1,2026,-1,100,-5\n")
    assert _found(errors) == [(2, "quantity", "-1", "must be 0 or more"), (2, "cost", "-5", "must be 0 or more")]
    _, errors = _parse_csv("sales", SALES_HEADER + "\nS1,2026-01-01,A,B,C,-1,-100,-80\n")
    assert errors == []


# --- per-row rules -------------------------------------------------------------------------------


def test_leaders_at_most_one_unit():
    typed, errors = _parse_csv("leaders", "email,name,district_code,region_code\nboss@x.no,Boss,,\nd@x.no,D,D1,\nr@x.no,R,,R1\nb@x.no,B,D1,R1\n")
    assert [(e.row, e.column) for e in errors] == [(5, "region_code")]
    assert "not both" in errors[0].message


def test_targets_code_empty_only_for_company():
    text = "level,code,kpi,period,value\ncompany,,revenue,2026,1000\ncompany,C1,revenue,2026,1\nseller,,revenue,2026,1\ndistrict,D1,revenue,2026-03,1\n"
    typed, errors = _parse_csv("targets", text)
    assert _found(errors) == [
        (3, "code", "C1", "must be empty for level company"),
        (4, "code", "", "a code is required for level seller"),
    ]
    assert typed.loc[0, "value"] == 1000_0000


def test_kpi_values_must_be_monthly():
    _, errors = _parse_csv("kpi_values", "level,code,kpi,period,value\nseller,S1,survey,2026,4\nseller,S1,survey,2026-02,4\n")
    assert _found(errors) == [(2, "period", "2026", "actual values are monthly; give the month (YYYY-MM)")]


def test_activities_value_rules():
    text = (
        "id,date,seller_code,account_code,type,value\n"
        "a1,2026-01-01,S1,,meeting,\n"  # count: empty means 1
        "a2,2026-01-01,S1,A1,Call,3\n"
        "a3,2026-01-01,S1,,training_hours,\n"  # hours required
        "a4,2026-01-01,S1,,csat,6\n"  # csat 1-5
        "a5,2026-01-01,S1,,csat,\n"
        "a6,2026-01-01,S1,,csat,4.5\n"
        "a7,2026-01-01,S1,,proposal,-1\n"
        "a8,2026-01-01,S1,,training_hours,1.5\n"
        "a9,2026-01-01,S1,,visit,1\n"
    )
    typed, errors = _parse_csv("activities", text)
    assert _found(errors) == [
        (4, "value", "", "a value is required for type training_hours"),
        (5, "value", "6", "csat must be a score from 1 to 5"),
        (6, "value", "", "a value is required for type csat"),
        (8, "value", "-1", "must be 0 or more"),
        (10, "type", "visit", "must be one of: " + ", ".join(DATASETS["activities"].column("type").choices)),
    ]
    assert typed.loc[0, "value"] == 100 and typed.loc[1, "value"] == 300
    assert typed.loc[1, "type"] == "call"
    assert typed.loc[5, "value"] == 450 and typed.loc[7, "value"] == 150


def test_activities_all_fine_gives_int64_values():
    typed, errors = _parse_csv("activities", "id,date,seller_code,type,value\na1,2026-01-01,S1,meeting,\na2,2026-01-02,S1,won,2\n")
    assert errors == []
    assert typed["value"].dtype == np.dtype("int64") and typed["value"].tolist() == [100, 200]


# --- duplicates and error collection -------------------------------------------------------------


def test_duplicate_keys():
    text = SALES_HEADER + "\nS1,2026-01-01,A,B,C,1,1,\nS2,2026-01-01,A,B,C,1,1,\nS1,2026-01-02,A,B,C,1,1,\nS1,2026-01-03,A,B,C,1,1,\n"
    _, errors = _parse_csv("sales", text)
    assert _found(errors) == [(4, "id", "S1", "duplicate of row 2"), (5, "id", "S1", "duplicate of row 2")]


def test_duplicate_composite_keys_with_empty_parts():
    _, errors = _parse_csv(
        "targets",
        "level,code,kpi,period,value\ncompany,,revenue,2026,1\nCompany,,revenue,2026,2\ncompany,,revenue,2027,1\n",
    )
    assert _found(errors) == [(3, "level, code, kpi, period", "Company, , revenue, 2026", "duplicate of row 2")]
    _, errors = _parse_csv("sellers", "code,name,email,district_code,valid_from\nS1,A,a@x.no,D1,2025-01-01\nS1,A,a@x.no,D2,2026-01-01\nS1,A,a@x.no,D3,2026-01-01\n")
    assert [(e.row, e.message) for e in errors] == [(4, "duplicate of row 3")]
    _, errors = _parse_csv("leaders", "email,name,district_code,region_code\nl@x.no,L,D1,\nL@x.no,L,D1,\nl@x.no,L,,R1\n")
    assert [(e.row, e.message) for e in errors] == [(3, "duplicate of row 2")]


def test_every_bad_row_is_collected():
    lines = [SALES_HEADER] + [f"S{i},2026-01-{i % 28 + 1:02d},A,B,C,1,{'x' if i % 3 == 0 else '1'}," for i in range(300)]
    _, errors = _parse_csv("sales", "\n".join(lines) + "\n")
    assert [e.row for e in errors] == [i + 2 for i in range(300) if i % 3 == 0]


def test_hand_built_frame_with_default_index():
    raw = pd.DataFrame({"code": ["R1", "R1"], "name": ["a", "b"]})
    _, errors = parse(DATASETS["regions"], raw)
    assert _found(errors) == [(3, "code", "R1", "duplicate of row 2")]


# --- every dataset -------------------------------------------------------------------------------

GOOD_ROWS = {
    "regions": "code,name\nR1,North\n",
    "districts": "code,name,basis,region_code\nD1,Oslo,geographic,R1\n",
    "sellers": "code,name,email,district_code,valid_from\nS1,Ann,ann@x.no,D1,2025-01-01\n",
    "leaders": "email,name,district_code,region_code\nl@x.no,Lee,D1,\n",
    "accounts": "code,name,district_code,segment,key_account,kam_seller_code\nA1,Acme,D1,Retail,true,S1\n",
    "products": "code,name,product_group\nP1,Widget,Tools\n",
    "seasonality": "month,weight\n1,8.333333\n",
    "sales": SALES_HEADER + "\nX1,2026-01-01,S1,A1,P1,1,10,5\n",
    "activities": "id,date,seller_code,account_code,type,value\nY1,2026-01-01,S1,A1,meeting,1\n",
    "targets": "level,code,kpi,period,value\nseller,S1,revenue,2026,100000\n",
    "kpi_values": "level,code,kpi,period,value\nseller,S1,survey,2026-01,4.2\n",
    "budgets": "district_code,product_code,period,quantity,amount,cost\nD1,P1,2026,10,1000,500\n",
}


def test_all_twelve_datasets_are_declared():
    assert sorted(DATASETS) == sorted(GOOD_ROWS)
    for spec in DATASETS.values():
        assert set(spec.key) <= set(spec.column_names)
        assert spec.sheet_names and spec.sheet_names[0] == spec.name


@pytest.mark.parametrize("dataset", sorted(GOOD_ROWS))
def test_a_good_row_of_each_dataset(dataset):
    typed, errors = _parse_csv(dataset, GOOD_ROWS[dataset])
    assert errors == []
    assert len(typed) == 1 and typed.loc[0, "row"] == 2
    assert list(typed.columns) == ["row", *DATASETS[dataset].column_names]
