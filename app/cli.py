"""The `scorecard` command: demo | serve | migrate | import | create-user | backup | send-reports."""

import argparse
import getpass
import sys
from collections.abc import Sequence
from datetime import date

from app.config import get_settings
from app.server import run_server


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def cmd_serve(args: argparse.Namespace) -> int:
    from app.security import settings_problem

    if (problem := settings_problem()) is not None:  # one clear line, not a traceback from each worker
        print(f"error: {problem}", file=sys.stderr)
        return 2
    run_server(
        args.host, args.port, args.workers, access_log=args.access_log, forwarded_allow_ips=args.forwarded_allow_ips
    )
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from app import migrate

    url = get_settings().database_url
    migrate.upgrade(url, args.revision)
    print(f"database migrated to {args.revision}")
    return 0


def cmd_rebuild_aggregates(args: argparse.Namespace) -> int:
    import time

    from app.db import get_sessionmaker
    from app.reporting.aggregates import rebuild

    start = time.perf_counter()
    with get_sessionmaker(write=True)() as session:
        rebuild(session)
        session.commit()
    print(
        f"monthly aggregates rebuilt from the sales, activities and seller histories "
        f"in {time.perf_counter() - start:.1f} s"
    )
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from app.auth.service import UserError, create_user
    from app.db import get_sessionmaker

    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("error: the passwords differ", file=sys.stderr)
            return 2
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    with get_sessionmaker(write=True)() as session:
        try:
            user = create_user(session, email=args.email, password=password, role=args.role)
        except UserError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        session.commit()
        print(f"created {user.role} {user.email}")
    return 0


def _columns(rows: Sequence[tuple[str, ...]]) -> list[str]:
    """Rows of cells as aligned lines; the last cell is not padded."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return ["  ".join([*(r[i].ljust(w) for i, w in enumerate(widths)), r[-1]]).rstrip() for r in rows]


def _error_table(errors: list, limit: int | None = 50) -> str:
    """The first `limit` errors (None: all) as aligned columns: row, column, value, message."""
    shown = errors if limit is None else errors[:limit]
    rows = [("row", "column", "value", "message")]
    for e in shown:
        rows.append(
            ("-" if e.row is None else str(e.row), e.column or "-", "" if e.value is None else repr(e.value), e.message)
        )
    lines = _columns(rows)
    if len(errors) > len(shown):
        lines.append(f"... and {len(errors) - len(shown)} more (--all-errors lists every one)")
    return "\n".join(lines)


def _summary_table(errors: list, limit: int = 20) -> str | None:
    """The problems counted by column and message, most frequent first; None when each is one of a kind."""
    from app.imports.errors import summarize

    groups = summarize(errors)
    if all(g["count"] == 1 for g in groups):
        return None
    rows = [("count", "column", "message", "first rows")]
    for g in groups[:limit]:
        rows.append((str(g["count"]), g["column"] or "-", g["message"], ", ".join(map(str, g["rows"]))))
    lines = _columns(rows)
    if len(groups) > limit:
        lines.append(f"... and {len(groups) - limit} more kinds of problem")
    return "\n".join(lines)


def cmd_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from app.db import get_sessionmaker
    from app.imports.errors import ImportRejected
    from app.imports.specs import DATASETS

    if args.dataset not in DATASETS:
        print(f"error: unknown dataset {args.dataset!r}; the datasets are: {', '.join(DATASETS)}", file=sys.stderr)
        return 2
    path = Path(args.file)
    if not path.is_file():
        print(f"error: no such file: {path}", file=sys.stderr)
        return 2
    size = path.stat().st_size  # the file is streamed from disk, never held whole
    shown: dict[str, int] = {}

    def progress(stage: str, done: int, total: int) -> None:
        # Stage and percent, only for files big enough to make someone wait; a line per 10 %.
        percent = 100 * done // max(total, 1)
        if shown.get(stage, -10) + 10 <= percent or (stage not in shown and done == 0):
            shown[stage] = percent
            print(f"{stage}: {percent}%", file=sys.stderr, flush=True)

    from app.imports.service import import_file

    # A write transaction from the start (BEGIN IMMEDIATE on SQLite): waits for a running app's writes
    # instead of failing with "database is locked".
    with get_sessionmaker(write=True)() as session:
        try:
            result = import_file(
                session,
                dataset=args.dataset,
                data=path,
                filename=path.name,
                dry_run=args.dry_run,
                progress=progress if size >= 1_000_000 else None,
            )
        except ImportRejected as exc:
            if len(exc.errors) == 1 and exc.errors[0].row is None:  # the whole file: one message says it
                print(f"{args.dataset}: {exc.errors[0].message}", file=sys.stderr)
                return 1
            print(f"{args.dataset}: {exc.message}; {len(exc.errors)} problem(s):", file=sys.stderr)
            summary = _summary_table(exc.errors)
            if summary:
                print(summary, file=sys.stderr)
                print(file=sys.stderr)
            print(_error_table(exc.errors, None if args.all_errors else 50), file=sys.stderr)
            return 1
        if not args.dry_run:
            session.commit()
    note = " (dry run: nothing written)" if args.dry_run else ""
    print(
        f"{result.dataset}: {result.rows} rows, {result.inserted} inserted, {result.updated} updated, "
        f"{result.unchanged} unchanged{note}"
    )
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from app.backup import BackupError, backup

    try:
        result = backup(get_settings().database_url, Path(args.dest))
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"backed up to {result.path} ({result.size:,} bytes; {result.detail})")
    return 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a day (YYYY-MM-DD): {text!r}") from None


def cmd_send_reports(args: argparse.Namespace) -> int:
    from app.close.sender import command

    return command(today=args.today, everything=args.now, dry_run=args.dry_run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scorecard", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    from app.demo.command import add_parser as add_demo_parser

    add_demo_parser(sub)

    serve = sub.add_parser("serve", help="serve the app on DATABASE_URL")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=_positive,
        default=None,
        help="worker processes (default: WEB_CONCURRENCY, else 1); about one per CPU core",
    )
    serve.add_argument("--no-access-log", dest="access_log", action="store_false", help="do not log a line per request")
    serve.add_argument(
        "--forwarded-allow-ips",
        default=None,
        metavar="IPS",
        help="comma-separated addresses of the reverse proxies / load balancers whose "
        "X-Forwarded-For is trusted for the client address (default: FORWARDED_ALLOW_IPS, "
        "else 127.0.0.1); '*' trusts any",
    )
    serve.set_defaults(func=cmd_serve)

    mig = sub.add_parser("migrate", help="migrate DATABASE_URL to the newest schema")
    mig.add_argument("revision", nargs="?", default="head")
    mig.set_defaults(func=cmd_migrate)

    imp = sub.add_parser("import", help="load a CSV or XLSX file into DATABASE_URL, all or nothing")
    imp.add_argument(
        "dataset",
        help="regions, districts, sellers, leaders, accounts, products, seasonality, "
        "sales, activities, targets, kpi_values or budgets",
    )
    imp.add_argument("file", help="the CSV (UTF-8) or XLSX file")
    imp.add_argument("--dry-run", action="store_true", help="check the file, write nothing")
    imp.add_argument(
        "--all-errors",
        action="store_true",
        help="list every problem of a rejected file (default: a summary and the first 50)",
    )
    imp.set_defaults(func=cmd_import)

    cu = sub.add_parser("create-user", help="create a login (password from standard input or a prompt)")
    cu.add_argument("email")
    cu.add_argument("--role", required=True, choices=["admin", "leader", "seller", "finance"])
    cu.set_defaults(func=cmd_create_user)

    ra = sub.add_parser(
        "rebuild-aggregates",
        help="recompute the monthly aggregates from the raw facts (after rows were written "
        "outside `scorecard import`, e.g. by a bulk load with the database's own tools)",
    )
    ra.set_defaults(func=cmd_rebuild_aggregates)

    bk = sub.add_parser(
        "backup",
        help="a consistent copy of DATABASE_URL while the app runs (SQLite: a checked copy; PostgreSQL: pg_dump -Fc)",
    )
    bk.add_argument("dest", help="the new file, or a folder to write a dated file into")
    bk.set_defaults(func=cmd_backup)

    sr = sub.add_parser(
        "send-reports",
        help="send the report subscriptions that are due by e-mail (SMTP_* settings); run it from cron or a timer",
    )
    sr.add_argument("--now", action="store_true", help="send every active subscription now, whatever its schedule")
    sr.add_argument("--dry-run", action="store_true", help="make the reports and list them; send and record nothing")
    sr.add_argument(
        "--today", type=_day, default=None, metavar="YYYY-MM-DD", help="reckon what is due on this day (default: today)"
    )
    sr.set_defaults(func=cmd_send_reports)

    return parser


def main(argv: list[str] | None = None) -> int:
    from sqlalchemy.exc import OperationalError, ProgrammingError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (OperationalError, ProgrammingError) as exc:
        # An unreachable or unmigrated database: say which and what to do, not a traceback.
        url = get_settings().database_url
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        print(
            f"error: the database at DATABASE_URL ({_safe(url)}) cannot be used: {reason}\n"
            "check that it is reachable, and run `scorecard migrate` if it is new",
            file=sys.stderr,
        )
        return 1


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


if __name__ == "__main__":
    sys.exit(main())
