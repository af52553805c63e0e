"""The datasets users load (PRODUCT.md §1): columns, types and keys, declared once."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

KINDS = (
    "text",
    "code",
    "email",
    "money",
    "quantity",
    "number",
    "date",
    "period",
    "month_number",
    "bool",
    "enum",
)
NUMERIC_KINDS = ("money", "quantity", "number")
DISTRICT_BASES = ("geographic", "product", "customer")
TARGET_LEVELS = ("seller", "district", "region", "company", "account")
ACTIVITY_TYPES = (
    "meeting",
    "call",
    "proposal",
    "won",
    "lost",
    "training_hours",
    "coaching_session",
    "goal_conversation",
    "csat",
)
# Activity types whose value is a count: an empty value means one.
COUNT_ACTIVITY_TYPES = ("meeting", "call", "proposal", "won", "lost", "coaching_session", "goal_conversation")

_DEFAULT_MAX_LENGTH = {"code": 64, "email": 254}


@dataclass(frozen=True)
class Column:
    """One column of a dataset.

    required: the column must be in the header and (unless empty_ok) every cell must be filled;
    optional columns may be absent or empty. scale: decimals allowed (the parsed value is an
    integer in units of 10**-scale); digits: total precision, so |value| < 10**(digits - scale).
    """

    name: str
    kind: str
    required: bool = True
    choices: tuple[str, ...] = ()
    scale: int = 2
    max_length: int = 0  # 0 = the kind's default: code 64, email 254, other text 200
    minimum: Decimal | None = None
    digits: int = 16
    empty_ok: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")
        if self.max_length == 0:
            object.__setattr__(self, "max_length", _DEFAULT_MAX_LENGTH.get(self.kind, 200))
        if self.kind == "enum" and not self.choices:
            raise ValueError(f"enum column {self.name!r} needs choices")
        if self.digits > 18:  # must fit int64 minor units
            raise ValueError("digits > 18 does not fit int64")

    @property
    def cell_required(self) -> bool:
        return self.required and not self.empty_ok


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    sheet_names: tuple[str, ...]  # XLSX sheet names accepted when a workbook has several sheets

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


ZERO = Decimal(0)


def _sheets(name: str, *extra: str) -> tuple[str, ...]:
    return (name, *extra)


def _plan_columns() -> tuple[Column, ...]:
    return (
        Column("level", "enum", choices=TARGET_LEVELS),
        Column("code", "code", empty_ok=True),
        Column("kpi", "code"),
        Column("period", "period"),
        Column("value", "number", scale=4, digits=18),
    )


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec(
            "regions",
            (Column("code", "code"), Column("name", "text")),
            key=("code",),
            sheet_names=_sheets("regions", "region"),
        ),
        DatasetSpec(
            "districts",
            (
                Column("code", "code"),
                Column("name", "text"),
                Column("basis", "enum", choices=DISTRICT_BASES),
                Column("region_code", "code", required=False),
            ),
            key=("code",),
            sheet_names=_sheets("districts", "district"),
        ),
        DatasetSpec(
            "sellers",
            (
                Column("code", "code"),
                Column("name", "text"),
                Column("email", "email"),
                Column("district_code", "code"),
                Column("valid_from", "date"),
            ),
            key=("code", "valid_from"),
            sheet_names=_sheets("sellers", "seller"),
        ),
        DatasetSpec(
            "leaders",
            (
                Column("email", "email"),
                Column("name", "text"),
                Column("district_code", "code", required=False),
                Column("region_code", "code", required=False),
            ),
            # The "unit" of PRODUCT.md: at most one of the two codes is set, both empty = company.
            key=("email", "district_code", "region_code"),
            sheet_names=_sheets("leaders", "leader"),
        ),
        DatasetSpec(
            "accounts",
            (
                Column("code", "code"),
                Column("name", "text"),
                Column("district_code", "code"),
                Column("segment", "text", required=False, max_length=100),
                Column("key_account", "bool", required=False),
                Column("kam_seller_code", "code", required=False),
            ),
            key=("code",),
            sheet_names=_sheets("accounts", "account", "customers"),
        ),
        DatasetSpec(
            "products",
            (Column("code", "code"), Column("name", "text"), Column("product_group", "text", max_length=100)),
            key=("code",),
            sheet_names=_sheets("products", "product"),
        ),
        DatasetSpec(
            "seasonality",
            (Column("month", "month_number"), Column("weight", "number", scale=6, digits=14, minimum=ZERO)),
            key=("month",),
            sheet_names=_sheets("seasonality", "season"),
        ),
        DatasetSpec(
            "sales",
            (
                Column("id", "code"),
                Column("date", "date"),
                Column("seller_code", "code"),
                Column("account_code", "code"),
                Column("product_code", "code"),
                Column("quantity", "quantity"),
                Column("amount", "money"),
                Column("cost", "money", required=False),
            ),
            key=("id",),
            sheet_names=_sheets("sales", "sale"),
        ),
        DatasetSpec(
            "activities",
            (
                Column("id", "code"),
                Column("date", "date"),
                Column("seller_code", "code"),
                Column("account_code", "code", required=False),
                Column("type", "enum", choices=ACTIVITY_TYPES),
                # Empty = 1 for count types; the per-row rules check training_hours and csat.
                Column("value", "number", scale=2, digits=12, empty_ok=True),
            ),
            key=("id",),
            sheet_names=_sheets("activities", "activity"),
        ),
        DatasetSpec(
            "targets",
            # stretch: the stretch goal beside the target (PRODUCT.md §5); empty = none
            (*_plan_columns(), Column("stretch", "number", required=False, scale=4, digits=18)),
            key=("level", "code", "kpi", "period"),
            sheet_names=_sheets("targets", "target"),
        ),
        DatasetSpec(
            "kpi_values",
            _plan_columns(),
            key=("level", "code", "kpi", "period"),
            sheet_names=_sheets("kpi_values", "kpi values", "values"),
        ),
        DatasetSpec(
            "budgets",
            (
                Column("district_code", "code"),
                Column("product_code", "code"),
                Column("period", "period"),
                Column("quantity", "quantity", minimum=ZERO),
                Column("amount", "money", minimum=ZERO),
                Column("cost", "money", required=False, minimum=ZERO),
            ),
            key=("district_code", "product_code", "period"),
            sheet_names=_sheets("budgets", "budget"),
        ),
    )
}
