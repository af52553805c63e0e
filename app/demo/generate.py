"""The demo company "Fjordkjøkken AS", generated deterministically as CSV files in the import format.

Pure: numpy only, a fixed seed, no database. `generate()` returns the text of every
dataset of PRODUCT.md §1 (except kpi_values: the built-in KPIs are all computed) as it would be
loaded with `scorecard import DATASET FILE`, plus the logins and the story the data tells.

The data covers the 24 months that end with the last complete month before the day it is made
(`today`): made in November 2026, 2024-11 through 2026-10, ending on 31 October. The same day (any
day of the same month) gives byte-identical files. Plans (targets, budgets) are yearly, for the data's
last two calendar years, so they run to the end of the data's last year.

The story lives in the data's last ten months (2026-01 to 2026-10 when made in November 2026; the
months below are for that day, and move with it), against targets phased by the seasonality profile:
- three sellers clearly ahead of plan, three clearly behind (their meetings fall first, months
  before their revenue does: a leading indicator);
- district Bergen og Hordaland ahead of its budget; district Rogaland's hit rate falls from 2025-05
  and its revenue follows from 2025-10, and its goal conversations stop in the last ten months;
- one seller in Viken meets revenue but gives the margin away in discounts from 2026-01;
- four sellers move district mid-period (two rows in sellers.csv), two are hired during it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from app.demo.simulate import ActivityPart, SaleLines, simulate
from app.demo.tables import (
    AHEAD,
    BEHIND,
    BUDGET_DISCOUNT,
    DISCOUNTER,
    DISTRICTS,
    DOMAIN,
    GROUPS,
    MOVERS,
    NEW_HIRES,
    PRODUCTS,
    REGIONS,
    SEASONALITY,
    SEED,
    STORY_START,
    STRONG_DISTRICT,
    WEAK_DISTRICT,
)
from app.demo.world import (
    DISTRICT_INFO,
    Seller,
    World,
    build_world,
    month_start,
)

# Each seller's yearly revenue stretch: this much above the target (the sales floor's third goal).
STRETCH = 1.15

# Loading order: every file only refers to what is loaded before it.
DATASET_ORDER = (
    "regions",
    "districts",
    "sellers",
    "leaders",
    "accounts",
    "products",
    "seasonality",
    "sales",
    "activities",
    "targets",
    "budgets",
)


@dataclass(frozen=True)
class Login:
    role: str  # admin, finance, leader or seller
    email: str
    who: str  # who this is in the story


@dataclass(frozen=True)
class DemoCompany:
    """The generated company: `files` maps each dataset to its CSV text, in DATASET_ORDER."""

    files: dict[str, str]
    logins: tuple[Login, ...]
    story: tuple[str, ...]
    facts: dict[str, object] = field(default_factory=dict)


def generate(seed: int = SEED, *, today: date | None = None) -> DemoCompany:
    """The whole demo company for `seed`, with data ending on the last day of the month before
    `today`'s (default: the real today); the same seed and month give byte-identical files."""
    world = build_world(seed, today or date.today())
    ledger = simulate(world)
    plan = district_plan(world)
    files = {
        "regions": regions_csv(),
        "districts": districts_csv(),
        "sellers": sellers_csv(world),
        "leaders": leaders_csv(world),
        "accounts": accounts_csv(world),
        "products": products_csv(),
        "seasonality": seasonality_csv(),
        "sales": sales_csv(world, ledger.sales),
        "activities": activities_csv(world, ledger.activities),
        "targets": targets_csv(world, ledger.sales, plan),
        "budgets": budgets_csv(world, plan),
    }
    return DemoCompany(
        files={name: files[name] for name in DATASET_ORDER},
        logins=logins(world),
        story=story(world),
        facts=story_facts(world),
    )


def _money(minor: np.ndarray) -> list[str]:
    """Integer øre as '1234.50' / '-12.00'."""
    return [f"{'-' if v < 0 else ''}{abs(v) // 100}.{abs(v) % 100:02d}" for v in minor.tolist()]


def _csv(columns: Mapping[str, Sequence[object] | np.ndarray]) -> str:
    """Comma-delimited UTF-8 text with a header; fields quoted only where needed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns.keys())
    writer.writerows(zip(*(v.tolist() if isinstance(v, np.ndarray) else v for v in columns.values()), strict=True))
    return out.getvalue()


def _share(amount: np.ndarray, is_key: np.ndarray) -> float:
    total = amount.sum()
    return float(amount[is_key].sum() / total) if total else 0.0


# --- organization ---------------------------------------------------------------------------------


def regions_csv() -> str:
    return _csv({"code": [c for c, _ in REGIONS], "name": [n for _, n in REGIONS]})


def districts_csv() -> str:
    return _csv(
        {
            "code": [d[0] for d in DISTRICTS],
            "name": [d[1] for d in DISTRICTS],
            "basis": [d[2] for d in DISTRICTS],
            "region_code": [d[3] for d in DISTRICTS],
        }
    )


def sellers_csv(world: World) -> str:
    """A row per stint: a seller who moves district has two."""
    seller_rows: dict[str, list[str]] = {"code": [], "name": [], "email": [], "district_code": [], "valid_from": []}
    for s in world.sellers:
        for k, (at, d) in enumerate(s.stints):
            seller_rows["code"].append(s.code)
            seller_rows["name"].append(s.name)
            seller_rows["email"].append(s.email)
            seller_rows["district_code"].append(d)
            seller_rows["valid_from"].append(
                (s.first_valid_from if k == 0 else month_start(world.cal.first_day, at)).isoformat()
            )
    return _csv(seller_rows)


def leaders_csv(world: World) -> str:
    return _csv(
        {
            "email": [u.person[1] for u in world.leaders],
            "name": [u.person[0] for u in world.leaders],
            "district_code": [u.district for u in world.leaders],
            "region_code": [u.region for u in world.leaders],
        }
    )


def accounts_csv(world: World) -> str:
    acc = world.accounts
    return _csv(
        {
            "code": acc.code,
            "name": acc.name,
            "district_code": acc.district,
            "segment": acc.segment,
            "key_account": ["true" if k else "false" for k in acc.key],
            "kam_seller_code": acc.kam,
        }
    )


def products_csv() -> str:
    return _csv(
        {
            "code": [p[0] for p in PRODUCTS],
            "name": [p[1] for p in PRODUCTS],
            "product_group": [GROUPS[p[2]] for p in PRODUCTS],
        }
    )


def seasonality_csv() -> str:
    return _csv(
        {
            "month": [str(m) for m in range(1, 13)],
            "weight": [f"{w:.1f}" for w in SEASONALITY],
        }
    )


# --- what actually happens: sales and activities (drawn in app/demo/simulate.py) -----------------


def sales_csv(world: World, lines: SaleLines) -> str:
    order = np.lexsort((lines.sel, lines.day))  # invoice numbers run with the date
    seller_codes = np.array([s.code for s in world.sellers])
    acc_codes = np.array(world.accounts.code)
    prod_codes = np.array([p[0] for p in PRODUCTS])
    return _csv(
        {
            "id": [f"F{n:07d}" for n in range(1, len(order) + 1)],
            "date": lines.day[order],
            "seller_code": seller_codes[lines.sel[order]],
            "account_code": acc_codes[lines.acc[order]],
            "product_code": prod_codes[lines.prod[order]],
            "quantity": [str(q) for q in lines.qty[order].tolist()],
            "amount": _money(lines.amount[order]),
            "cost": _money(lines.cost[order]),
        }
    )


def activities_csv(world: World, act_parts: list[ActivityPart]) -> str:
    a_day = np.concatenate([p[0] for p in act_parts])
    a_sel = np.concatenate([np.full(len(p[0]), p[1]) for p in act_parts])
    a_typ = np.concatenate([np.full(len(p[0]), p[2]) for p in act_parts])
    a_acc = np.concatenate([p[3] for p in act_parts])
    a_val = np.array([v for p in act_parts for v in p[4]], dtype=object)
    order = np.lexsort((a_sel, a_day))
    seller_codes = np.array([s.code for s in world.sellers])
    acc_codes = np.array(world.accounts.code)
    acc_or_empty = np.where(a_acc >= 0, acc_codes[np.maximum(a_acc, 0)], "")
    return _csv(
        {
            "id": [f"A{n:07d}" for n in range(1, len(order) + 1)],
            "date": a_day[order],
            "seller_code": seller_codes[a_sel[order]],
            "account_code": acc_or_empty[order],
            "type": a_typ[order],
            "value": a_val[order],
        }
    )


# --- plans: targets and budgets --------------------------------------------------------------------


def district_plan(world: World) -> dict[tuple[str, int], float]:
    """Each district's revenue plan of each plan year: its sellers' monthly targets while they are there."""
    cal = world.cal
    plan_of = {(d, y): 0.0 for d in DISTRICT_INFO for y in (cal.prev_year, cal.year)}
    for s in world.sellers:
        for i in range(len(cal.months)):
            plan = world.plan_month(s, i)
            if cal.years[i] >= cal.prev_year and plan > 0:
                plan_of[(s.district_at(i), int(cal.years[i]))] += plan
    return plan_of


class _Targets:
    """The rows of targets.csv."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str, str, str]] = []

    def add(
        self,
        level: str,
        code: str,
        kpi: str,
        period: str,
        value: float,
        decimals: int = 0,
        stretch: float | None = None,
    ) -> None:
        extra = "" if stretch is None else f"{stretch:.{decimals}f}"
        self.rows.append((level, code, kpi, period, f"{value:.{decimals}f}", extra))

    def csv(self) -> str:
        names = ("level", "code", "kpi", "period", "value", "stretch")
        return _csv({k: [r[j] for r in self.rows] for j, k in enumerate(names)})


def targets_csv(world: World, lines: SaleLines, district_plan: dict[tuple[str, int], float]) -> str:
    cal = world.cal
    # Plans built from last year's realized figures use the sales of the year before the data's last.
    in_prev = np.char.startswith(lines.day.astype(str), str(cal.prev_year))
    t = _Targets()
    for si, s in enumerate(world.sellers):
        _seller_targets(world, lines, in_prev, t, si, s)
    _district_targets(world, t, district_plan)
    ka_share_prev = _share(lines.amount[in_prev], world.accounts.key_arr[lines.acc[in_prev]])
    _company_targets(world, t, district_plan, ka_share_prev)
    return t.csv()


def _seller_targets(world: World, lines: SaleLines, in_prev: np.ndarray, t: _Targets, si: int, s: Seller) -> None:
    cal = world.cal
    mp = world.products.plan_margin[s.home]
    hire = NEW_HIRES.get((s.home, s.position))
    for y, yearly in ((cal.prev_year, s.target_prev), (cal.year, s.target_year)):
        if hire is not None and cal.years[hire] == y:
            _hire_targets(world, t, s, y, hire)
        elif hire is None or cal.years[hire] < y:
            # a stretch 15 % above the yearly revenue target, for the sales floor's third goal
            t.add("seller", s.code, "revenue", str(y), yearly, stretch=round(yearly * STRETCH, -3))
            t.add("seller", s.code, "gross_margin", str(y), round(yearly * mp, -3))
            t.add("seller", s.code, "meetings", str(y), 160)
            t.add("seller", s.code, "proposals", str(y), 70)
            t.add("seller", s.code, "training_hours", str(y), 24)
            t.add("seller", s.code, "coaching_sessions", str(y), 14)
        else:
            continue
        t.add("seller", s.code, "margin_pct", str(y), np.floor(mp * 100) / 100, 2)
        t.add("seller", s.code, "hit_rate", str(y), 0.40, 2)
        t.add("seller", s.code, "csat", str(y), 4.2, 1)
        pick = s.portfolios[s.stints[0][0]][0]
        t.add("seller", s.code, "active_customers", str(y), max(8, round(len(pick) * 0.7)))
        if s.position == 0:
            own = (lines.sel == si) & in_prev
            share = _share(lines.amount[own], world.accounts.key_arr[lines.acc[own]])
            raised = share + (0.0 if y == cal.prev_year else 0.03)
            t.add("seller", s.code, "key_account_share", str(y), round(raised, 2), 2)


def _hire_targets(world: World, t: _Targets, s: Seller, y: int, hire: int) -> None:
    """Hired during the year: monthly targets from the first month, ramping up."""
    cal = world.cal
    mp = world.products.plan_margin[s.home]
    for i in range(hire, len(cal.months)):
        if cal.years[i] != y:
            continue
        rev = round(world.plan_month(s, i), -3)
        period = cal.months[i].strftime("%Y-%m")
        t.add("seller", s.code, "revenue", period, rev)
        t.add("seller", s.code, "gross_margin", period, round(rev * mp, -3))
        for kpi, per_year in (
            ("meetings", 160),
            ("proposals", 70),
            ("training_hours", 24),
            ("coaching_sessions", 14),
        ):
            t.add("seller", s.code, kpi, period, per_year * cal.season[cal.month_no[i] - 1], 1)


def _district_targets(world: World, t: _Targets, district_plan: dict[tuple[str, int], float]) -> None:
    cal = world.cal
    for dcode, *_r in DISTRICTS:
        for y in (cal.prev_year, cal.year):
            t.add("district", dcode, "hit_rate", str(y), 0.40, 2)
            t.add("district", dcode, "margin_pct", str(y), np.floor(world.products.plan_margin[dcode] * 100) / 100, 2)
            t.add("district", dcode, "csat", str(y), 4.2, 1)
    for dcode in ("BGN", "STV", "OSL", "NKF"):  # stretch targets set for the district itself
        t.add("district", dcode, "revenue", str(cal.year), round(district_plan[(dcode, cal.year)] * 1.03, -5))


def _company_targets(
    world: World, t: _Targets, district_plan: dict[tuple[str, int], float], ka_share_prev: float
) -> None:
    year, prev_year = world.cal.year, world.cal.prev_year
    for y in (prev_year, year):
        total = sum(v for (d, yy), v in district_plan.items() if yy == y)
        t.add("company", "", "revenue", str(y), round(total, -6))
        t.add(
            "company", "", "key_account_share", str(y), round(ka_share_prev + (0.0 if y == prev_year else 0.02), 2), 2
        )
        t.add("company", "", "hit_rate", str(y), 0.40, 2)
    # Winning new customers is the company's goal, not each seller's: 20 a year.
    t.add("company", "", "new_customers", str(year), 20)
    t.add(
        "region",
        "VEST",
        "revenue",
        str(year),
        round(sum(district_plan[(d, year)] for d in DISTRICT_INFO if DISTRICT_INFO[d][3] == "VEST"), -5),
    )


def budgets_csv(world: World, district_plan: dict[tuple[str, int], float]) -> str:
    """Each district's plan split over products by its expected mix."""
    pr = world.products
    b_rows: dict[str, list[str]] = {"district_code": [], "product_code": [], "period": [], "quantity": []}
    amounts: list[int] = []
    costs: list[int] = []
    b_price = np.round(pr.list_price * (1 - BUDGET_DISCOUNT)).astype(np.int64)
    for dcode, *_r in DISTRICTS:
        for y in (world.cal.prev_year, world.cal.year):
            plan_minor = district_plan[(dcode, y)] * 0.97 * 100
            q = np.round(plan_minor * pr.rev_share[dcode] / b_price).astype(np.int64)
            for p in np.flatnonzero(q > 0):
                b_rows["district_code"].append(dcode)
                b_rows["product_code"].append(PRODUCTS[p][0])
                b_rows["period"].append(str(y))
                b_rows["quantity"].append(str(int(q[p])))
                amounts.append(q[p] * b_price[p])
                costs.append(q[p] * pr.cost[p])
    return _csv(
        {
            **b_rows,
            "amount": _money(np.array(amounts, dtype=np.int64)),
            "cost": _money(np.array(costs, dtype=np.int64)),
        }
    )


# --- logins and story ------------------------------------------------------------------------------


def logins(world: World) -> tuple[Login, ...]:
    leader_of = world.leader_of
    mover = world.by_role[("VIK", 4)]
    discounter = world.by_role[DISCOUNTER]
    return (
        Login("admin", f"admin@{DOMAIN}", "administrator"),
        Login("finance", f"okonomi@{DOMAIN}", "finance / controller"),
        Login("leader", leader_of["company"][1], f"sales director ({leader_of['company'][0]})"),
        Login("leader", leader_of["VEST"][1], f"leader of region Vest ({leader_of['VEST'][0]})"),
        Login(
            "leader",
            leader_of[WEAK_DISTRICT][1],
            f"leader of district Rogaland, falling hit rate ({leader_of[WEAK_DISTRICT][0]})",
        ),
        Login("seller", discounter.email, f"seller {discounter.code}, gives margin away ({discounter.name})"),
        Login(
            "seller",
            mover.email,
            f"seller {mover.code}, moved Viken -> Oslo "
            f"{month_start(world.cal.first_day, MOVERS[('VIK', 4)][1]):%Y-%m} ({mover.name})",
        ),
    )


def story(world: World) -> tuple[str, ...]:
    first_day, by_role = world.cal.first_day, world.by_role
    discounter = by_role[DISCOUNTER]
    story_from = month_start(first_day, STORY_START)
    when = f"in {story_from.year}" if story_from.month == 1 else f"since {story_from:%Y-%m}"
    return (
        f"Ahead of plan {when}: " + ", ".join(f"{by_role[r].code} {by_role[r].name}" for r in AHEAD),
        f"Behind plan {when} (their meetings fell first): "
        + ", ".join(f"{by_role[r].code} {by_role[r].name}" for r in BEHIND),
        f"District Bergen og Hordaland (BGN) ahead of budget {when}",
        (
            f"District Rogaland (STV): hit rate falling since {month_start(first_day, 6):%Y-%m}, revenue since "
            f"{month_start(first_day, 11):%Y-%m}, no goal conversations {when}"
        ),
        f"{discounter.code} {discounter.name} (Viken) meets revenue with 20 %+ discounts: margin given away",
        "Moves: "
        + ", ".join(
            f"{by_role[r].code} {r[0]}->{m[0]} {month_start(first_day, m[1]):%Y-%m}" for r, m in MOVERS.items()
        ),
        "New hires: "
        + ", ".join(f"{by_role[r].code} from {month_start(first_day, i):%Y-%m}" for r, i in NEW_HIRES.items()),
        (  # recorded by app/demo/steering.py once the data is loaded
            "Steering: the leaders' comments on red KPIs (in Norwegian); coaching actions in six arenas, one that "
            "worked (done), Rogaland's hit-rate training that did not, Rogaland's goal conversations overdue; "
            "goal conversations recorded outside Rogaland"
        ),
    )


def story_facts(world: World) -> dict[str, object]:
    """The story's cast and dates, for tests and the demo's note."""
    by_role = world.by_role
    return {
        "ahead_sellers": tuple(by_role[r].code for r in AHEAD),
        "behind_sellers": tuple(by_role[r].code for r in BEHIND),
        "discount_seller": by_role[DISCOUNTER].code,
        "strong_district": STRONG_DISTRICT,
        "weak_district": WEAK_DISTRICT,
        "movers": tuple(by_role[r].code for r in MOVERS),
        "new_hires": tuple(by_role[r].code for r in NEW_HIRES),
        "first_day": world.cal.first_day,  # the data's first and last day
        "last_day": world.cal.last_day,
        "story_from": month_start(world.cal.first_day, STORY_START),  # the first day of the story's ten months
    }


def write_files(company: DemoCompany, directory: str | Path) -> list[Path]:
    """Write each dataset as `<dataset>.csv` (UTF-8) into `directory`; returns the paths in load order."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in company.files.items():
        path = out / f"{name}.csv"
        path.write_text(text, encoding="utf-8", newline="")
        paths.append(path)
    return paths
