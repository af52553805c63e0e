"""The demo company's fixed tables: its districts, products and names, and the story's roles.

Month indices count from the data's first month (0); the dates in the comments are those of a demo
made in November 2026 (see app/demo/generate.py).
"""

from __future__ import annotations

SEED = 20261127
COMPANY = "Fjordkjøkken AS"
DOMAIN = "fjordkjokken.example.com"
N_MONTHS = 24  # made in November 2026: 2024-11 .. 2026-10
STORY_START = N_MONTHS - 10  # month index where the story's ten months begin (2026-01 made in November 2026)

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
