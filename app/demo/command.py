"""`scorecard demo`: a fresh SQLite file with the demo company, loaded through the import service, then served."""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy and pandas load only when the demo runs, not for every `scorecard` call
    from app.demo.generate import DemoCompany, Login

DEMO_PASSWORD = "demo-scorecard"
DEFAULT_DATABASE = "scorecard-demo.db"


def _say(text: str) -> None:
    print(text, flush=True)


def _remove_database(path: Path) -> None:
    """Delete an old demo file and its WAL/shared-memory companions."""
    for p in (
        path,
        path.with_name(path.name + "-wal"),
        path.with_name(path.name + "-shm"),
        path.with_name(path.name + "-journal"),
    ):
        if p.exists():
            p.unlink()


def build_demo(path: Path, *, seed: int | None = None, today: date | None = None) -> tuple[DemoCompany, dict[str, int]]:
    """Create `path` from nothing: migrate, load every dataset through the import service, create the logins.
    The data ends on the last day of the month before `today`'s (default: the real today).

    Returns the company and the rows read per dataset. Raises ImportRejected if a generated file does not load.
    """
    from sqlalchemy.orm import Session

    from app import migrate
    from app.auth.service import create_user
    from app.db import make_engine
    from app.demo.generate import generate
    from app.demo.steering import seed_steering
    from app.demo.tables import SEED
    from app.imports.service import import_file

    started = time.perf_counter()
    company = generate(SEED if seed is None else seed, today=today)
    _say(f"generated the demo company in {time.perf_counter() - started:.1f} s")

    _remove_database(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{path.resolve().as_posix()}"
    t = time.perf_counter()
    migrate.upgrade(url)
    _say(f"created and migrated {path} ({time.perf_counter() - t:.1f} s)")

    rows: dict[str, int] = {}
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            for dataset, text in company.files.items():
                t = time.perf_counter()
                result = import_file(session, dataset=dataset, data=text.encode("utf-8"), filename=f"{dataset}.csv")
                session.commit()  # one dataset at a time, as a user would load the files
                rows[dataset] = result.rows
                _say(f"  loaded {dataset:<11} {result.rows:>7} rows  ({time.perf_counter() - t:.1f} s)")
            t = time.perf_counter()
            for login in company.logins:
                create_user(session, email=login.email, password=DEMO_PASSWORD, role=login.role)
            session.commit()
            _say(f"  created {len(company.logins)} logins ({time.perf_counter() - t:.1f} s)")
            t = time.perf_counter()
            seeded = seed_steering(session, company)  # the story's comments, actions, goal conversations
            session.commit()
            _say(
                f"  recorded {seeded.comments} comments, {seeded.actions} actions, "
                f"{seeded.conversations} goal conversations ({time.perf_counter() - t:.1f} s)"
            )
    finally:
        engine.dispose()
    _say(f"demo loaded in {time.perf_counter() - started:.1f} s")
    return company, rows


def login_table(logins: tuple[Login, ...], url: str) -> str:
    """The demo logins as aligned columns, the password and the address."""
    width_role = max(len(lg.role) for lg in logins)
    width_email = max(len(lg.email) for lg in logins)
    lines = [f"{'role':<{width_role}}  {'e-mail':<{width_email}}  who", "-" * (width_role + width_email + 40)]
    lines += [f"{lg.role:<{width_role}}  {lg.email:<{width_email}}  {lg.who}" for lg in logins]
    lines.append("")
    lines.append(f"password for every login: {DEMO_PASSWORD}")
    lines.append(f"open {url}")
    return "\n".join(lines)


def _is_configured_database(path: Path) -> bool:
    """Whether `path` is the SQLite file of DATABASE_URL (the user's real data)."""
    from sqlalchemy.engine import make_url

    from app.config import get_settings

    url = make_url(get_settings().database_url)
    if not url.drivername.startswith("sqlite") or url.database in (None, "", ":memory:"):
        return False
    return Path(url.database).resolve() == path.resolve()


def cmd_demo(args: argparse.Namespace) -> int:
    """Build the demo database and serve it (or only export its files with --export)."""
    from app.imports.errors import ImportRejected

    if args.export:
        from app.demo.generate import DATASET_ORDER, generate, write_files

        try:
            paths = write_files(generate(today=args.today), args.export)
        except OSError as exc:
            print(f"error: cannot write the files to {args.export}: {exc}", file=sys.stderr)
            return 2
        _say(f"wrote {len(paths)} files to {args.export}; load them in this order:")
        for name, path in zip(DATASET_ORDER, paths, strict=True):
            _say(f"  scorecard import {name} {path}")
        return 0

    path = Path(args.database)
    if _is_configured_database(path):
        print(
            f"error: {path} is the database DATABASE_URL names; the demo never replaces it. "
            "Give another file with --database.",
            file=sys.stderr,
        )
        return 2
    try:
        company, _rows = build_demo(path, today=args.today)
    except ImportRejected as exc:  # a bug in the generator or the importer: say where
        print(f"error: the demo data did not load: {exc.message}", file=sys.stderr)
        for err in exc.errors[:20]:
            print(f"  {err}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot create {path}: {exc}", file=sys.stderr)
        return 2

    url = f"http://{args.host}:{args.port}/"
    _say("")
    _say(login_table(company.logins, url))
    if args.no_serve:
        return 0

    # The served app must use the demo file, whatever DATABASE_URL says.
    from app.config import get_settings
    from app.db import get_engine, get_sessionmaker

    os.environ["DATABASE_URL"] = f"sqlite:///{path.resolve().as_posix()}"
    get_settings.cache_clear()
    get_engine.cache_clear()
    get_sessionmaker.cache_clear()
    from app.server import run_server

    run_server(args.host, args.port, workers=1)
    return 0


def _day(text: str) -> date:
    """A --today value: a date written YYYY-MM-DD."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):  # (fromisoformat also takes 20261127 and weeks)
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `scorecard demo` on the CLI's subparsers."""
    demo = sub.add_parser("demo", help="create a demo company in a fresh SQLite file and serve it")
    demo.add_argument(
        "--database",
        default=DEFAULT_DATABASE,
        help=f"the SQLite file to (re)create (default ./{DEFAULT_DATABASE}); DATABASE_URL's database is never touched",
    )
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--no-serve", action="store_true", help="load the demo and exit")
    demo.add_argument("--export", metavar="DIR", help="write the demo's CSV files (the import formats) to DIR and exit")
    demo.add_argument(
        "--today",
        type=_day,
        default=None,
        metavar="YYYY-MM-DD",
        help="make the demo as on this day: its data ends on the last day of the month before "
        "(default: today); the same month gives the same data",
    )
    demo.set_defaults(func=cmd_demo)
