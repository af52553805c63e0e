"""The demo company's world: its calendar, its organization (sellers with their stints, leaders,
accounts, the product economics) and each seller's monthly revenue target.

`build_world` draws everything the facts are drawn over, in a fixed order, from one random
generator; the sales and activities are drawn from the same generator afterwards
(app/demo/simulate.py), and the datasets are written from both (app/demo/generate.py).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from app.demo.tables import (
    ACCOUNT_TYPES,
    ACCOUNTS_PER_DISTRICT,
    BUDGET_DISCOUNT,
    CHAIN_TYPES,
    DISTRICTS,
    DOMAIN,
    FIRST_NAMES,
    GROUP_MIX,
    GROUPS,
    KEY_ACCOUNT_NAMES,
    LAST_NAMES,
    MOVERS,
    N_MONTHS,
    NEW_HIRES,
    PRODUCTS,
    PUBLIC_TYPES,
    RAMP,
    REGIONS,
    SEASONALITY,
)

DISTRICT_INFO = {d[0]: d for d in DISTRICTS}

Person = tuple[str, str]  # (name, e-mail)


@dataclass
class Seller:
    code: str
    name: str
    email: str
    home: str  # district at hire / start of the data
    position: int
    stints: list[tuple[int, str]]  # (first month index, district)
    first_valid_from: date
    skill: float
    activity: float
    hit: float
    discount: float
    csat: float
    target_prev: int = 0  # the yearly revenue target of the year before the data's last year
    target_year: int = 0  # ... and of the data's last year
    portfolios: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)

    def district_at(self, i: int) -> str:
        return [d for at, d in self.stints if at <= i][-1]

    def portfolio(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """The seller's accounts in month i and their cumulative weights."""
        at = [a for a, _ in self.stints if a <= i][-1]
        pick, start, size = self.portfolios[at]
        live = start <= i
        return pick[live], np.cumsum(size[live])


@dataclass(frozen=True)
class Calendar:
    """The data's months (index 0 = its first month) and the plan years."""

    first_day: date
    last_day: date
    year: int  # the plan years: the data's last calendar year and the one before
    prev_year: int
    months: list[date]  # to the end of the data's last year (made in November 2026: two months past the data)
    month_no: np.ndarray
    years: np.ndarray
    weekdays: list[np.ndarray]  # per month of the data: its weekdays, ISO text
    mondays: list[np.ndarray]
    season: np.ndarray  # the month weights, summing to 1
    joined_from: date  # sellers in the company before the data starts joined in the ten years before it
    joined_by: date


@dataclass(frozen=True)
class Leader:
    person: Person
    district: str  # "" for a region's or the company's leader
    region: str  # "" for a district's or the company's leader


@dataclass
class Accounts:
    """50 per district, a few key accounts whose KAM is the district's senior seller."""

    code: list[str] = field(default_factory=list)
    name: list[str] = field(default_factory=list)
    district: list[str] = field(default_factory=list)
    segment: list[str] = field(default_factory=list)
    key: list[bool] = field(default_factory=list)
    kam: list[str] = field(default_factory=list)
    size: list[float] = field(default_factory=list)

    @property
    def district_arr(self) -> np.ndarray:
        return np.array(self.district)

    @property
    def size_arr(self) -> np.ndarray:
        return np.array(self.size)

    @property
    def key_arr(self) -> np.ndarray:
        return np.array(self.key)


@dataclass(frozen=True)
class Products:
    """Product economics per district mix (money in øre)."""

    group: np.ndarray
    list_price: np.ndarray
    cost: np.ndarray
    qlo: np.ndarray
    qhi: np.ndarray
    mix_prob: dict[str, np.ndarray]
    mix_cdf: dict[str, np.ndarray]
    rev_share: dict[str, np.ndarray]  # expected revenue share per product, per district
    plan_margin: dict[str, float]  # margin at the plan's discount, per district
    mean_line: dict[str, float]  # expected amount of a sales line, per district


@dataclass
class World:
    """Everything the datasets are drawn over, and the random generator they are drawn from."""

    rng: np.random.Generator
    cal: Calendar
    sellers: list[Seller]
    by_role: dict[tuple[str, int], Seller]  # (district, position) -> seller
    leaders: list[Leader]
    accounts: Accounts
    products: Products

    @property
    def leader_of(self) -> dict[str, Person]:
        """The leader of each district, region and of the company ("company"); the first one listed wins."""
        return {(u.district or u.region or "company"): u.person for u in reversed(self.leaders)}

    def draw(self, items: np.ndarray, cdf: np.ndarray, n: int) -> np.ndarray:
        """n items drawn with replacement, weights given as a cumulative sum (faster than choice)."""
        return items[np.searchsorted(cdf, self.rng.random(n) * cdf[-1], side="right")]

    # --- monthly revenue targets (the plan); what actually happens is in app/demo/simulate.py -----
    def plan_month(self, s: Seller, i: int) -> float:
        """The seller's revenue target for month i (before the plan years: the level of the year before)."""
        cal = self.cal
        hire = NEW_HIRES.get((s.home, s.position))
        if hire is not None and i < hire:
            return 0.0
        yearly = (
            s.target_year
            if cal.years[i] == cal.year
            else s.target_prev
            if cal.years[i] == cal.prev_year
            else s.target_prev / 1.05
        )
        ramp = RAMP[i - hire] if hire is not None and i - hire < len(RAMP) else 1.0
        return yearly * cal.season[cal.month_no[i] - 1] * ramp


def add_months(day: date, n: int) -> date:
    """The first day of the month `n` months after `day`'s (negative: before)."""
    y, m = divmod(day.year * 12 + day.month - 1 + n, 12)
    return date(y, m + 1, 1)


def data_window(today: date) -> tuple[date, date]:
    """(first day, last day) of the data made on `today`: the N_MONTHS months ending with the last
    complete month before `today`'s (made on any day of November 2026: 2024-11-01, 2026-10-31)."""
    this_month = today.replace(day=1)
    return add_months(this_month, -N_MONTHS), this_month - timedelta(days=1)


def month_start(first: date, i: int) -> date:
    """First day of month index i of data starting in `first`'s month (0 = that month)."""
    return add_months(first, i)


def _weekdays(first: date, i: int) -> np.ndarray:
    start = month_start(first, i)
    end = month_start(first, i + 1)
    days = [start + timedelta(d) for d in range((end - start).days)]
    return np.array([d.isoformat() for d in days if d.weekday() < 5])


def _ascii(text: str) -> str:
    text = text.lower().replace("ø", "o").replace("æ", "ae").replace("å", "a")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _people(rng: np.random.Generator, n: int) -> list[Person]:
    """n distinct (name, e-mail) pairs."""
    seen: set[str] = set()
    out: list[Person] = []
    while len(out) < n:
        first = FIRST_NAMES[rng.integers(len(FIRST_NAMES))]
        last = LAST_NAMES[rng.integers(len(LAST_NAMES))]
        email = f"{_ascii(first)}.{_ascii(last)}@{DOMAIN}"
        if email not in seen:
            seen.add(email)
            out.append((f"{first} {last}", email))
    return out


def build_calendar(today: date) -> Calendar:
    first_day, last_day = data_window(today)
    # Plans run to the end of the data's last year (made in November 2026: two months past the data).
    months = [month_start(first_day, i) for i in range(N_MONTHS + 12 - last_day.month)]
    weekdays = [_weekdays(first_day, i) for i in range(N_MONTHS)]
    return Calendar(
        first_day=first_day,
        last_day=last_day,
        year=last_day.year,
        prev_year=last_day.year - 1,
        months=months,
        month_no=np.array([m.month for m in months]),
        years=np.array([m.year for m in months]),
        weekdays=weekdays,
        mondays=[np.array([x for x in days if date.fromisoformat(x).weekday() == 0]) for days in weekdays],
        season=np.array(SEASONALITY) / sum(SEASONALITY),
        joined_from=add_months(first_day, -130),  # 2014-01-01 made in November 2026
        joined_by=add_months(first_day, -1),
    )


def _new_seller(rng: np.random.Generator, cal: Calendar, person: Person, code: str, dcode: str, pos: int) -> Seller:
    name, email = person
    hire = NEW_HIRES.get((dcode, pos))
    if hire is not None:
        first = month_start(cal.first_day, hire)
    else:  # in the company since before the data starts
        first = cal.joined_from + timedelta(int(rng.integers(0, 3900)))
        first = min(first, cal.joined_by)
    stints = [(hire or 0, dcode)]
    if (dcode, pos) in MOVERS:
        new_d, at = MOVERS[(dcode, pos)]
        stints.append((at, new_d))
    s = Seller(
        code=code,
        name=name,
        email=email,
        home=dcode,
        position=pos,
        stints=stints,
        first_valid_from=first,
        skill=float(rng.normal(1.0, 0.035)),
        activity=float(rng.normal(1.0, 0.06)),
        hit=float(np.clip(rng.normal(0.42, 0.035), 0.33, 0.5)),
        discount=float(rng.uniform(0.03, 0.075)),
        csat=float(rng.normal(4.25, 0.15)),
    )
    base = 9_000_000 * rng.uniform(0.8, 1.25)
    s.target_prev = int(round(base, -4))
    s.target_year = int(round(base * rng.uniform(1.04, 1.08), -4))
    return s


def build_sellers(rng: np.random.Generator, cal: Calendar, people: list[Person]) -> list[Seller]:
    """The sellers district by district, each drawing a person from `people` in turn."""
    sellers: list[Seller] = []
    for dcode, *_rest in DISTRICTS:
        for pos in range(DISTRICT_INFO[dcode][6]):
            sellers.append(_new_seller(rng, cal, people[len(sellers)], f"S{len(sellers) + 101}", dcode, pos))
    return sellers


def build_leaders(people: list[Person]) -> list[Leader]:
    """A sales director, one per region, one per district except that one leads two
    districts (TRO and BOD) and Oslo has a leader and a deputy."""
    leader_units: list[tuple[int, str, str]] = [(0, "", "")]
    for k, (rcode, _) in enumerate(REGIONS):
        leader_units.append((1 + k, "", rcode))
    idx = 4
    for dcode, *_rest in DISTRICTS:
        if dcode == "BOD":
            leader_units.append((idx - 1, dcode, ""))  # the TRO leader also leads BOD
            continue
        leader_units.append((idx, dcode, ""))
        idx += 1
        if dcode == "OSL":
            leader_units.append((idx, dcode, ""))
            idx += 1
    return [Leader(people[i], d, r) for i, d, r in leader_units]


def _account_name(
    rng: np.random.Generator, types: tuple[tuple[str, str], ...], town: str, key: bool
) -> tuple[str, str]:
    """(name, segment) of a new account."""
    if key:
        return KEY_ACCOUNT_NAMES[int(rng.integers(len(KEY_ACCOUNT_NAMES)))].format(town=town), "Nøkkelkunde"
    kind, segment = types[int(rng.integers(len(types)))]
    owner = LAST_NAMES[int(rng.integers(len(LAST_NAMES)))]
    return f"{owner} {kind} {town} AS", segment


def build_accounts(rng: np.random.Generator, by_role: dict[tuple[str, int], Seller]) -> Accounts:
    """50 per district, a few key accounts whose KAM is the district's senior seller."""
    acc = Accounts()
    used_names: set[str] = set()
    for dcode, _n, _b, _r, towns, mix, _ns, n_key in DISTRICTS:
        types = PUBLIC_TYPES if mix == "public" else CHAIN_TYPES if mix == "chains" else ACCOUNT_TYPES
        for k in range(ACCOUNTS_PER_DISTRICT):
            name, segment = _account_name(rng, types, towns[k % len(towns)], k < n_key)
            while name in used_names:
                name = f"{name} {int(rng.integers(2, 9))}"
            used_names.add(name)
            acc.code.append(f"K{len(acc.code) + 10001}")
            acc.name.append(name)
            acc.district.append(dcode)
            acc.segment.append(segment)
            acc.key.append(k < n_key)
            acc.kam.append(by_role[(dcode, 0)].code if k < n_key else "")
            acc.size.append(float(rng.lognormal(0, 0.7)) * (6.0 if k < n_key else 1.0))
    return acc


def build_products(rng: np.random.Generator) -> Products:
    """Product economics per district mix: each product's popularity drawn, the plan's margins derived."""
    p_group = np.array([p[2] for p in PRODUCTS])
    p_list = np.array([p[3] * 100 for p in PRODUCTS], dtype=np.int64)  # øre
    p_cost = np.round(p_list * np.array([p[4] for p in PRODUCTS])).astype(np.int64)
    p_qlo = np.array([p[5] for p in PRODUCTS])
    p_qhi = np.array([p[6] for p in PRODUCTS])
    popularity = rng.uniform(0.5, 1.5, len(PRODUCTS))
    mix_prob: dict[str, np.ndarray] = {}
    for mix, shares in GROUP_MIX.items():
        w = popularity * np.array(shares)[p_group]
        w = w / np.array([popularity[p_group == g].sum() for g in range(len(GROUPS))])[p_group]
        mix_prob[mix] = w / w.sum()
    mean_qty = (p_qlo + p_qhi) / 2
    # Expected revenue share per product and margin at the plan's discount, per district.
    rev_share: dict[str, np.ndarray] = {}
    plan_margin: dict[str, float] = {}
    for dcode, *_r in DISTRICTS:
        prob = mix_prob[DISTRICT_INFO[dcode][5]]
        value = prob * mean_qty * p_list
        rev_share[dcode] = value / value.sum()
        cost_ratio = float((rev_share[dcode] * p_cost / p_list).sum())
        plan_margin[dcode] = 1 - cost_ratio / (1 - BUDGET_DISCOUNT)
    mean_line = {d: float((mix_prob[DISTRICT_INFO[d][5]] * mean_qty * p_list).sum()) for d in DISTRICT_INFO}
    return Products(
        group=p_group,
        list_price=p_list,
        cost=p_cost,
        qlo=p_qlo,
        qhi=p_qhi,
        mix_prob=mix_prob,
        mix_cdf={mix: np.cumsum(prob) for mix, prob in mix_prob.items()},
        rev_share=rev_share,
        plan_margin=plan_margin,
        mean_line=mean_line,
    )


def draw_portfolios(rng: np.random.Generator, sellers: list[Seller], accounts: Accounts) -> None:
    """Each seller's customers in each stint: drawn by size from the district's accounts, most
    there from the stint's start, the rest won later; the senior seller at home keeps the key accounts."""
    acc_district_arr = accounts.district_arr
    acc_size_arr = accounts.size_arr
    acc_key_arr = accounts.key_arr
    for s in sellers:
        for at, d in s.stints:
            pool = np.flatnonzero((acc_district_arr == d) & ~acc_key_arr)
            n = int(rng.integers(16, 27))
            pick = rng.choice(pool, size=n, replace=False, p=acc_size_arr[pool] / acc_size_arr[pool].sum())
            if s.position == 0 and d == s.home:
                pick = np.concatenate([np.flatnonzero((acc_district_arr == d) & acc_key_arr), pick])
            start = np.where(
                rng.random(len(pick)) < 0.8,
                at,
                rng.integers(at + 1, N_MONTHS - 1, len(pick)) if at + 1 < N_MONTHS - 1 else at,
            )
            start[acc_key_arr[pick]] = at
            s.portfolios[at] = (pick, start, acc_size_arr[pick])


def build_world(seed: int, today: date) -> World:
    """The world of the data made on `today` from `seed`: the random draws in a fixed order."""
    rng = np.random.default_rng(seed)
    cal = build_calendar(today)
    n_sellers = sum(d[6] for d in DISTRICTS)
    people = _people(rng, n_sellers + 16)
    sellers = build_sellers(rng, cal, people)
    by_role = {(s.home, s.position): s for s in sellers}
    leaders = build_leaders(people[n_sellers:])
    accounts = build_accounts(rng, by_role)
    products = build_products(rng)
    draw_portfolios(rng, sellers, accounts)
    return World(
        rng=rng,
        cal=cal,
        sellers=sellers,
        by_role=by_role,
        leaders=leaders,
        accounts=accounts,
        products=products,
    )
