"""`scorecard send-reports`: send the report subscriptions that are due, and keep the send log.

What is due (one message per subscription and period key; `ReportSend` is the log):
- daily: the key is the day ('2026-12-02'); weekly: the ISO week ('2026-W49'). Both report on the
  month the pages open on (the latest sale's month, never after `today`'s; app.reporting.dates).
- monthly, after the close: a subscription never sent sends the latest locked month at once; then
  every month locked after the subscription was made and not sent yet, in the order of the months,
  each reporting on that month (key '2026-06'). So a month locked late (June after August) still
  goes out; a month unlocked, corrected and locked again is not sent twice (its restatement diff
  says what changed).
- A key already sent is never sent again; a failed one is tried again on the next run (a daily or
  weekly one while its day or week lasts). So a new subscription is due at once.
- `--now` (`everything`): every active subscription once more, whatever its schedule, under the
  key 'now-<day>' of its own: the period is the one its schedule reports on (a monthly one: the
  latest locked month, else the open month). It neither counts as a scheduled send nor stops one,
  and a second `--now` the same day sends only what the first did not.

Each message is recorded `sent` and committed right after the SMTP server accepted it, one at a
time, so a run killed halfway leaves nothing marked sent that was not; a message accepted by the
server but killed before its commit goes out again on the next run with the same Message-ID
(app.close.mail). A message the server refuses is recorded `failed` (attempts + 1, the reply) and
the run goes on; a server that cannot be used at all (down, login refused) stops the run with one
line, recording nothing. One run at a time: a second one waits for nothing and stops (`run_lock`).

The figures are read in one session (on SQLite one read snapshot for the run, never holding the
write lock) and the log written in short transactions of another (`log`), so the app's writes are
not held up while reports are made and sent.
"""

import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TextIO

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from app.close import mail
from app.close.mail import Mailer, MailError, MessageRefused, SmtpSettings
from app.close.reports import Attachment, ReportUnavailable, render, title
from app.config import get_settings
from app.db import get_engine, get_sessionmaker
from app.models import PeriodLock, ReportSend, Subscription, User
from app.reporting.dates import open_period

MONTH_KEY = re.compile(r"^\d{4}-\d{2}$")
NOW_PREFIX = "now-"
PRODUCT = "Sales Scorecard"


class AlreadyRunning(RuntimeError):
    """Another send-reports holds the run lock."""


@dataclass(frozen=True)
class Due:
    key: str  # the log's period key
    period: str  # the month the report is made for


def week_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def due(
    schedule: str,
    *,
    sent: set[str],
    today: date,
    open_month: str | None,
    locked: dict[str, datetime],
    since: datetime | None = None,
    everything: bool = False,
) -> tuple[list[Due], str]:
    """What a subscription with `schedule` and the keys `sent` already has to send now, and, when
    nothing, why. `locked`: the locked months and when each was locked; `since`: when the
    subscription was made (None: before every lock); `open_month`: the month the pages open on."""
    if everything:
        key = f"{NOW_PREFIX}{today.isoformat()}"
        if key in sent:
            return [], f"sent by --now today already ({key})"
        period = max(locked) if schedule == "monthly" and locked else open_month
        return ([Due(key, period)], "") if period else ([], "no sales yet: nothing to report")
    if schedule == "monthly":
        if not locked:
            return [], "no month locked yet"
        if not any(MONTH_KEY.match(k) for k in sent):
            return [Due(max(locked), max(locked))], ""
        later = [m for m in sorted(locked) if m not in sent and (since is None or locked[m] > since)]
        return [Due(m, m) for m in later], "" if later else "no month locked since the last send"
    key = today.isoformat() if schedule == "daily" else week_key(today)
    if key in sent:
        return [], f"sent {'today' if schedule == 'daily' else 'this week'} already ({key})"
    return ([Due(key, open_month)], "") if open_month else ([], "no sales yet: nothing to report")


@dataclass
class RunResult:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    would_send: int = 0
    stopped: str | None = None  # why the run stopped: the SMTP server could not be used
    dry_run: bool = False
    lines: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed or self.stopped else 0

    def summary(self) -> str:
        if self.dry_run:
            return f"dry run: {self.would_send} would be sent, {self.failed} failed, {self.skipped} skipped"
        return f"{self.sent} sent, {self.failed} failed, {self.skipped} skipped" + (", stopped" if self.stopped else "")


def _record(
    log: Session,
    subscription_id: int,
    key: str,
    *,
    status: str,
    error: str | None = None,
    message_id: str | None = None,
    attachment: Attachment | None = None,
) -> None:
    """Write the send's log row (attempts + 1) and commit it at once."""
    now = datetime.now(UTC)
    row = log.get(ReportSend, (subscription_id, key))
    if row is None:
        row = ReportSend(subscription_id=subscription_id, period_key=key, attempts=0)
        log.add(row)
    row.status = status
    row.attempts = (row.attempts or 0) + 1
    row.last_attempt_at = now
    row.error = error
    if attachment is not None:
        row.attachment = attachment.filename[:255]
        row.attachment_bytes = len(attachment.data)
    if status == "sent":
        row.sent_at = now
        row.message_id = message_id
    log.commit()


def _body(subscription: Subscription, owner: User, period: str, attachment: Attachment) -> str:
    return (
        f"{title(subscription, period)}\n\n"
        f"{attachment.summary}\n\n"
        f"The figures are those {owner.email} may see, as they stood when this was sent; the file "
        f"{attachment.filename} is attached.\n\n"
        f"-- \n{PRODUCT}: subscription {subscription.id} ({subscription.schedule}). Its owner pauses or "
        f"removes it with PATCH or DELETE /api/v1/subscriptions/{subscription.id}.\n"
    )


def send_reports(
    session: Session,
    *,
    mailer: Mailer | None,
    today: date,
    everything: bool = False,
    dry_run: bool = False,
    log: Session | None = None,
    out: TextIO | None = None,
) -> RunResult:
    """Send what is due (see the module's docstring); `mailer` may be None for a dry run. Figures are
    read in `session`, the log written and committed in `log` (default: `session`). Prints a line
    per subscription (and per message) to `out`."""
    log = log if log is not None else session
    result = RunResult(dry_run=dry_run)

    def say(line: str) -> None:
        result.lines.append(line)
        if out is not None:
            print(line, file=out, flush=True)

    subscriptions = session.execute(
        select(Subscription, User).join(User, User.id == Subscription.owner_user_id).order_by(Subscription.id)
    ).all()
    locked = dict(session.execute(select(PeriodLock.period, PeriodLock.locked_at)).all())
    month = open_period(session, today)
    for sub, owner in subscriptions:
        label = f"#{sub.id} {sub.report} {sub.schedule}"
        if not sub.active:
            result.skipped += 1
            say(f"skipped  {label}: paused")
            continue
        # read with the figures: the log's writers are this run (one at a time, `run_lock`), so no
        # write lock (SQLite) is taken unless something is sent
        sent = set(
            session.scalars(
                select(ReportSend.period_key).where(ReportSend.subscription_id == sub.id, ReportSend.status == "sent")
            )
        )
        dues, reason = due(
            sub.schedule,
            sent=sent,
            today=today,
            open_month=month,
            locked=locked,
            since=sub.created_at,
            everything=everything,
        )
        if not dues:
            result.skipped += 1
            say(f"skipped  {label}: {reason}")
            continue
        recipients = _recipients(sub)
        for d in dues:
            where = f"{label} {d.key} to {', '.join(recipients)}"
            attachment: Attachment | None = None
            try:
                if mailer is not None and not dry_run:
                    mailer.open()  # a server that cannot be used stops the run before anything is made
                with _one_snapshot(session):
                    attachment = render(session, sub, owner, d.period)
                if dry_run:
                    result.would_send += 1
                    say(f"would send {where}: {attachment.filename}, {len(attachment.data):,} bytes")
                    continue
                assert mailer is not None
                msg_id = mail.message_id(sub.id, d.key, mailer.settings.domain)
                msg = mail.compose(
                    sender=mailer.settings.sender,
                    recipients=recipients,
                    subject=f"{title(sub, d.period)} - {PRODUCT}",
                    body=_body(sub, owner, d.period, attachment),
                    filename=attachment.filename,
                    content_type=attachment.content_type,
                    data=attachment.data,
                    msg_id=msg_id,
                )
                refused = mailer.send(msg)
            except MailError as exc:
                result.stopped = str(exc)
                return result
            except (ReportUnavailable, MessageRefused) as exc:
                _failed(result, say, log, sub.id, d.key, where, str(exc), attachment, dry_run)
                continue
            except Exception as exc:  # one report that cannot be made must not stop the others
                session.rollback()
                reason = f"the report could not be made: {type(exc).__name__}: {exc}"
                _failed(result, say, log, sub.id, d.key, where, reason, attachment, dry_run)
                continue
            note = "; refused: " + ", ".join(f"{r} ({why})" for r, why in refused.items()) if refused else ""
            _record(log, sub.id, d.key, status="sent", error=note[2:] or None, message_id=msg_id, attachment=attachment)
            result.sent += 1
            say(f"sent     {where}: {attachment.filename}, {len(attachment.data):,} bytes{note}")
    return result


@contextmanager
def _one_snapshot(session: Session) -> Iterator[None]:
    """One read snapshot for all the statements of a report, as the API's exports read theirs
    (app.reporting.budget.variance_stream): on PostgreSQL a REPEATABLE READ transaction, so an import
    committing while a report is made cannot show in half of it; SQLite's read transaction is one."""
    bind = session.get_bind()
    if not (isinstance(bind, Engine) and bind.dialect.name == "postgresql"):  # (a test's session: as is)
        yield
        return
    session.commit()  # the isolation level is set when a transaction starts
    session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    try:
        yield
    except BaseException:
        session.rollback()
        raise
    session.commit()  # ends it (nothing was written); unlike a rollback, keeps the rows loaded


def _failed(
    result: RunResult,
    say: Callable[[str], None],
    log: Session,
    subscription_id: int,
    key: str,
    where: str,
    reason: str,
    attachment: Attachment | None,
    dry_run: bool,
) -> None:
    result.failed += 1
    if not dry_run:
        _record(log, subscription_id, key, status="failed", error=reason, attachment=attachment)
    say(f"failed   {where}: {reason}")


def _recipients(subscription: Subscription) -> list[str]:
    return list(json.loads(subscription.recipients))


@contextmanager
def run_lock(engine: Engine) -> Iterator[None]:
    """One send-reports at a time on a database, so two overlapping runs (a slow one and the next
    cron start) cannot both send the same key. PostgreSQL: a session advisory lock; SQLite: an
    exclusive lock on a file beside the database. Both go with the process, however it ends."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            got = conn.execute(text("SELECT pg_try_advisory_lock(hashtext('scorecard send-reports'))")).scalar()
            if not got:
                raise AlreadyRunning("another scorecard send-reports is running on this database")
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(hashtext('scorecard send-reports'))"))
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    import fcntl

    with open(f"{database}.send-reports.lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(
                f"another scorecard send-reports is running on this database ({database}.send-reports.lock)"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def command(
    *, today: date | None, everything: bool, dry_run: bool, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """The command's work: 0 when every due report went out, 1 when one failed or the run stopped,
    2 for missing or bad SMTP settings. Lines go to `out` (default stdout), errors to `err` (stderr)."""
    out, err = out or sys.stdout, err or sys.stderr
    smtp: SmtpSettings | None = None
    try:
        smtp = SmtpSettings.from_settings(get_settings())
    except mail.MailSettingsError as exc:
        if not dry_run:
            print(f"error: {exc}", file=err)
            return 2
    today = today or date.today()
    try:
        with (
            run_lock(get_engine()),
            get_sessionmaker()() as session,
            get_sessionmaker(write=True)() as log,
            Mailer(smtp) if smtp is not None else _no_mailer() as mailer,
        ):
            result = send_reports(
                session, log=log, mailer=mailer, today=today, everything=everything, dry_run=dry_run, out=out
            )
    except AlreadyRunning as exc:
        print(f"error: {exc}; nothing sent", file=err)
        return 1
    if result.stopped:
        done = f"stopped after {result.sent} sent" if result.sent else "nothing sent"
        print(f"error: {result.stopped}; {done}", file=err)
    print(result.summary(), file=out)
    return result.exit_code


@contextmanager
def _no_mailer() -> Iterator[None]:
    yield None
