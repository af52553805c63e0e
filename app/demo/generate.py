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
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

SEED = 20261127
COMPANY = "Fjordkjøkken AS"
DOMAIN = "fjordkjokken.example.com"
N_MONTHS = 24  # made in November 2026: 2024-11 .. 2026-10
STORY_START = N_MONTHS - 10  # month index where the story's ten months begin (2026-01 made in November 2026)

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

# Month weights (sum 100): a quiet July, a strong November/December.
SEASONALITY = (7.0, 7.5, 8.5, 8.0, 8.5, 8.0, 4.0, 7.5, 9.0, 9.5, 11.0, 11.5)
# Activity level by month: holidays in July and December/January.
ACTIVITY_SEASON = (0.9, 1.05, 1.05, 1.0, 1.05, 1.0, 0.35, 1.05, 1.1, 1.1, 1.05, 0.8)

REGIONS = (("NORD", "Nord"), ("VEST", "Vest"), ("OST", "Øst"))

GROUPS = ("Kjøkkenutstyr", "Kjøl og frys", "Rengjøring", "Emballasje", "Service og avtaler", "Forbruksvarer")
# Share of sales lines per product group, by the kind of district.
GROUP_MIX = {
    "general": (0.20, 0.12, 0.19, 0.17, 0.12, 0.20),
    "cold": (0.08, 0.60, 0.08, 0.06, 0.14, 0.04),
    "service": (0.06, 0.06, 0.06, 0.02, 0.76, 0.04),
    "public": (0.24, 0.12, 0.24, 0.06, 0.12, 0.22),
    "chains": (0.06, 0.06, 0.16, 0.36, 0.06, 0.30),
}

# code, name, basis, region, towns, mix, sellers, key accounts
DISTRICTS = (
    ("TRO", "Tromsø og Finnmark", "geographic", "NORD", ("Tromsø", "Alta", "Hammerfest", "Harstad"), "general", 5, 3),
    ("BOD", "Bodø og Helgeland", "geographic", "NORD", ("Bodø", "Mo i Rana", "Mosjøen", "Svolvær"), "general", 4, 2),
    ("TRD", "Trøndelag", "geographic", "NORD", ("Trondheim", "Steinkjer", "Stjørdal", "Orkanger"), "general", 6, 3),
    ("NKF", "Kjøl og frys Nord", "product", "NORD", ("Trondheim", "Tromsø", "Bodø"), "cold", 4, 2),
    ("BGN", "Bergen og Hordaland", "geographic", "VEST", ("Bergen", "Voss", "Os", "Knarvik"), "general", 6, 3),
    ("STV", "Rogaland", "geographic", "VEST", ("Stavanger", "Sandnes", "Haugesund", "Egersund"), "general", 5, 3),
    ("MRE", "Møre og Romsdal", "geographic", "VEST", ("Ålesund", "Molde", "Kristiansund"), "general", 5, 2),
    ("OFF", "Offentlig sektor Vest", "customer", "VEST", ("Bergen", "Stavanger", "Førde", "Ålesund"), "public", 5, 3),
    ("OSL", "Oslo", "geographic", "OST", ("Oslo",), "general", 6, 3),
    ("VIK", "Viken", "geographic", "OST", ("Drammen", "Fredrikstad", "Lillestrøm", "Asker"), "general", 6, 2),
    ("KJD", "Kjeder og franchise", "customer", "OST", ("Oslo", "Bergen", "Trondheim", "Stavanger"), "chains", 4, 2),
    ("SRV", "Service og avtaler", "product", "OST", ("Oslo", "Drammen", "Hamar"), "service", 4, 2),
)
ACCOUNTS_PER_DISTRICT = 50

# code, name, group index, list price (NOK), cost / list price, quantity range per line
PRODUCTS = (
    ("KU01", "Kombidamper 6 GN", 0, 68000, 0.66, 1, 1),
    ("KU02", "Kombidamper 10 GN", 0, 96000, 0.66, 1, 1),
    ("KU03", "Induksjonstopp 4 soner", 0, 24500, 0.64, 1, 2),
    ("KU04", "Stekebord 80 cm", 0, 18900, 0.65, 1, 2),
    ("KU05", "Frityrkoker 2x10 l", 0, 14200, 0.63, 1, 2),
    ("KU06", "Oppvaskmaskin hette", 0, 42000, 0.67, 1, 1),
    ("KU07", "Kjøkkenmaskin 20 l", 0, 21500, 0.62, 1, 2),
    ("KU08", "Salamander grill", 0, 9800, 0.61, 1, 3),
    ("KF01", "Kjøleskap 700 l", 1, 27900, 0.70, 1, 3),
    ("KF02", "Fryseskap 700 l", 1, 31500, 0.71, 1, 2),
    ("KF03", "Kjølebenk 3 dører", 1, 33800, 0.70, 1, 2),
    ("KF04", "Sjokkjøler 5 GN", 1, 54000, 0.72, 1, 1),
    ("KF05", "Kjølerom 2x3 m", 1, 118000, 0.74, 1, 1),
    ("KF06", "Isbitmaskin 40 kg", 1, 22400, 0.69, 1, 2),
    ("KF07", "Salatbar kjølt", 1, 38600, 0.71, 1, 1),
    ("RE01", "Gulvvaskemaskin kompakt", 2, 16900, 0.58, 1, 1),
    ("RE02", "Grovrengjøring 5 l", 2, 289, 0.52, 6, 40),
    ("RE03", "Maskinoppvask 10 l", 2, 465, 0.50, 6, 48),
    ("RE04", "Avfetting spray 6x750 ml", 2, 398, 0.54, 4, 30),
    ("RE05", "Desinfeksjon 5 l", 2, 349, 0.53, 6, 40),
    ("RE06", "Mikrofiberkluter 10 pk", 2, 189, 0.55, 10, 60),
    ("RE07", "Tørkerull industri 6 pk", 2, 329, 0.57, 10, 80),
    ("EM01", "Take-away boks 750 ml (300)", 3, 845, 0.60, 4, 40),
    ("EM02", "Papirpose medium (250)", 3, 410, 0.58, 5, 50),
    ("EM03", "Kaffebeger 300 ml (1000)", 3, 1190, 0.61, 2, 30),
    ("EM04", "Plastfolie 45 cm", 3, 299, 0.57, 6, 36),
    ("EM05", "Aluform 2,5 l (100)", 3, 520, 0.59, 4, 40),
    ("EM06", "Vakuumposer 20x30 (100)", 3, 239, 0.56, 10, 60),
    ("EM07", "Serviett 33 cm (2000)", 3, 685, 0.60, 4, 30),
    ("SE01", "Serviceavtale basis", 4, 8400, 0.42, 1, 3),
    ("SE02", "Serviceavtale pluss", 4, 16800, 0.45, 1, 2),
    ("SE03", "Installasjon", 4, 12500, 0.48, 1, 2),
    ("SE04", "Servicetime tekniker", 4, 1150, 0.38, 2, 16),
    ("SE05", "Opplæring kjøkken (dag)", 4, 9500, 0.40, 1, 2),
    ("SE06", "Utrykning helg", 4, 4900, 0.36, 1, 2),
    ("FV01", "Engangshansker nitril (100)", 5, 119, 0.62, 20, 150),
    ("FV02", "Bakepapir 40x60 (500)", 5, 389, 0.60, 4, 30),
    ("FV03", "Filterposer kaffe (1000)", 5, 219, 0.63, 5, 40),
    ("FV04", "Grillkull 10 kg", 5, 179, 0.66, 5, 60),
    ("FV05", "Tannpirkere (1000)", 5, 59, 0.64, 10, 60),
    ("FV06", "Lys til bord (50)", 5, 249, 0.61, 4, 40),
)
BUDGET_DISCOUNT = 0.05  # the plan assumes 5 % off list price

FIRST_NAMES = (
    "Ola",
    "Kari",
    "Per",
    "Ingrid",
    "Lars",
    "Anne",
    "Jon",
    "Marit",
    "Knut",
    "Silje",
    "Erik",
    "Hilde",
    "Bjørn",
    "Tone",
    "Hans",
    "Liv",
    "Magnus",
    "Nora",
    "Sindre",
    "Ida",
    "Øyvind",
    "Åse",
    "Torbjørn",
    "Solveig",
    "Geir",
    "Mette",
    "Espen",
    "Ragnhild",
    "Håkon",
    "Sigrid",
    "Trond",
    "Kristin",
    "Eirik",
    "Hanne",
    "Vegard",
    "Camilla",
    "Jørgen",
    "Thea",
    "Stian",
    "Maria",
    "Arne",
    "Linn",
    "Rune",
    "Heidi",
    "Fredrik",
    "Tuva",
    "Martin",
    "Ane",
    "Sverre",
    "Guro",
)
LAST_NAMES = (
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kristiansen",
    "Jensen",
    "Karlsen",
    "Berg",
    "Haugen",
    "Hagen",
    "Bakken",
    "Solberg",
    "Dahl",
    "Lie",
    "Strand",
    "Moen",
    "Ødegård",
    "Bjørnstad",
    "Sæther",
    "Fjeld",
    "Lunde",
    "Aas",
    "Nygård",
    "Vik",
    "Myhre",
    "Holm",
    "Eide",
    "Brekke",
    "Halvorsen",
    "Tveit",
    "Rønning",
    "Sørensen",
    "Jakobsen",
    "Lien",
    "Næss",
    "Aune",
    "Amundsen",
)
# account type, segment
ACCOUNT_TYPES = (
    ("Hotell", "HoReCa"),
    ("Restaurant", "HoReCa"),
    ("Kafé", "HoReCa"),
    ("Pizzeria", "HoReCa"),
    ("Brasserie", "HoReCa"),
    ("Kantine", "Kantine"),
    ("Catering", "Kantine"),
    ("Bakeri", "Dagligvare"),
    ("Matbutikk", "Dagligvare"),
    ("Sykehjem", "Offentlig"),
    ("Skole", "Offentlig"),
    ("Barnehage", "Offentlig"),
)
PUBLIC_TYPES = (
    ("Sykehjem", "Offentlig"),
    ("Skole", "Offentlig"),
    ("Barnehage", "Offentlig"),
    ("Helsehus", "Offentlig"),
    ("Kommunekjøkken", "Offentlig"),
)
CHAIN_TYPES = (
    ("Burgerbar", "Kjede"),
    ("Kaffebar", "Kjede"),
    ("Kiosk", "Kjede"),
    ("Pizzakjede", "Kjede"),
    ("Bakerikjede", "Kjede"),
)
KEY_ACCOUNT_NAMES = (
    "{town} kommune storkjøkken",
    "Fjordhotellene {town}",
    "Nordisk Kantinedrift {town}",
    "{town} universitetssykehus",
    "Kystbaker {town}",
    "Helse {town} innkjøp",
)

# Story roles by (district, position of the seller in the district).
AHEAD = (("OSL", 1), ("TRD", 2), ("MRE", 1))
BEHIND = (("TRO", 1), ("OFF", 2), ("KJD", 1))
DISCOUNTER = ("VIK", 1)
# Month indices count from the data's first month (0); the dates are those of a demo made in November 2026.
MOVERS = {  # (district, position) -> (new district, month index of the move)
    ("TRO", 3): ("BOD", 10),  # 2025-09-01
    ("MRE", 4): ("BGN", 5),  # 2025-04-01
    ("VIK", 4): ("OSL", 14),  # 2026-01-01
    ("KJD", 3): ("VIK", 18),  # 2026-05-01
}
NEW_HIRES = {("TRD", 5): 9, ("OSL", 5): 16}  # hired 2025-08-01 and 2026-03-01
STRONG_DISTRICT = "BGN"
WEAK_DISTRICT = "STV"
RAMP = (0.4, 0.6, 0.8, 0.9)  # a new hire's share of a full target in their first months


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


@dataclass
class _Seller:
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


def _money(minor: np.ndarray) -> list[str]:
    """Integer øre as '1234.50' / '-12.00'."""
    return [f"{'-' if v < 0 else ''}{abs(v) // 100}.{abs(v) % 100:02d}" for v in minor.tolist()]


def _csv(columns: dict[str, list | np.ndarray]) -> str:
    """Comma-delimited UTF-8 text with a header; fields quoted only where needed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns.keys())
    writer.writerows(zip(*(v.tolist() if isinstance(v, np.ndarray) else v for v in columns.values()), strict=True))
    return out.getvalue()


def _people(rng: np.random.Generator, n: int) -> list[tuple[str, str]]:
    """n distinct (name, e-mail) pairs."""
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    while len(out) < n:
        first = FIRST_NAMES[rng.integers(len(FIRST_NAMES))]
        last = LAST_NAMES[rng.integers(len(LAST_NAMES))]
        email = f"{_ascii(first)}.{_ascii(last)}@{DOMAIN}"
        if email not in seen:
            seen.add(email)
            out.append((f"{first} {last}", email))
    return out


def generate(seed: int = SEED, *, today: date | None = None) -> DemoCompany:
    """The whole demo company for `seed`, with data ending on the last day of the month before
    `today`'s (default: the real today); the same seed and month give byte-identical files."""
    first_day, last_day = data_window(today or date.today())
    rng = np.random.default_rng(seed)
    season = np.array(SEASONALITY) / sum(SEASONALITY)
    year = last_day.year  # the plan years: the data's last calendar year and the one before
    prev_year = year - 1
    # Plans run to the end of the data's last year (made in November 2026: two months past the data).
    months = [month_start(first_day, i) for i in range(N_MONTHS + 12 - last_day.month)]
    month_no = np.array([m.month for m in months])
    years = np.array([m.year for m in months])
    weekdays = [_weekdays(first_day, i) for i in range(N_MONTHS)]
    # Sellers in the company before the data starts joined in the ten years before it.
    joined_from = add_months(first_day, -130)  # 2014-01-01 made in November 2026
    joined_by = add_months(first_day, -1)
    files: dict[str, str] = {}

    # --- organization -------------------------------------------------------------------------
    files["regions"] = _csv({"code": [c for c, _ in REGIONS], "name": [n for _, n in REGIONS]})
    files["districts"] = _csv(
        {
            "code": [d[0] for d in DISTRICTS],
            "name": [d[1] for d in DISTRICTS],
            "basis": [d[2] for d in DISTRICTS],
            "region_code": [d[3] for d in DISTRICTS],
        }
    )
    district_info = {d[0]: d for d in DISTRICTS}

    n_sellers = sum(d[6] for d in DISTRICTS)
    people = _people(rng, n_sellers + 16)
    sellers: list[_Seller] = []
    by_role: dict[tuple[str, int], _Seller] = {}
    for dcode, *_rest in DISTRICTS:
        for pos in range(district_info[dcode][6]):
            name, email = people[len(sellers)]
            hire = NEW_HIRES.get((dcode, pos))
            if hire is not None:
                first = month_start(first_day, hire)
            else:  # in the company since before the data starts
                first = joined_from + timedelta(int(rng.integers(0, 3900)))
                first = min(first, joined_by)
            stints = [(hire or 0, dcode)]
            if (dcode, pos) in MOVERS:
                new_d, at = MOVERS[(dcode, pos)]
                stints.append((at, new_d))
            s = _Seller(
                code=f"S{len(sellers) + 101}",
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
            sellers.append(s)
            by_role[(dcode, pos)] = s

    seller_rows = {"code": [], "name": [], "email": [], "district_code": [], "valid_from": []}
    for s in sellers:
        for k, (at, d) in enumerate(s.stints):
            seller_rows["code"].append(s.code)
            seller_rows["name"].append(s.name)
            seller_rows["email"].append(s.email)
            seller_rows["district_code"].append(d)
            seller_rows["valid_from"].append((s.first_valid_from if k == 0 else month_start(first_day, at)).isoformat())
    files["sellers"] = _csv(seller_rows)

    # Leaders: a sales director, one per region, one per district except that one leads two
    # districts (TRO and BOD) and Oslo has a leader and a deputy.
    leader_people = people[n_sellers:]
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
    files["leaders"] = _csv(
        {
            "email": [leader_people[i][1] for i, _, _ in leader_units],
            "name": [leader_people[i][0] for i, _, _ in leader_units],
            "district_code": [d for _, d, _ in leader_units],
            "region_code": [r for _, _, r in leader_units],
        }
    )
    leader_of = {(d or r or "company"): leader_people[i] for i, d, r in reversed(leader_units)}

    # Accounts: 50 per district, a few key accounts whose KAM is the district's senior seller.
    acc_code: list[str] = []
    acc_name: list[str] = []
    acc_district: list[str] = []
    acc_segment: list[str] = []
    acc_key: list[bool] = []
    acc_kam: list[str] = []
    acc_size: list[float] = []
    used_names: set[str] = set()
    for dcode, _n, _b, _r, towns, mix, _ns, n_key in DISTRICTS:
        types = PUBLIC_TYPES if mix == "public" else CHAIN_TYPES if mix == "chains" else ACCOUNT_TYPES
        for k in range(ACCOUNTS_PER_DISTRICT):
            town = towns[k % len(towns)]
            if k < n_key:
                name = KEY_ACCOUNT_NAMES[int(rng.integers(len(KEY_ACCOUNT_NAMES)))].format(town=town)
                segment = "Nøkkelkunde"
            else:
                kind, segment = types[int(rng.integers(len(types)))]
                owner = LAST_NAMES[int(rng.integers(len(LAST_NAMES)))]
                name = f"{owner} {kind} {town} AS"
            while name in used_names:
                name = f"{name} {int(rng.integers(2, 9))}"
            used_names.add(name)
            acc_code.append(f"K{len(acc_code) + 10001}")
            acc_name.append(name)
            acc_district.append(dcode)
            acc_segment.append(segment)
            acc_key.append(k < n_key)
            acc_kam.append(by_role[(dcode, 0)].code if k < n_key else "")
            acc_size.append(float(rng.lognormal(0, 0.7)) * (6.0 if k < n_key else 1.0))
    files["accounts"] = _csv(
        {
            "code": acc_code,
            "name": acc_name,
            "district_code": acc_district,
            "segment": acc_segment,
            "key_account": ["true" if k else "false" for k in acc_key],
            "kam_seller_code": acc_kam,
        }
    )
    acc_district_arr = np.array(acc_district)
    acc_size_arr = np.array(acc_size)
    acc_key_arr = np.array(acc_key)

    files["products"] = _csv(
        {
            "code": [p[0] for p in PRODUCTS],
            "name": [p[1] for p in PRODUCTS],
            "product_group": [GROUPS[p[2]] for p in PRODUCTS],
        }
    )
    files["seasonality"] = _csv(
        {
            "month": [str(m) for m in range(1, 13)],
            "weight": [f"{w:.1f}" for w in SEASONALITY],
        }
    )

    # --- product economics per district mix ---------------------------------------------------
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
        prob = mix_prob[district_info[dcode][5]]
        value = prob * mean_qty * p_list
        rev_share[dcode] = value / value.sum()
        cost_ratio = float((rev_share[dcode] * p_cost / p_list).sum())
        plan_margin[dcode] = 1 - cost_ratio / (1 - BUDGET_DISCOUNT)
    mean_line = {d: float((mix_prob[district_info[d][5]] * mean_qty * p_list).sum()) for d in district_info}

    # --- who is where, and their customers --------------------------------------------------
    def district_at(s: _Seller, i: int) -> str:
        return [d for at, d in s.stints if at <= i][-1]

    for s in sellers:
        for k, (at, d) in enumerate(s.stints):
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

    def portfolio(s: _Seller, i: int) -> tuple[np.ndarray, np.ndarray]:
        """The seller's accounts in month i and their cumulative weights."""
        at = [a for a, _ in s.stints if a <= i][-1]
        pick, start, size = s.portfolios[at]
        live = start <= i
        return pick[live], np.cumsum(size[live])

    def draw(items: np.ndarray, cdf: np.ndarray, n: int) -> np.ndarray:
        """n items drawn with replacement, weights given as a cumulative sum (faster than choice)."""
        return items[np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right")]

    product_idx = np.arange(len(PRODUCTS))
    mix_cdf = {mix: np.cumsum(prob) for mix, prob in mix_prob.items()}
    mondays_of = [np.array([x for x in days if date.fromisoformat(x).weekday() == 0]) for days in weekdays]

    # --- monthly revenue targets (the plan) and what actually happens -----------------------
    def plan_month(s: _Seller, i: int) -> float:
        """The seller's revenue target for month i (before the plan years: the level of the year before)."""
        hire = NEW_HIRES.get((s.home, s.position))
        if hire is not None and i < hire:
            return 0.0
        yearly = s.target_year if years[i] == year else s.target_prev if years[i] == prev_year else s.target_prev / 1.05
        ramp = RAMP[i - hire] if hire is not None and i - hire < len(RAMP) else 1.0
        return yearly * season[month_no[i] - 1] * ramp

    def perf(s: _Seller, i: int) -> float:
        """Actual over plan for month i: the story lives here."""
        role = (s.home, s.position)
        f = s.skill
        story = i >= STORY_START  # the story's ten months
        if role in AHEAD:
            f = 1.22 if story else 1.04
        elif role in BEHIND:
            f = 0.9 - 0.022 * (i - STORY_START) if story else 0.97  # 0.90 in its first month to 0.70 in its last
        elif role == DISCOUNTER:
            f = 1.04 if story else 1.0
        d = district_at(s, i)
        if d == STRONG_DISTRICT and story:
            f *= 1.13
        if d == WEAK_DISTRICT and i >= 11:  # from 2025-10 on
            f *= max(0.72, 1 - 0.035 * (i - 10))
        return f

    def activity_level(s: _Seller, i: int) -> float:
        role = (s.home, s.position)
        a = s.activity
        if role in AHEAD:
            a = 1.15
        elif role in BEHIND and i >= 10:  # meetings fall from 2025-09
            a = max(0.55, 1.0 - 0.05 * (i - 9))
        if district_at(s, i) == STRONG_DISTRICT:
            a *= 1.08
        return a * ACTIVITY_SEASON[month_no[i] - 1]

    def hit_rate(s: _Seller, i: int) -> float:
        role = (s.home, s.position)
        h = 0.5 if role in AHEAD else 0.32 if role in BEHIND and i >= 12 else s.hit
        if district_at(s, i) == WEAK_DISTRICT and i >= 6:  # falls from 2025-05
            h = max(0.16, h - 0.025 * (i - 5))
        return h

    def discount(s: _Seller, i: int) -> float:
        if (s.home, s.position) == DISCOUNTER and i >= STORY_START:
            return (0.14, 0.18)[i - STORY_START] if i - STORY_START < 2 else 0.23
        return s.discount

    sale_parts: list[tuple] = []
    act_parts: list[tuple] = []
    for si, s in enumerate(sellers):
        for i in range(N_MONTHS):
            plan = plan_month(s, i)
            if plan <= 0:
                continue
            d = district_at(s, i)
            accounts, acc_p = portfolio(s, i)
            days = weekdays[i]
            # Sales: draw lines until the month's revenue is reached (1.2 % extra for credit notes).
            goal = plan * perf(s, i) * rng.lognormal(0, 0.08) * 1.012 * 100
            n_max = int(goal / mean_line[d] * 2.5) + 20
            prod = draw(product_idx, mix_cdf[district_info[d][5]], n_max)
            qty = rng.integers(p_qlo[prod], p_qhi[prod] + 1)
            disc = np.clip(discount(s, i) + rng.uniform(-0.02, 0.02, n_max), 0, 0.4)
            unit = np.round(p_list[prod] * (1 - disc)).astype(np.int64)
            amount = qty * unit
            # Keep the line that crosses the goal when at least half of it is needed: no bias.
            k = min(n_max, int(np.searchsorted(np.cumsum(amount) - amount / 2, goal)))
            prod, qty, amount = prod[:k], qty[:k], amount[:k]
            cost = qty * p_cost[prod]
            acc = draw(accounts, acc_p, k)
            day = days[rng.integers(0, len(days), k)]
            # Credit notes: a return of part of an earlier line, all signs negative.
            n_cr = int(rng.binomial(k, 0.015))
            if n_cr:
                src = rng.choice(k, size=n_cr, replace=False)
                cq = np.maximum(1, (qty[src] * rng.uniform(0.2, 1.0, n_cr)).astype(np.int64))
                cunit = amount[src] // qty[src]
                prod = np.concatenate([prod, prod[src]])
                acc = np.concatenate([acc, acc[src]])
                day = np.concatenate([day, days[rng.integers(0, len(days), n_cr)]])
                amount = np.concatenate([amount, -cq * cunit])
                cost = np.concatenate([cost, -cq * p_cost[prod[src]]])
                qty = np.concatenate([qty, -cq])
            sale_parts.append((day, np.full(len(qty), si), acc, prod, qty, amount, cost))

            # Activities.
            lvl = activity_level(s, i)
            rows: list[tuple[np.ndarray, str, np.ndarray, list[str]]] = []  # day, type, account, value
            for typ, rate in (("meeting", 14.0), ("proposal", 6.0)):
                n = int(rng.poisson(rate * lvl))
                rows.append((days[rng.integers(0, len(days), n)], typ, draw(accounts, acc_p, n), [""] * n))
            decided = int(rng.poisson(4.5 * lvl))
            won = int(rng.binomial(decided, hit_rate(s, i)))
            for typ, n in (("won", won), ("lost", decided - won)):
                rows.append((days[rng.integers(0, len(days), n)], typ, draw(accounts, acc_p, n), [""] * n))
            mondays = mondays_of[i]
            calls = rng.poisson(7 * lvl, len(mondays))
            rows.append(
                (mondays[calls > 0], "call", np.full(int((calls > 0).sum()), -1), [str(c) for c in calls[calls > 0]])
            )
            n = int(rng.poisson(0.55))
            hours = rng.choice(np.array(["2", "3", "4", "4", "7.5"]), n)
            rows.append((days[rng.integers(0, len(days), n)], "training_hours", np.full(n, -1), list(hours)))
            n = 0 if month_no[i] == 7 else int(rng.poisson(1.1))
            rows.append((days[rng.integers(0, len(days), n)], "coaching_session", np.full(n, -1), [""] * n))
            if month_no[i] in (1, 8) and not (d == WEAK_DISTRICT and i >= STORY_START):
                rows.append((days[rng.integers(0, len(days), 1)], "goal_conversation", np.full(1, -1), [""]))
            n = int(rng.poisson(2.2))
            mu = s.csat - (0.55 if d == WEAK_DISTRICT and i >= 12 else 0.0)
            score = np.clip(np.round(rng.normal(mu, 0.7, n)), 1, 5).astype(int)
            rows.append(
                (days[rng.integers(0, len(days), n)], "csat", draw(accounts, acc_p, n), [str(v) for v in score])
            )
            for day_a, typ, acc_a, val in rows:
                if len(day_a):
                    act_parts.append((day_a, si, typ, acc_a, val))

    # --- sales.csv ------------------------------------------------------------------------------
    day = np.concatenate([p[0] for p in sale_parts])
    sel = np.concatenate([p[1] for p in sale_parts])
    acc = np.concatenate([p[2] for p in sale_parts])
    prod = np.concatenate([p[3] for p in sale_parts])
    qty = np.concatenate([p[4] for p in sale_parts])
    amount = np.concatenate([p[5] for p in sale_parts])
    cost = np.concatenate([p[6] for p in sale_parts])
    order = np.lexsort((sel, day))  # invoice numbers run with the date
    seller_codes = np.array([s.code for s in sellers])
    acc_codes = np.array(acc_code)
    prod_codes = np.array([p[0] for p in PRODUCTS])
    files["sales"] = _csv(
        {
            "id": [f"F{n:07d}" for n in range(1, len(order) + 1)],
            "date": day[order],
            "seller_code": seller_codes[sel[order]],
            "account_code": acc_codes[acc[order]],
            "product_code": prod_codes[prod[order]],
            "quantity": [str(q) for q in qty[order].tolist()],
            "amount": _money(amount[order]),
            "cost": _money(cost[order]),
        }
    )

    # --- activities.csv ------------------------------------------------------------------------
    a_day = np.concatenate([p[0] for p in act_parts])
    a_sel = np.concatenate([np.full(len(p[0]), p[1]) for p in act_parts])
    a_typ = np.concatenate([np.full(len(p[0]), p[2]) for p in act_parts])
    a_acc = np.concatenate([p[3] for p in act_parts])
    a_val = np.array([v for p in act_parts for v in p[4]], dtype=object)
    order = np.lexsort((a_sel, a_day))
    acc_or_empty = np.where(a_acc >= 0, acc_codes[np.maximum(a_acc, 0)], "")
    files["activities"] = _csv(
        {
            "id": [f"A{n:07d}" for n in range(1, len(order) + 1)],
            "date": a_day[order],
            "seller_code": seller_codes[a_sel[order]],
            "account_code": acc_or_empty[order],
            "type": a_typ[order],
            "value": a_val[order],
        }
    )

    # --- targets.csv --------------------------------------------------------------------------
    # Plans built from last year's realized figures use the sales of the year before the data's last.
    in_prev = np.char.startswith(day.astype(str), str(prev_year))
    ka_share_prev = _share(amount[in_prev], acc_key_arr[acc[in_prev]])
    t_rows: list[tuple[str, str, str, str, str]] = []

    def target(level: str, code: str, kpi: str, period: str, value: float, decimals: int = 0) -> None:
        t_rows.append((level, code, kpi, period, f"{value:.{decimals}f}"))

    for s in sellers:
        mp = plan_margin[s.home]
        hire = NEW_HIRES.get((s.home, s.position))
        mine = sel == sellers.index(s)
        for y, yearly in ((prev_year, s.target_prev), (year, s.target_year)):
            if hire is not None and years[hire] == y:
                # Hired during the year: monthly targets from the first month, ramping up.
                for i in range(hire, len(months)):
                    if years[i] != y:
                        continue
                    rev = round(plan_month(s, i), -3)
                    period = months[i].strftime("%Y-%m")
                    target("seller", s.code, "revenue", period, rev)
                    target("seller", s.code, "gross_margin", period, round(rev * mp, -3))
                    for kpi, per_year in (
                        ("meetings", 160),
                        ("proposals", 70),
                        ("training_hours", 24),
                        ("coaching_sessions", 14),
                    ):
                        target("seller", s.code, kpi, period, per_year * season[month_no[i] - 1], 1)
            elif hire is None or years[hire] < y:
                target("seller", s.code, "revenue", str(y), yearly)
                target("seller", s.code, "gross_margin", str(y), round(yearly * mp, -3))
                target("seller", s.code, "meetings", str(y), 160)
                target("seller", s.code, "proposals", str(y), 70)
                target("seller", s.code, "training_hours", str(y), 24)
                target("seller", s.code, "coaching_sessions", str(y), 14)
            else:
                continue
            target("seller", s.code, "margin_pct", str(y), np.floor(mp * 100) / 100, 2)
            target("seller", s.code, "hit_rate", str(y), 0.40, 2)
            target("seller", s.code, "csat", str(y), 4.2, 1)
            pick = s.portfolios[s.stints[0][0]][0]
            target("seller", s.code, "active_customers", str(y), max(8, round(len(pick) * 0.7)))
            if s.position == 0:
                own = mine & in_prev
                share = _share(amount[own], acc_key_arr[acc[own]])
                raised = share + (0.0 if y == prev_year else 0.03)
                target("seller", s.code, "key_account_share", str(y), round(raised, 2), 2)
    for dcode, *_r in DISTRICTS:
        for y in (prev_year, year):
            target("district", dcode, "hit_rate", str(y), 0.40, 2)
            target("district", dcode, "margin_pct", str(y), np.floor(plan_margin[dcode] * 100) / 100, 2)
            target("district", dcode, "csat", str(y), 4.2, 1)
    district_plan = {(d, y): 0.0 for d in district_info for y in (prev_year, year)}
    for s in sellers:
        for i in range(len(months)):
            plan = plan_month(s, i)
            if years[i] >= prev_year and plan > 0:
                district_plan[(district_at(s, i), int(years[i]))] += plan
    for dcode in ("BGN", "STV", "OSL", "NKF"):  # stretch targets set for the district itself
        target("district", dcode, "revenue", str(year), round(district_plan[(dcode, year)] * 1.03, -5))
    for y in (prev_year, year):
        total = sum(v for (d, yy), v in district_plan.items() if yy == y)
        target("company", "", "revenue", str(y), round(total, -6))
        target(
            "company", "", "key_account_share", str(y), round(ka_share_prev + (0.0 if y == prev_year else 0.02), 2), 2
        )
        target("company", "", "hit_rate", str(y), 0.40, 2)
    # Winning new customers is the company's goal, not each seller's: 20 a year.
    target("company", "", "new_customers", str(year), 20)
    target(
        "region",
        "VEST",
        "revenue",
        str(year),
        round(sum(district_plan[(d, year)] for d in district_info if district_info[d][3] == "VEST"), -5),
    )
    files["targets"] = _csv(
        {k: [r[j] for r in t_rows] for j, k in enumerate(("level", "code", "kpi", "period", "value"))}
    )

    # --- budgets.csv: each district's plan split over products by its expected mix ------------
    b_rows = {"district_code": [], "product_code": [], "period": [], "quantity": [], "amount": [], "cost": []}
    b_price = np.round(p_list * (1 - BUDGET_DISCOUNT)).astype(np.int64)
    for dcode, *_r in DISTRICTS:
        for y in (prev_year, year):
            plan_minor = district_plan[(dcode, y)] * 0.97 * 100
            q = np.round(plan_minor * rev_share[dcode] / b_price).astype(np.int64)
            for p in np.flatnonzero(q > 0):
                b_rows["district_code"].append(dcode)
                b_rows["product_code"].append(PRODUCTS[p][0])
                b_rows["period"].append(str(y))
                b_rows["quantity"].append(str(int(q[p])))
                b_rows["amount"].append(q[p] * b_price[p])
                b_rows["cost"].append(q[p] * p_cost[p])
    b_rows["amount"] = _money(np.array(b_rows["amount"], dtype=np.int64))
    b_rows["cost"] = _money(np.array(b_rows["cost"], dtype=np.int64))
    files["budgets"] = _csv(b_rows)

    files = {name: files[name] for name in DATASET_ORDER}

    # --- logins and story ---------------------------------------------------------------------
    mover = by_role[("VIK", 4)]
    discounter = by_role[DISCOUNTER]
    logins = (
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
            f"{month_start(first_day, MOVERS[('VIK', 4)][1]):%Y-%m} ({mover.name})",
        ),
    )
    story_from = month_start(first_day, STORY_START)
    when = f"in {story_from.year}" if story_from.month == 1 else f"since {story_from:%Y-%m}"
    story = (
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
    )
    facts = {
        "ahead_sellers": tuple(by_role[r].code for r in AHEAD),
        "behind_sellers": tuple(by_role[r].code for r in BEHIND),
        "discount_seller": discounter.code,
        "strong_district": STRONG_DISTRICT,
        "weak_district": WEAK_DISTRICT,
        "movers": tuple(by_role[r].code for r in MOVERS),
        "new_hires": tuple(by_role[r].code for r in NEW_HIRES),
        "first_day": first_day,  # the data's first and last day
        "last_day": last_day,
        "story_from": story_from,  # the first day of the story's ten months
    }
    return DemoCompany(files=files, logins=logins, story=story, facts=facts)


def _share(amount: np.ndarray, is_key: np.ndarray) -> float:
    total = amount.sum()
    return float(amount[is_key].sum() / total) if total else 0.0


def write_files(company: DemoCompany, directory) -> list:  # noqa: ANN001
    """Write each dataset as `<dataset>.csv` (UTF-8) into `directory`; returns the paths in load order."""
    from pathlib import Path

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in company.files.items():
        path = out / f"{name}.csv"
        path.write_text(text, encoding="utf-8", newline="")
        paths.append(path)
    return paths
