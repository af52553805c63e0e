"""The demo company's steering: the comments, coaching actions and goal conversations that tell its story.

`seed_steering(session, company)` runs after the datasets are loaded and the logins made. It writes
through the steering services (app.steering.comments, .actions, .conversations), as the demo's
leaders would through the API, each with their own scope, so every write is checked and audited as a
real one is. The story (app/demo/generate.py `story()`):

- Rogaland (STV): its leader explains the falling hit rate and the revenue that follows it; a training
  action on the hit rate that did not work; an action to hold goal conversations that is overdue, and
  still no goal conversation in the story's months (the attention list's `goal_conversations` area);
- Viken: the seller who gives the margin away in discounts, a comment on her margin, an action with a
  note by her leader and one by herself, a goal conversation that agrees her margin target;
- Bergen og Hordaland ahead of budget, and an action that worked (the attainment moved up), done with
  an outcome;
- the sellers behind plan (their meetings fell first): comments, a practice and an appraisal action,
  goal conversations; the new hire's start-up conversation; a mover's first months in the new district.

Dates follow the demo's calendar (`company.facts`: first_day, last_day), so `scorecard demo --today X`
tells the same story in its own months; nothing is recorded in the real future (a demo made as of a day
still to come leaves out what would be). Which month an action opens in (its baseline) is
picked from the figures, so "worked" and "did not work" hold whatever month the demo is made in: the
candidates are the story's units and KPIs, and the first whose months since the baseline show the
story's shape is taken. A comment explains a KPI in a month it was red (the latest of the last few).

Texts are in Norwegian bokmål: the demo company is Norwegian.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access import EVERYTHING, Scope, scope_for
from app.analytics.scorecard import ON_TARGET
from app.demo.world import add_months
from app.models import District, Leader, LeaderUnit, Region, Seller, SellerDistrict, Target, User
from app.models.steering import CoachingAction, Comment
from app.scorecards import service as scorecards
from app.steering import actions, comments, conversations
from app.steering.schemas import (
    ActionCreate,
    ActionUpdate,
    AgreedKpi,
    CommentCreate,
    GoalConversationCreate,
    NoteCreate,
)

if TYPE_CHECKING:
    from app.demo.generate import DemoCompany

MONTHS_NB: tuple[str, ...] = ("januar", "februar", "mars", "april", "mai", "juni")
MONTHS_NB += ("juli", "august", "september", "oktober", "november", "desember")
TREND_MONTHS = 12  # how far back the figures the seeding reads go


@dataclass(frozen=True)
class Seeded:
    comments: int
    actions: int
    conversations: int


def _period(day: date) -> str:
    return day.strftime("%Y-%m")


def _first(period: str) -> date:
    return date.fromisoformat(f"{period}-01")


def _shift(period: str, months: int) -> str:
    return _period(add_months(_first(period), months))


def _month_nb(period: str) -> str:
    return MONTHS_NB[int(period[5:7]) - 1]


def _pct(ratio: float | None) -> str:
    """0.1176 -> '12 %' (Norwegian style)."""
    return "–" if ratio is None else f"{ratio * 100:.0f} %"


def _weekday_on_or_after(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


class _Demo:
    """The demo's calendar, its logins and its figures, read once."""

    def __init__(self, session: Session, company: DemoCompany) -> None:
        self.session = session
        self.facts = company.facts
        self.first_day = self._day("first_day")
        self.last_day = self._day("last_day")
        self.latest = _period(self.last_day)  # the data's last month: the month the pages open on
        self.now = datetime.now(UTC)
        self.today = date.today()
        self._trends: dict[tuple[str, str], dict[str, dict[str, dict[str, Any]]]] = {}
        self._scopes: dict[int, Scope] = {}

    # --- the story's facts (app/demo/generate.py story_facts) ----------------------------------------
    def _day(self, key: str) -> date:
        value = self.facts[key]
        if not isinstance(value, date):
            raise TypeError(f"story fact {key} is not a date")
        return value

    def code(self, key: str) -> str:
        return str(self.facts[key])

    def codes(self, key: str) -> tuple[str, ...]:
        value = self.facts[key]
        if not isinstance(value, tuple):
            raise TypeError(f"story fact {key} is not a tuple")
        return tuple(str(v) for v in value)

    # --- time ----------------------------------------------------------------------------------
    def month(self, back: int) -> str:
        """The month `back` months before the data's last one (0: the last one)."""
        return _shift(self.latest, -back)

    def written(self, period: str, days: int = 1, hour: int = 8) -> datetime | None:
        """When a leader writes about `period`: `days` after its last day (at the next month's sales
        meeting), never after the real now; None when the month has not ended by the real now (a demo
        made as of a day still to come: nothing is recorded in the real future)."""
        after = add_months(_first(period), 1)
        at = min(datetime.combine(after + timedelta(days=days - 1), time(hour, 30), tzinfo=UTC), self.now)
        return at if at.date() >= after else None

    # --- who -------------------------------------------------------------------------------------
    def user(self, email: str) -> User | None:
        return self.session.scalar(select(User).where(User.email == email.lower()))

    def admin(self) -> User:
        found = self.session.scalar(select(User).where(User.role == "admin").order_by(User.id))
        if found is None:
            raise RuntimeError("the demo's logins are made before its steering")
        return found

    def scope(self, user: User) -> Scope:
        if user.id not in self._scopes:
            self._scopes[user.id] = scope_for(self.session, user)
        return self._scopes[user.id]

    def seller(self, code: str) -> Seller:
        found = self.session.scalar(select(Seller).where(Seller.code == code))
        if found is None:
            raise RuntimeError(f"the demo has no seller {code}")
        return found

    def district_of(self, seller_code: str, period: str) -> str:
        """The seller's district on the period's last day."""
        on = add_months(_first(period), 1) - timedelta(days=1)
        code = self.session.scalar(
            select(District.code)
            .join(SellerDistrict, SellerDistrict.district_id == District.id)
            .join(Seller, Seller.id == SellerDistrict.seller_id)
            .where(Seller.code == seller_code, SellerDistrict.valid_from <= on)
            .order_by(SellerDistrict.valid_from.desc())
            .limit(1)
        )
        if code is None:
            raise RuntimeError(f"seller {seller_code} has no district in {period}")
        return code

    def _leader_chain(self, level: str, code: str, period: str) -> list[tuple[str, str]]:
        """The units whose leaders lead the unit, nearest first: its district, region, the company."""
        district = self.district_of(code, period) if level == "seller" else code if level == "district" else None
        region = code if level == "region" else None
        if district is not None:
            region = self.session.scalar(
                select(Region.code).join(District, District.region_id == Region.id).where(District.code == district)
            )
        chain = [("district", district)] if district else []
        chain += [("region", region)] if region else []
        return [*chain, ("company", "")]

    def leaders_email(self, level: str, code: str, period: str) -> str:
        """The e-mail of the unit's nearest leader (whether or not they have a login): an action's owner."""
        for unit_level, unit_code in self._leader_chain(level, code, period):
            for email in self._leader_emails(unit_level, unit_code):
                return email
        return self.admin().email

    def leader_login(self, level: str, code: str, period: str) -> User:
        """The unit's own leader if they have a login, else the nearest leader above who has one (the demo's
        logins are a few of its leaders); the administrator when none has."""
        for unit_level, unit_code in self._leader_chain(level, code, period):
            for email in self._leader_emails(unit_level, unit_code):
                found = self.user(email)
                if found is not None and found.role == "leader" and found.is_active:
                    return found
        return self.admin()

    def _leader_emails(self, level: str, code: str) -> list[str]:
        stmt = select(Leader.email).join(LeaderUnit, LeaderUnit.leader_id == Leader.id).where(LeaderUnit.level == level)
        if level != "company":
            stmt = stmt.where(LeaderUnit.unit_code == code)
        return [email.lower() for email in self.session.scalars(stmt.order_by(Leader.id))]

    # --- the figures -----------------------------------------------------------------------------
    def months_of(self, level: str, code: str) -> dict[str, dict[str, dict[str, Any]]]:
        """KPI -> period -> {actual, target, attainment, status} for the unit's last TREND_MONTHS months."""
        key = (level, code)
        if key not in self._trends:
            raw = scorecards.trend_json(
                self.session, scope=EVERYTHING, level=level, code=code, period=self.latest, months=TREND_MONTHS
            )
            if raw is None:
                raise RuntimeError(f"the demo has no {level} {code}")
            by_kpi: dict[str, dict[str, dict[str, Any]]] = {}
            for point in json.loads(raw)["points"]:
                for kpi, value in point["kpis"].items():
                    by_kpi.setdefault(kpi, {})[point["period"]] = value
            self._trends[key] = by_kpi
        return self._trends[key]

    def figure(self, level: str, code: str, kpi: str, period: str) -> dict[str, Any]:
        return self.months_of(level, code).get(kpi, {}).get(period) or {
            "actual": None,
            "target": None,
            "attainment": None,
            "status": "none",
        }

    def latest_red(self, level: str, code: str, kpi: str, within: int = 3) -> str | None:
        """The latest of the last `within` months in which the unit's KPI was red, if any."""
        for back in range(within):
            if self.figure(level, code, kpi, self.month(back))["status"] == "red":
                return self.month(back)
        return None

    def month_target(self, seller_code: str, kpi: str, period: str) -> float | None:
        """The seller's planned target of `kpi` for the month (the targets table)."""
        value = self.session.scalar(
            select(Target.value).where(
                Target.level == "seller",
                Target.unit_code == seller_code,
                Target.kpi_code == kpi,
                Target.month == _first(period),
            )
        )
        return None if value is None else float(value)


# --- goal conversations ---------------------------------------------------------------------------


def _conversation(demo: _Demo, seller_code: str, held_in: str, kpis: Iterable[str], notes: str) -> bool:
    """A goal conversation with the seller on a weekday early in `held_in` (never after the data's last
    day), by the seller's leader, agreeing the next month's targets of `kpis` (the plan's, where the
    next month is planned; else the held month's). Rogaland's sellers are left out: its story is that
    no goal conversations are held."""
    if held_in < _period(demo.first_day) or demo.district_of(seller_code, held_in) == demo.facts["weak_district"]:
        return False
    held_on = min(_weekday_on_or_after(_first(held_in) + timedelta(days=8)), demo.last_day)
    if held_on > demo.today:  # a demo made as of a day still to come: nothing is recorded in the real future
        return False
    agreed_for = _shift(held_in, 1)
    agreed: list[AgreedKpi] = []
    for kpi in kpis:
        target = demo.month_target(seller_code, kpi, agreed_for)
        period = agreed_for
        if target is None:
            target, period = demo.month_target(seller_code, kpi, held_in), held_in
        agreed.append(AgreedKpi(kpi=kpi, period=period, target=None if target is None else round(target, 2)))
    leader = demo.leader_login("seller", seller_code, held_in)
    body = GoalConversationCreate(seller_code=seller_code, held_on=held_on, kpis=agreed, notes=notes)
    done = conversations.create(demo.session, scope=demo.scope(leader), user=leader, body=body)
    return done is not None


CONVERSATION_NOTES = {
    "behind0": "Møtene har falt siden våren, og omsetningen følger etter. Avtalt: en fast ukeplan for kundemøtene, "
    "og alle tilbud følges opp innen en uke.",
    "behind1": "Gikk gjennom kundelisten sammen. Avtalt: ringe de ti største kundene som ikke har handlet i år.",
    "behind2": "For få møter med kjedene. Avtalt: møteplan for hver kjede, og oppfølging hver fredag.",
    "discounter": "Omsetningen er god, men rabattene er for store. Avtalt: rabatt over 10 % godkjennes av "
    "distriktsleder, og marginmålet gjelder fra neste måned.",
    "ahead": "Godt foran plan hele året. Avtalt: et strekkmål for resten av året, og flere aktive kunder.",
    "hire": "Oppstartssamtale: opplæringsplan for de første månedene, og møtemål som trappes opp.",
}


def _conversations(demo: _Demo) -> int:
    behind, ahead = demo.codes("behind_sellers"), demo.codes("ahead_sellers")
    hire = demo.seller(demo.codes("new_hires")[-1])
    hired = _period(min(a.valid_from for a in hire.assignments))  # the start-up talk, in the month of hire
    plans = [  # (seller, month held, the KPIs agreed, notes)
        (behind[0], demo.month(3), ("meetings", "proposals"), CONVERSATION_NOTES["behind0"]),
        (behind[1], demo.month(1), ("meetings", "revenue"), CONVERSATION_NOTES["behind1"]),
        (behind[2], demo.month(2), ("meetings", "revenue"), CONVERSATION_NOTES["behind2"]),
        (demo.code("discount_seller"), demo.month(2), ("margin_pct", "gross_margin"), CONVERSATION_NOTES["discounter"]),
        (ahead[0], demo.month(1), ("revenue", "active_customers"), CONVERSATION_NOTES["ahead"]),
        (hire.code, hired, ("meetings", "training_hours"), CONVERSATION_NOTES["hire"]),
    ]
    return sum(_conversation(demo, code, held_in, kpis, notes) for code, held_in, kpis, notes in plans)


# --- comments -------------------------------------------------------------------------------------


def _comment(demo: _Demo, level: str, code: str, kpi: str, period: str | None, text: str) -> bool:
    when = None if period is None else demo.written(period, days=2)
    if period is None or when is None:
        return False
    author = demo.leader_login(level, code, period)
    body = CommentCreate.model_validate({"level": level, "code": code, "period": period, "kpi": kpi, "text": text})
    made = comments.create(demo.session, scope=demo.scope(author), user=author, body=body)
    if made is None:
        return False
    # Written at the next month's sales meeting, not when the demo was built (set on the row: the
    # service stamps the real now, and the demo's months may lie anywhere before it).
    row = demo.session.get(Comment, made["id"])
    if row is not None:
        row.created_at = when
    return True


def _comments(demo: _Demo) -> int:
    weak, strong = demo.code("weak_district"), demo.code("strong_district")
    behind, discounter, mover = demo.codes("behind_sellers"), demo.code("discount_seller"), demo.codes("movers")[-1]
    notes: list[tuple[str, str, str, str | None, str]] = []  # (level, code, kpi, period, text)
    # Rogaland: the hit rate in the last two months it was red, and the revenue that follows it.
    red_hits = [p for p in (demo.month(0), demo.month(1), demo.month(2)) if _red(demo, "district", weak, "hit_rate", p)]
    for period, why in zip(red_hits[:2], HIT_RATE_WHY, strict=False):
        hit = demo.figure("district", weak, "hit_rate", period)
        said = f"Tilslagsraten var {_pct(hit['actual'])} i {_month_nb(period)} mot mål {_pct(hit['target'])}. "
        notes.append(("district", weak, "hit_rate", period, said + why))
    revenue = demo.latest_red("district", weak, "revenue")
    if revenue is not None:
        rev = demo.figure("district", weak, "revenue", revenue)
        said = f"Omsetningen følger tilslagsraten nedover: {_pct(rev['attainment'])} av målet i {_month_nb(revenue)}. "
        notes.append(("district", weak, "revenue", revenue, said + COMMENTS["weak_revenue"]))
    # Viken: the discounter's margin.
    margin = demo.latest_red("seller", discounter, "margin_pct")
    if margin is not None:
        mp = demo.figure("seller", discounter, "margin_pct", margin)
        said = (
            f"Omsetningsmålet nås, men med rabatter på over 20 %: marginen var {_pct(mp['actual'])} i "
            f"{_month_nb(margin)} mot mål {_pct(mp['target'])}. "
        )
        notes.append(("seller", discounter, "margin_pct", margin, said + COMMENTS["discounter"]))
    # Bergen ahead of its budget (green: a comment is not only for what is red).
    notes.append(("district", strong, "revenue", demo.month(0), COMMENTS["strong"]))
    # The sellers behind plan: their meetings fell first, the revenue follows.
    for code, kpi, key in (
        (behind[0], "meetings", "behind0"),
        (behind[1], "revenue", "behind1"),
        (behind[2], "meetings", "behind2"),
    ):
        notes.append(("seller", code, kpi, demo.latest_red("seller", code, kpi), COMMENTS[key]))
    # A mover's first months in the new district (the last mover, if the move is in the figures' months).
    moved = _period(max(a.valid_from for a in demo.seller(mover).assignments))
    after = [p for p in (moved, _shift(moved, 1)) if demo.month(TREND_MONTHS - 1) <= p <= demo.latest]
    red = next((p for p in after if _red(demo, "seller", mover, "revenue", p)), None)
    said = f"Ny i distriktet fra {_month_nb(moved)}: bygger opp kundene sine her, omsetningen kommer etter."
    notes.append(("seller", mover, "revenue", red, said))
    return sum(_comment(demo, *note) for note in notes)


HIT_RATE_WHY = (  # the latest month's comment, then the month before's
    "Vi har nok møter og sender nok tilbud, men vi taper avtalene. Vi går gjennom hvert tapte tilbud på "
    "salgsmøtet og ser på pris og oppfølging.",
    "Flere tilbud tapt på pris mot nye konkurrenter i Stavanger og Sandnes. Opplæring i tilbudsoppfølging er "
    "satt i gang.",
)
COMMENTS = {
    "weak_revenue": "Aktiviteten er der; problemet er det som skjer etter tilbudet.",
    "discounter": "Vi gir bort marginen. Fra nå godkjenner distriktsleder alle rabatter over 10 %.",
    "strong": "Bergen ligger foran budsjett hele året. Godt arbeid med nøkkelkundene; vi deler møteplanen med de "
    "andre distriktene i regionen.",
    "behind0": "Møtene falt allerede i vår, og nå følger omsetningen etter. Vi har avtalt en fast ukeplan for "
    "kundemøtene.",
    "behind1": "Omsetningen er under plan fordi møtene har vært for få siden våren. Følges opp.",
    "behind2": "For få møter med kjedene; møteplan for hver kjede er avtalt.",
}


def _red(demo: _Demo, level: str, code: str, kpi: str, period: str) -> bool:
    return demo.figure(level, code, kpi, period)["status"] == "red"


# --- coaching actions -----------------------------------------------------------------------------


def _follow_up(demo: _Demo, level: str, code: str, kpi: str, baseline: str) -> tuple[float | None, list[Any]]:
    """The KPI's month attainment at the baseline and in each month since (through the data's last)."""
    months: list[str] = []
    period = _shift(baseline, 1)
    while period <= demo.latest:
        months.append(period)
        period = _shift(period, 1)
    at = demo.figure(level, code, kpi, baseline)["attainment"]
    return at, [demo.figure(level, code, kpi, p) for p in months]


def _worked(demo: _Demo, level: str, code: str, kpi: str, baseline: str) -> bool:
    """Red at the baseline; every month since better, the last one green (or beyond: its stretch reached)."""
    at, since = _follow_up(demo, level, code, kpi, baseline)
    if demo.figure(level, code, kpi, baseline)["status"] != "red" or at is None or not since:
        return False
    better = all(f["attainment"] is not None and f["attainment"] > at for f in since)
    return better and since[-1]["status"] in ON_TARGET


def _did_not_work(demo: _Demo, level: str, code: str, kpi: str, baseline: str) -> bool:
    """Red at the baseline and in every month since, the last one no better than the baseline."""
    at, since = _follow_up(demo, level, code, kpi, baseline)
    if demo.figure(level, code, kpi, baseline)["status"] != "red" or at is None or not since:
        return False
    last = since[-1]["attainment"]
    return all(f["status"] == "red" for f in since) and last is not None and last <= at


def _pick(
    demo: _Demo, candidates: Iterable[tuple[str, str, str]], backs: Iterable[int], shape: Any
) -> tuple[str, str, str, str] | None:
    """The first (level, code, kpi, baseline month) whose months since the baseline show `shape`."""
    backs = tuple(backs)
    for level, code, kpi in candidates:
        for back in backs:
            if shape(demo, level, code, kpi, demo.month(back)):
                return level, code, kpi, demo.month(back)
    return None


@dataclass(frozen=True)
class _Plan:
    level: str
    code: str
    kpi: str
    arena: str
    title: str
    baseline: str
    owner: str  # "leader": the unit's leader; "seller": the seller it is about
    due_days: int  # after the data's last day (negative: before it: overdue unless closed)
    status: str = "open"
    outcome: str = ""
    notes: tuple[tuple[str, str], ...] = ()  # (who: "leader" or "seller", text)


WORKED_TITLES = {  # a title for the "worked" action, by the KPI the figures pick
    "meetings": "Fast ukeplan for kundemøter, gjennomgått på mandagsmøtet",
    "proposals": "Alle åpne tilbud følges opp hver fredag",
    "hit_rate": "Gjennomgang av tapte tilbud på hvert salgsmøte",
    "training_hours": "Opplæringsplan for høsten med faste kursdager",
    "csat": "Kundeoppfølging etter levering: ring alle innen en uke",
    "revenue": "Plan for mersalg til eksisterende kunder",
}


def _plans(demo: _Demo) -> Iterator[_Plan]:
    weak, strong = demo.code("weak_district"), demo.code("strong_district")
    behind, ahead, hires = demo.codes("behind_sellers"), demo.codes("ahead_sellers"), demo.codes("new_hires")
    # Rogaland's hit rate: training that did not work (still red, no better than when it was opened).
    picked = _pick(demo, [("district", weak, "hit_rate")], (3, 2, 4), _did_not_work)
    baseline = picked[3] if picked else demo.month(3)
    note = ("leader", "Første samling holdt. Tilslagsraten har ikke tatt seg opp ennå; vi fortsetter.")
    yield _Plan("district", weak, "hit_rate", "training", TITLES["training"], baseline, "leader", 45, notes=(note,))
    # Rogaland holds no goal conversations: the action to hold them is overdue.
    yield _Plan("district", weak, "revenue", "goals", TITLES["goals"], demo.month(1), "leader", -10)
    # An action that worked, done: the first of the story's units and KPIs whose figures moved up.
    candidates = [("district", strong, k) for k in ("meetings", "proposals", "hit_rate", "training_hours")]
    candidates += [("seller", s, k) for s in (*hires, *ahead) for k in ("meetings", "proposals", "hit_rate")]
    candidates += [("district", d, k) for d in ("OSL", "TRD", "MRE", "VIK") for k in ("meetings", "proposals")]
    picked = _pick(demo, candidates, (3, 4, 2), _worked)
    if picked is not None:
        level, code, kpi, baseline = picked
        last = demo.figure(level, code, kpi, demo.latest)
        outcome = (
            f"Planen er fulgt, og KPI-en er tilbake over mål: {_pct(last['attainment'])} av målet i "
            f"{_month_nb(demo.latest)}. Vi fortsetter med den faste ukeplanen."
        )
        title = WORKED_TITLES.get(kpi, "Plan for å få KPI-en tilbake over mål")
        yield _Plan(level, code, kpi, "plan", title, baseline, "leader", -5, status="done", outcome=outcome)
    # The discounter: approval of large discounts, with a note by her leader and one by herself.
    notes = (
        ("leader", "Gikk gjennom de ti største rabattene sammen. De fleste kunne vært gitt som volumpris."),
        ("seller", "Jeg bruker prislisten i tilbudene nå og ber om godkjenning før jeg gir mer enn 10 %."),
    )
    discounter = demo.code("discount_seller")
    title = TITLES["problem_solving"]
    yield _Plan("seller", discounter, "margin_pct", "problem_solving", title, demo.month(2), "seller", 60, notes=notes)
    # A seller behind plan whose meetings fell: practice booking meetings; another: the appraisal talk.
    yield _Plan("seller", behind[1], "meetings", "practice", TITLES["practice"], demo.month(1), "seller", 30)
    yield _Plan("seller", behind[0], "revenue", "appraisal", TITLES["appraisal"], demo.month(0), "leader", 21)


TITLES = {
    "training": "Opplæring i tilbudsoppfølging for hele distriktet",
    "goals": "Målsamtaler med alle selgerne i distriktet",
    "problem_solving": "Rabatter over 10 % godkjennes av distriktsleder",
    "practice": "Rollespill: booke kundemøter på telefon, hver mandag",
    "appraisal": "Medarbeidersamtale: aktivitetsnivå og mål for resten av året",
}


def _action(demo: _Demo, plan: _Plan) -> bool:
    opened = demo.written(plan.baseline, days=3, hour=9)
    if opened is None:
        return False
    leader = demo.leader_login(plan.level, plan.code, plan.baseline)
    owner = (
        demo.seller(plan.code).email.lower()
        if plan.owner == "seller"
        else demo.leaders_email(plan.level, plan.code, plan.baseline)
    )
    due = demo.last_day + timedelta(days=plan.due_days)
    if plan.due_days < 0:  # looks overdue (or was due before it was done) whenever the demo is opened
        due = min(due, demo.today - timedelta(days=1))
    elif plan.status == "open":  # not overdue when the demo is opened weeks after it was made
        due = max(due, demo.today + timedelta(days=14))
    body = ActionCreate.model_validate(
        {
            "level": plan.level,
            "code": plan.code,
            "kpi": plan.kpi,
            "arena": plan.arena,
            "title": plan.title,
            "due": max(due, demo.today),  # the service refuses a due date before the real today; see below
            "owner_email": owner,
            "period": plan.baseline,
        }
    )
    made = actions.create(demo.session, scope=demo.scope(leader), user=leader, body=body)
    if made is None:
        return False
    for i, (who, text) in enumerate(plan.notes):
        author = demo.user(demo.seller(plan.code).email) if who == "seller" else leader
        if author is None:  # the seller has no login
            continue
        note = actions.add_note(
            demo.session, scope=demo.scope(author), user=author, action_id=made["id"], body=NoteCreate(text=text)
        )
        if note is not None:
            _date_note(demo, made["id"], note["id"], min(opened + timedelta(days=14 * (i + 1)), demo.now))
    if plan.status != "open":
        actions.update(
            demo.session,
            scope=demo.scope(leader),
            user=leader,
            action_id=made["id"],
            body=ActionUpdate.model_validate({"status": plan.status, "outcome": plan.outcome}),
        )
    # The demo's actions were opened in the demo's months, which lie before the real today: an action
    # that looks overdue or was done by now has its due date (which the service would refuse, being
    # before today), its opening and its closing set on the row, after the service created it with its
    # checks, its baseline and its audit event. Nothing else reads these columns when writing.
    row = demo.session.get(CoachingAction, made["id"])
    if row is not None:
        row.due = due
        row.created_at = row.updated_at = opened
        if row.closed_at is not None:
            row.closed_at = row.updated_at = demo.written(demo.latest, days=1, hour=10) or demo.now
    demo.session.flush()
    return True


def _date_note(demo: _Demo, action_id: int, note_id: int, when: datetime) -> None:
    row = demo.session.get(CoachingAction, action_id)
    if row is None:
        return
    for note in row.notes:
        if note.id == note_id:
            note.created_at = when


def seed_steering(session: Session, company: DemoCompany) -> Seeded:
    """Record the demo's goal conversations, comments and coaching actions (in that order: a goal
    conversation is an activity, so it changes the figures the others read). Flushes; the caller commits."""
    demo = _Demo(session, company)
    held = _conversations(demo)
    session.flush()
    written = _comments(demo)
    opened = sum(_action(demo, plan) for plan in _plans(demo))
    session.flush()
    return Seeded(comments=written, actions=opened, conversations=held)
