"""Reports by e-mail: the subscriptions API (POST/GET/PATCH/DELETE /subscriptions) and sending them
(app.close.sender) to a real SMTP server on loopback (aiosmtpd), the attachments read back and their
figures checked against values worked out by hand.

The world (`build_world`), figures by hand. R1 has districts D1 ("Nord": sellers S1, S2; account
AC1) and D2 ("Sør": seller S3; account AC2); products A and B; no costs.
Budgets:  January 2026: D1 A 100 for 1,000.00; D1 B 50 for 1,000.00; D2 A 10 for 500.00.
          February 2026: D1 A 100 for 1,000.00; D2 A 10 for 500.00.
Sales:    January: S1 A 110 for 1,210.00; S2 B 40 for 840.00; S3 A 12 for 540.00.
          February: S1 A 90 for 950.00; S3 A 10 for 500.00.
Revenue targets, each month: S1 1,000, S2 1,000, S3 500.

- Variance February (month), by district and product: D1/A 1,000.00 against 950.00 = -50.00
  (-5 %); D2/A 500.00 against 500.00 = 0. Totals 1,500.00, 1,450.00, -50.00.
- Variance January: D1/A 1,000.00 / 1,210.00 = +210.00; D1/B 1,000.00 / 840.00 = -160.00;
  D2/A 500.00 / 540.00 = +40.00. Totals 2,500.00 / 2,590.00 / +90.00.
- Year to date through February: D1/A 2,000.00 / 2,160.00 = +160.00; D1/B 1,000.00 / 840.00 =
  -160.00; D2/A 1,000.00 / 1,040.00 = +40.00.
- D1's revenue, ytd February: 1,210 + 840 + 950 = 3,000 against S1's and S2's 2 × 2,000 = 4,000:
  attainment 0.75. S1: 2,160 / 2,000 = 1.08; S2: 840 / 2,000 = 0.42. So D1's ranking is S1, S2.

The sends run on "today" 2 March 2026: the pages open on February (the latest sale's month).
"""

import asyncio
import csv
import email
import email.policy
import io
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from email.message import EmailMessage

import openpyxl
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import delete, select

from app.close import sender
from app.close.mail import Mailer, SmtpSettings
from app.models import AuditEvent, Budget, LeaderUnit, PeriodLock, ReportSend, Sale, Snapshot, Subscription, Target
from app.tokens.service import create_token
from tests.builders import (
    add_budgets,
    add_sales,
    add_targets,
    make_account,
    make_district,
    make_leader,
    make_product,
    make_region,
    make_seller,
    make_user,
    signed_in,
)
from tests.liveserver import free_port

TODAY = date(2026, 3, 2)
SENDER = "Reports <reports@example.com>"
URL = "/api/v1/subscriptions"


# --- a real SMTP server on loopback ---------------------------------------------------------------


class Inbox:
    """An aiosmtpd handler keeping every message it accepts. `refuse` refuses that many next messages
    with 550; `hold` (a message number, 1-based) keeps that message's DATA waiting, after noting it in
    `held` and setting `arrived`, until `release` is set: a server slow to answer that one."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = 0
        self.hold: int | None = None
        self.held: list[EmailMessage] = []
        self.arrived = threading.Event()
        self.release = threading.Event()
        self._seen = 0

    def reset(self) -> None:
        self.messages.clear()
        self.held.clear()
        self.refuse, self.hold, self._seen = 0, None, 0
        self.arrived.clear()
        self.release.clear()

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's hook name
        if self.refuse:
            self.refuse -= 1
            return "550 5.7.1 refused by the test server"
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        self._seen += 1
        if self.hold == self._seen:
            self.held.append(msg)
            self.arrived.set()
            await asyncio.to_thread(self.release.wait, 60)
            return "451 4.3.0 held by the test server"
        self.messages.append(msg)
        return "250 2.0.0 OK"


@contextmanager
def smtp_server(**kwargs) -> Iterator[tuple[Inbox, int]]:
    """aiosmtpd's Controller on 127.0.0.1 and a free port, until the block ends."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield inbox, port
    finally:
        inbox.release.set()
        controller.stop()


def attachment(msg: EmailMessage) -> tuple[str, str, bytes]:
    """The message's one attachment: file name, content type, bytes."""
    parts = list(msg.iter_attachments())
    assert len(parts) == 1, [p.get_filename() for p in parts]
    part = parts[0]
    return part.get_filename(), part.get_content_type(), part.get_payload(decode=True)


def sheet_rows(data: bytes, sheet: str | None = None) -> list[dict]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb[sheet] if sheet else wb.worksheets[0]
    header = [c.value for c in ws[1]]
    return [dict(zip(header, (c.value for c in r), strict=True)) for r in ws.iter_rows(min_row=2)]


def pdf_text(data: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext is not installed (apt-get install poppler-utils)")
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils)")
    path = tmp_path / "pack.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, timeout=60)
    return " ".join(out.stdout.decode("utf-8").split())


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as found:
        yield found


@pytest.fixture
def inbox(server) -> Inbox:
    server[0].reset()
    return server[0]


@pytest.fixture
def mailer(server) -> Iterator[Mailer]:
    with Mailer(SmtpSettings(host="127.0.0.1", port=server[1], sender=SENDER, timeout=10)) as found:
        yield found


# --- the world --------------------------------------------------------------------------------------


def build_world(session) -> dict:
    """The organization and figures of the module's docstring, and the logins: finance, admin, the
    leaders of D1 (lead1) and D2 (lead2), and seller S1's."""
    r1 = make_region(session, code="R1", name="Region 1")
    d1 = make_district(session, code="D1", region=r1, name="Nord")
    d2 = make_district(session, code="D2", region=r1, name="Sør")
    s1 = make_seller(session, code="S1", district=d1, name="Siri")
    s2 = make_seller(session, code="S2", district=d1, name="Stig")
    s3 = make_seller(session, code="S3", district=d2, name="Sara")
    ac1, ac2 = make_account(session, code="AC1", district=d1), make_account(session, code="AC2", district=d2)
    a, b = make_product(session, code="A"), make_product(session, code="B")

    def budget(district, product, month, qty, amount):
        return Budget(district_id=district.id, product_id=product.id, month=month, quantity=Decimal(qty),
                      amount=Decimal(amount), cost=None, source_period=f"{month:%Y-%m}")

    jan, feb = date(2026, 1, 1), date(2026, 2, 1)
    add_budgets(session, [budget(d1, a, jan, "100", "1000.00"), budget(d1, b, jan, "50", "1000.00"),
                          budget(d2, a, jan, "10", "500.00"), budget(d1, a, feb, "100", "1000.00"),
                          budget(d2, a, feb, "10", "500.00")])

    def sale(sid, day, seller, account, product, qty, amount):
        return Sale(id=sid, date=day, seller_id=seller.id, account_id=account.id, product_id=product.id,
                    quantity=Decimal(qty), amount=Decimal(amount), cost=None)

    add_sales(session, [sale("j1", date(2026, 1, 10), s1, ac1, a, "110", "1210.00"),
                        sale("j2", date(2026, 1, 12), s2, ac1, b, "40", "840.00"),
                        sale("j3", date(2026, 1, 14), s3, ac2, a, "12", "540.00"),
                        sale("f1", date(2026, 2, 10), s1, ac1, a, "90", "950.00"),
                        sale("f3", date(2026, 2, 11), s3, ac2, a, "10", "500.00")])
    add_targets(session, [Target(level="seller", unit_code=code, kpi_code="revenue", month=month,
                                 value=Decimal(value), source_period=f"{month:%Y-%m}")
                          for code, value in (("S1", "1000"), ("S2", "1000"), ("S3", "500")) for month in (jan, feb)])
    make_leader(session, units=[("district", "D1")], email="lead1@example.com")
    make_leader(session, units=[("district", "D2")], email="lead2@example.com")
    return {
        "finance": make_user(session, role="finance", email="fin@example.com"),
        "admin": make_user(session, role="admin", email="admin@example.com"),
        "lead1": make_user(session, role="leader", email="lead1@example.com"),
        "lead2": make_user(session, role="leader", email="lead2@example.com"),
        "seller": make_user(session, role="seller", email="s1@example.com"),
    }


def lock(session, period: str, by: str = "fin@example.com") -> None:
    """A locked month, as the lock route leaves it (a lock row and its snapshot). The sender reads only
    the lock rows."""
    snap = Snapshot(period=period, taken_by=by, data_version=0, totals="{}")
    session.add(snap)
    session.flush()
    session.add(PeriodLock(period=period, locked_by=by, snapshot_id=snap.id))
    session.flush()


@pytest.fixture
def world(session) -> dict:
    return build_world(session)


def subscribe(client, user, **body) -> dict:
    body = {"format": "xlsx", "schedule": "daily", "recipients": ["cfo@example.com"], **body}
    res = client.post(URL, headers=signed_in(user), json=body)
    assert res.status_code == 201, res.text
    return res.json()


def run(session, mailer, **kwargs) -> sender.RunResult:
    return sender.send_reports(session, mailer=mailer, today=kwargs.pop("today", TODAY), **kwargs)


def log_rows(session, subscription_id: int) -> dict[str, ReportSend]:
    session.expire_all()
    rows = session.scalars(select(ReportSend).where(ReportSend.subscription_id == subscription_id))
    return {r.period_key: r for r in rows}


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


# --- the subscriptions API ------------------------------------------------------------------------------


def test_finance_subscribes_and_reads_it_back(client, session, world):
    found = subscribe(client, world["finance"], report="variance",
                      recipients=["CFO@Example.com", "controller@example.com", "cfo@example.com"])
    assert found["owner"] == "fin@example.com"
    assert found["params"] == {"range": "month", "by": "district,product"}  # the defaults, filled in
    assert (found["report"], found["format"], found["schedule"], found["active"]) == ("variance", "xlsx", "daily", True)
    assert found["recipients"] == ["CFO@example.com", "controller@example.com"]  # once each; the domain lowercased
    assert found["sends"] == []
    headers = signed_in(world["finance"])
    assert client.get(f"{URL}/{found['id']}", headers=headers).json() == found
    assert [s["id"] for s in client.get(URL, headers=headers).json()["items"]] == [found["id"]]
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "subscription.create"))
    assert event.entity == f"subscription:{found['id']}" and event.actor == "fin@example.com"


def test_a_seller_and_an_api_token_are_refused(client, session, world):
    body = {"report": "variance", "format": "csv", "schedule": "daily", "recipients": ["a@example.com"]}
    assert client.post(URL, headers=signed_in(world["seller"]), json=body).status_code == 403
    assert client.get(URL, headers=signed_in(world["seller"])).status_code == 403
    token = create_token(session, user=world["finance"], name="erp", scopes=["budgets:read"], expires_in_days=None)
    assert client.get(URL, headers={"Authorization": f"Bearer {token.token}"}).status_code == 403
    assert client.post(URL, headers=signed_in(world["finance"]), json=body).status_code == 201


@pytest.mark.parametrize(("body", "loc"), [
    ({"recipients": ["not an address"]}, ["body", "recipients", 0]),
    ({"recipients": []}, ["body", "recipients"]),
    ({"params": {"colour": "red"}}, ["body", "params", "colour"]),
    ({"params": {"range": "quarter"}}, ["body", "params", "range"]),
    ({"params": {"by": "district,planet"}}, ["body", "params", "by"]),
    ({"params": {"by": 3}}, ["body", "params", "by"]),
    ({"format": "pdf"}, ["body", "format"]),
    ({"params": {"delimiter": ";"}}, ["body", "params", "delimiter"]),  # xlsx: CSV options do not apply
    ({"format": "csv", "params": {"delimiter": ";", "decimal": ";"}}, ["body", "params", "decimal"]),
    ({"format": "csv", "params": {"bom": "yes"}}, ["body", "params", "bom"]),
    ({"schedule": "hourly"}, ["body", "schedule"]),
    ({"report": "scorecard", "params": {"code": "D1"}}, ["body", "params", "level"]),
    ({"report": "scorecard", "params": {"level": "district", "code": "D1", "table": "heatmap"}},
     ["body", "params", "table"]),
    ({"report": "scorecard", "format": "parquet", "params": {"level": "district", "code": "D1"}}, ["body", "format"]),
    ({"report": "meeting_pack", "format": "csv", "params": {"level": "district", "code": "D1"}}, ["body", "format"]),
    ({"report": "meeting_pack", "format": "pdf", "params": {"level": "district", "code": "D1", "lang": "de"}},
     ["body", "params", "lang"]),
])
def test_bad_bodies_are_a_422_naming_the_field(client, session, world, body, loc):
    good = {"report": "variance", "format": "xlsx", "schedule": "daily", "recipients": ["cfo@example.com"]}
    res = client.post(URL, headers=signed_in(world["finance"]), json={**good, **body})
    assert res.status_code == 422, res.text
    assert loc in [e["loc"] for e in res.json()["detail"]], res.json()
    assert session.scalar(select(Subscription.id)) is None  # nothing written
    assert client.post(URL, headers=signed_in(world["finance"]), json=good).status_code == 201


def test_a_unit_the_owner_may_not_see_is_a_404(client, world):
    lead1 = signed_in(world["lead1"])
    for level, code in (("district", "D2"), ("seller", "S3"), ("company", "-"), ("district", "NOPE")):
        res = client.post(URL, headers=lead1, json={
            "report": "scorecard", "params": {"level": level, "code": code}, "format": "xlsx",
            "schedule": "weekly", "recipients": ["me@example.com"]})
        assert res.status_code == 404, (level, code, res.text)
    for level, code in (("district", "D1"), ("seller", "S1")):
        found = subscribe(client, world["lead1"], report="scorecard", params={"level": level, "code": code})
        assert found["params"] == {"level": level, "code": code, "range": "ytd", "table": "kpis", "lang": "en"}
    pack = subscribe(client, world["lead1"], report="meeting_pack", format="pdf",
                     params={"level": "district", "code": "D1", "lang": "nb"})
    assert pack["params"] == {"level": "district", "code": "D1", "range": "ytd", "lang": "nb"}


def test_owners_see_and_change_their_own_and_an_admin_every_one(client, session, world):
    mine = subscribe(client, world["lead1"], report="variance")
    theirs = subscribe(client, world["finance"], report="variance", format="csv",
                       params={"delimiter": ";"})
    assert theirs["params"] == {"range": "month", "by": "district,product", "delimiter": ";", "decimal": ",",
                                "bom": False}
    lead1, fin, admin = (signed_in(world[k]) for k in ("lead1", "finance", "admin"))
    assert [s["id"] for s in client.get(URL, headers=lead1).json()["items"]] == [mine["id"]]
    assert [s["id"] for s in client.get(URL, headers=admin).json()["items"]] == [mine["id"], theirs["id"]]
    assert client.get(f"{URL}/{theirs['id']}", headers=lead1).status_code == 404
    assert client.patch(f"{URL}/{theirs['id']}", headers=lead1, json={"active": False}).status_code == 404
    assert client.delete(f"{URL}/{theirs['id']}", headers=lead1).status_code == 404

    res = client.patch(f"{URL}/{mine['id']}", headers=lead1,
                       json={"active": False, "schedule": "monthly", "recipients": ["x@example.com"]})
    assert res.status_code == 200, res.text
    assert (res.json()["active"], res.json()["schedule"], res.json()["recipients"]) == (
        False, "monthly", ["x@example.com"])
    assert client.patch(f"{URL}/{mine['id']}", headers=lead1, json={"recipients": ["nope"]}).status_code == 422
    assert client.patch(f"{URL}/{theirs['id']}", headers=admin, json={"active": False}).json()["active"] is False
    assert client.delete(f"{URL}/{theirs['id']}", headers=fin).status_code == 204
    assert client.get(f"{URL}/{theirs['id']}", headers=fin).status_code == 404
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions.count("subscription.update") == 2 and actions.count("subscription.delete") == 1


# --- what is due, worked out by hand --------------------------------------------------------------------


def test_what_is_due():
    # April and June locked before the subscription was made (1 July), May and August after it
    made = datetime(2026, 7, 1, tzinfo=UTC)
    locked = {"2026-04": datetime(2026, 5, 3, tzinfo=UTC), "2026-05": datetime(2026, 9, 2, tzinfo=UTC),
              "2026-06": datetime(2026, 6, 30, tzinfo=UTC), "2026-08": datetime(2026, 9, 1, tzinfo=UTC)}

    def due(schedule, sent=(), everything=False, today=date(2026, 12, 2), open_month="2026-11", months=None):
        found, why = sender.due(schedule, sent=set(sent), today=today, open_month=open_month,
                                locked=locked if months is None else months, since=made, everything=everything)
        return [(d.key, d.period) for d in found] or why

    assert due("daily") == [("2026-12-02", "2026-11")]
    assert due("daily", sent=["2026-12-01"]) == [("2026-12-02", "2026-11")]
    assert due("daily", sent=["2026-12-02"]) == "sent today already (2026-12-02)"
    assert due("weekly") == [("2026-W49", "2026-11")]  # 2 December 2026 is a Wednesday of ISO week 49
    assert due("weekly", today=date(2027, 1, 1)) == [("2026-W53", "2026-11")]  # ISO 2026 has 53 weeks
    assert due("weekly", sent=["2026-W49"]) == "sent this week already (2026-W49)"
    assert due("daily", open_month=None) == "no sales yet: nothing to report"
    # monthly: never sent, the latest locked month (August) at once; then every month locked after the
    # subscription was made and not sent: May, locked late, too; April and June, locked before, never
    assert due("monthly") == [("2026-08", "2026-08")]
    assert due("monthly", sent=["2026-08"]) == [("2026-05", "2026-05")]
    assert due("monthly", sent=["2026-06"]) == [("2026-05", "2026-05"), ("2026-08", "2026-08")]
    assert due("monthly", sent=["2026-05", "2026-08"]) == "no month locked since the last send"
    assert due("monthly", months={}) == "no month locked yet"
    assert due("monthly", sent=["now-2026-12-01"]) == [("2026-08", "2026-08")]  # --now's keys are not months
    # --now: a key of its own, whatever the schedule; once a day
    assert due("weekly", sent=["2026-W49"], everything=True) == [("now-2026-12-02", "2026-11")]
    assert due("monthly", sent=["2026-06"], everything=True) == [("now-2026-12-02", "2026-08")]
    assert due("monthly", months={}, everything=True) == [("now-2026-12-02", "2026-11")]
    assert due("daily", sent=["now-2026-12-02"], everything=True) == "sent by --now today already (now-2026-12-02)"


# --- sending ---------------------------------------------------------------------------------------


def test_the_variance_arrives_with_its_figures_and_goes_once(client, session, world, inbox, mailer):
    sub = subscribe(client, world["finance"], report="variance",
                    recipients=["cfo@example.com", "controller@example.com"])
    result = run(session, mailer)
    assert (result.sent, result.failed, result.exit_code) == (1, 0, 0)
    assert len(inbox.messages) == 1
    msg = inbox.messages[0]
    assert msg["To"] == "cfo@example.com, controller@example.com"
    assert msg["From"] == SENDER
    assert msg["Message-ID"] == f"<scorecard-report.{sub['id']}.2026-03-02@example.com>"
    assert msg["Subject"].startswith("Variance 2026-02 (month, by district, product)")
    assert "1,500.00" in msg.get_body(("plain",)).get_content()  # the summary: the budget total
    name, content_type, data = attachment(msg)
    assert name == "variance_2026-02_2026-02_district-product.xlsx"
    assert content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = sheet_rows(data)
    figures = [(r["district_code"], r["product_code"], money(r["budget_amount"]), money(r["actual_amount"]),
                money(r["variance_amount"])) for r in rows]
    assert figures == [
        ("D1", "A", Decimal("1000.00"), Decimal("950.00"), Decimal("-50.00")),
        ("D2", "A", Decimal("500.00"), Decimal("500.00"), Decimal("0.00")),
        ("Total", None, Decimal("1500.00"), Decimal("1450.00"), Decimal("-50.00")),
    ]
    assert rows[0]["variance_pct"] == pytest.approx(-0.05)
    assert result.lines == [f"sent     #{sub['id']} variance daily 2026-03-02 to cfo@example.com, "
                            f"controller@example.com: {name}, {len(data):,} bytes"]
    log = log_rows(session, sub["id"])
    assert list(log) == ["2026-03-02"]
    row = log["2026-03-02"]
    assert (row.status, row.attempts, row.attachment, row.attachment_bytes, row.error) == (
        "sent", 1, name, len(data), None)
    assert row.message_id == msg["Message-ID"] and row.sent_at is not None
    # the API answers the log
    sends = client.get(f"{URL}/{sub['id']}", headers=signed_in(world["finance"])).json()["sends"]
    assert [(s["period_key"], s["status"], s["attachment"]) for s in sends] == [("2026-03-02", "sent", name)]

    again = run(session, mailer)
    assert (again.sent, again.skipped) == (0, 1) and len(inbox.messages) == 1
    assert again.lines == [f"skipped  #{sub['id']} variance daily: sent today already (2026-03-02)"]
    # the next day's is due
    assert run(session, mailer, today=date(2026, 3, 3)).sent == 1 and len(inbox.messages) == 2


def test_a_leaders_variance_holds_only_their_districts(client, session, world, inbox, mailer):
    sub = subscribe(client, world["lead1"], report="variance", format="csv", schedule="weekly",
                    params={"range": "ytd", "delimiter": ";"})
    assert run(session, mailer).sent == 1
    name, content_type, data = attachment(inbox.messages[0])
    assert (name, content_type) == ("variance_2026-01_2026-02_district-product.csv", "text/csv")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8")), delimiter=";"))
    got = [(r["district_code"], r["product_code"], r["budget_amount"], r["actual_amount"], r["variance_amount"])
           for r in rows]
    assert got == [("D1", "A", "2000,00", "2160,00", "160,00"), ("D1", "B", "1000,00", "840,00", "-160,00")]
    assert "D2" not in data.decode("utf-8")  # the other district's row is absent
    assert list(log_rows(session, sub["id"])) == ["2026-W10"]  # 2 March 2026: ISO week 10


def test_the_attachment_is_the_apis_own_export(client, world, session, inbox, mailer):
    """The same bytes as the leader's own download of GET /budget/variance: one computation, one writer."""
    subscribe(client, world["lead1"], report="variance", format="csv", params={"by": "product"})
    assert run(session, mailer).sent == 1
    _, _, data = attachment(inbox.messages[0])
    res = client.get("/api/v1/budget/variance", headers=signed_in(world["lead1"]),
                     params={"from": "2026-02", "to": "2026-02", "by": "product", "format": "csv"})
    assert res.status_code == 200 and res.content == data


def test_a_refused_message_fails_and_goes_on_the_next_run(client, session, world, inbox, mailer):
    first = subscribe(client, world["finance"], report="variance")
    second = subscribe(client, world["finance"], report="variance", format="parquet")
    inbox.refuse = 1
    result = run(session, mailer)
    assert (result.sent, result.failed, result.exit_code) == (1, 1, 1)
    assert result.lines[0].startswith(f"failed   #{first['id']} variance daily 2026-03-02 to cfo@example.com: "
                                      "the message was refused: 550 5.7.1 refused by the test server")
    failed = log_rows(session, first["id"])["2026-03-02"]
    assert (failed.status, failed.attempts, failed.sent_at) == ("failed", 1, None)
    assert "550" in failed.error
    assert log_rows(session, second["id"])["2026-03-02"].status == "sent"  # the others went on
    assert [attachment(m)[0] for m in inbox.messages] == ["variance_2026-02_2026-02_district-product.parquet"]

    again = run(session, mailer)
    assert (again.sent, again.failed, again.skipped) == (1, 0, 1)
    row = log_rows(session, first["id"])["2026-03-02"]
    assert (row.status, row.attempts, row.error) == ("sent", 2, None)
    assert len(inbox.messages) == 2


def test_a_scorecard_table_and_a_meeting_pack(client, session, world, inbox, mailer, tmp_path):
    card = subscribe(client, world["lead1"], report="scorecard", params={"level": "district", "code": "D1"})
    ranking = subscribe(client, world["lead1"], report="scorecard", format="csv",
                        params={"level": "district", "code": "D1", "table": "ranking"})
    pack = subscribe(client, world["lead1"], report="meeting_pack", format="pdf",
                     params={"level": "district", "code": "D1"})
    assert run(session, mailer).sent == 3
    by_name = {attachment(m)[0]: attachment(m)[2] for m in inbox.messages}
    assert set(by_name) == {"scorecard-kpis-district-D1-2026-02-ytd.xlsx",
                            "scorecard-ranking-district-D1-2026-02-ytd.csv", "meeting-pack-district-D1-2026-02.pdf"}
    kpis = {r["Code"]: r for r in sheet_rows(by_name["scorecard-kpis-district-D1-2026-02-ytd.xlsx"], "KPIs")}
    assert (kpis["revenue"]["Actual"], kpis["revenue"]["Target"]) == (pytest.approx(3000), pytest.approx(4000))
    assert kpis["revenue"]["Attainment"] == pytest.approx(0.75)
    rows = list(csv.DictReader(io.StringIO(by_name["scorecard-ranking-district-D1-2026-02-ytd.csv"].decode())))
    assert [(r["Code"], float(r["Revenue"])) for r in rows] == [("S1", 2160.0), ("S2", 840.0)]
    text = pdf_text(by_name["meeting-pack-district-D1-2026-02.pdf"], tmp_path)
    assert "Nord" in text and text.index("Siri") < text.index("Stig")  # S1 (1.08) ranked above S2 (0.42)
    assert "3,000" in text and "75" in text
    sent = session.scalars(select(ReportSend.subscription_id).where(ReportSend.status == "sent"))
    assert {card["id"], ranking["id"], pack["id"]} == set(sent)


def test_monthly_after_the_close(client, session, world, inbox, mailer):
    sub = subscribe(client, world["finance"], report="variance", schedule="monthly")
    assert run(session, mailer).lines == [f"skipped  #{sub['id']} variance monthly: no month locked yet"]
    lock(session, "2026-01")
    assert run(session, mailer).sent == 1
    rows = sheet_rows(attachment(inbox.messages[0])[2])
    assert [(r["district_code"], r["product_code"], money(r["variance_amount"])) for r in rows] == [
        ("D1", "A", Decimal("210.00")), ("D1", "B", Decimal("-160.00")), ("D2", "A", Decimal("40.00")),
        ("Total", None, Decimal("90.00"))]
    assert inbox.messages[0]["Subject"].startswith("Variance 2026-01 ")
    assert run(session, mailer).lines == [f"skipped  #{sub['id']} variance monthly: no month locked since the last send"]
    lock(session, "2026-02")
    assert run(session, mailer).sent == 1
    assert attachment(inbox.messages[1])[0] == "variance_2026-02_2026-02_district-product.xlsx"
    assert {k: r.status for k, r in log_rows(session, sub["id"]).items()} == {"2026-01": "sent", "2026-02": "sent"}


def test_an_owner_switched_off_or_a_unit_out_of_sight_fails_the_others_go_on(client, session, world, inbox, mailer):
    off = subscribe(client, world["finance"], report="variance")
    gone = subscribe(client, world["lead2"], report="scorecard", params={"level": "district", "code": "D2"})
    fine = subscribe(client, world["lead1"], report="variance")
    world["finance"].is_active = False
    session.execute(delete(LeaderUnit).where(LeaderUnit.unit_code == "D2"))
    session.flush()
    result = run(session, mailer)
    assert (result.sent, result.failed, result.exit_code) == (1, 2, 1)
    assert f"failed   #{off['id']} variance daily 2026-03-02 to cfo@example.com: " \
           "the owner's login fin@example.com is switched off" in result.lines
    assert f"failed   #{gone['id']} scorecard daily 2026-03-02 to cfo@example.com: district D2 is not " \
           "lead2@example.com's to see for 2026-02 (or no longer exists)" in result.lines
    assert log_rows(session, off["id"])["2026-03-02"].status == "failed"
    assert log_rows(session, fine["id"])["2026-03-02"].status == "sent"
    assert len(inbox.messages) == 1


def test_paused_dry_run_and_now(client, session, world, inbox, mailer):
    sub = subscribe(client, world["finance"], report="variance", schedule="weekly")
    paused = subscribe(client, world["finance"], report="variance")
    client.patch(f"{URL}/{paused['id']}", headers=signed_in(world["finance"]), json={"active": False})
    dry = run(session, None, dry_run=True)
    assert dry.lines[0].startswith(f"would send #{sub['id']} variance weekly 2026-W10 to cfo@example.com: "
                                   "variance_2026-02_2026-02_district-product.xlsx, ")
    assert dry.lines[1] == f"skipped  #{paused['id']} variance daily: paused"
    assert inbox.messages == [] and log_rows(session, sub["id"]) == {}  # nothing sent, nothing written

    assert run(session, mailer).sent == 1
    now = run(session, mailer, everything=True)  # sent this week already: --now sends it again
    assert now.sent == 1 and len(inbox.messages) == 2
    assert inbox.messages[1]["Message-ID"] == f"<scorecard-report.{sub['id']}.now-2026-03-02@example.com>"
    assert set(log_rows(session, sub["id"])) == {"2026-W10", "now-2026-03-02"}
    assert run(session, mailer, everything=True).sent == 0  # once a day
    assert run(session, mailer).sent == 0  # the week's is still sent


def test_the_subscriptions_params_are_stored_as_answered(client, session, world):
    found = subscribe(client, world["finance"], report="variance", params={"by": " product , district "})
    row = session.get(Subscription, found["id"])
    assert json.loads(row.params) == found["params"] == {"range": "month", "by": "product,district"}
