"""GET /attention ("needs attention") on the demo company: its first view after a data change and warm.

    .venv/bin/python benchmarks/attention.py [--today 2026-11-15] [--repeat 5] [--keep]

Data: the demo company built by `app.demo.command.build_demo` (its default seed, data through the
month before --today) into a SQLite file in a temp folder, and one administrator login.

Then, in this process: the app (`create_app(precompute=False)`, the database from DATABASE_URL) in a
FastAPI TestClient. Timed, for the opening period (GET /data-status's `open_period`) and range ytd
(and month): "first" is a request with the figure cache emptied (what the first reader after an
import pays: scoring the organization over the range and the months back `months_red` needs),
repeated --repeat times; "warm" the same request again (the organization's answer cached; the
caller's cut, the comments and the actions read per request), as the administrator, a region's
leader and a district's leader. The number of items and months scored are printed. Nothing is
asserted: these are figures to read.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PASSWORD = "bench-password-1"


def build(path: Path, today: date) -> None:
    from sqlalchemy.orm import Session

    from app.auth.service import create_user
    from app.db import make_engine
    from app.demo.command import build_demo

    started = time.perf_counter()
    build_demo(path, today=today)
    engine = make_engine(f"sqlite:///{path.resolve().as_posix()}")
    with Session(engine) as session:
        create_user(session, email="admin@bench.example", password=PASSWORD, role="admin")
        session.commit()
    engine.dispose()
    print(f"demo company built in {time.perf_counter() - started:.1f} s")


def leaders(url: str) -> list[tuple[str, str]]:
    """(description, e-mail) of a region's leader and a district's leader, with a login each."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from app.auth.passwords import hash_password
    from app.auth.service import create_user
    from app.db import make_engine
    from app.models import Leader, LeaderUnit, User

    engine = make_engine(url)
    out = []
    with Session(engine) as session:
        for level in ("region", "district"):
            row = session.execute(
                select(Leader.email, LeaderUnit.unit_code)
                .join(LeaderUnit, LeaderUnit.leader_id == Leader.id)
                .where(LeaderUnit.level == level)
                .order_by(Leader.email)
                .limit(1)
            ).first()
            if row is None:
                continue
            email = row.email.lower()
            user = session.scalar(select(User).where(User.email == email))
            if user is None:
                create_user(session, email=email, password=PASSWORD, role="leader")
            else:
                user.password_hash = hash_password(PASSWORD)
            out.append((f"leader of {level} {row.unit_code}", email))
        session.commit()
    engine.dispose()
    return out


def measure(url: str, repeat: int) -> None:
    os.environ["DATABASE_URL"] = url
    from fastapi.testclient import TestClient

    from app.main import create_app
    from app.reporting.cache import FIGURES

    callers = [("administrator", "admin@bench.example"), *leaders(url)]
    with TestClient(create_app(precompute=False)) as client:

        def headers_of(email: str) -> dict[str, str]:
            res = client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
            assert res.status_code == 200, res.text
            return {"Authorization": f"Bearer {res.json()['access_token']}"}

        admin = headers_of("admin@bench.example")
        period = client.get("/api/v1/data-status", headers=admin).json()["open_period"]
        print(f"period {period}")
        print()
        print("| range | caller | items | first median ms | first max ms | warm median ms | warm max ms |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for range_ in ("ytd", "month"):
            params = {"period": period, "range": range_}
            for who, email in callers:
                headers = headers_of(email)
                first, warm, items = [], [], 0
                for _ in range(repeat):
                    FIGURES.clear()
                    started = time.perf_counter()
                    res = client.get("/api/v1/attention", params=params, headers=headers)
                    first.append((time.perf_counter() - started) * 1000)
                    if res.status_code != 200:
                        print(f"{who}: {res.status_code} {res.text[:200]}")
                        break
                    items = len(res.json()["items"])
                    for _ in range(3):
                        started = time.perf_counter()
                        client.get("/api/v1/attention", params=params, headers=headers)
                        warm.append((time.perf_counter() - started) * 1000)
                if first and warm:
                    print(
                        f"| {range_} | {who} | {items} | {statistics.median(first):.0f} | {max(first):.0f} "
                        f"| {statistics.median(warm):.1f} | {max(warm):.1f} |"
                    )
        kept = FIGURES.keys()  # (version, key) of every entry: a list, not a dict's keys
        months = sum(1 for _, key in kept if isinstance(key, tuple) and key[:1] == ("attention-month",))
        print()
        print(f"months scored on their own for the last answer (range month): {months}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 15))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="attention-bench-"))
    path = folder / "demo.db"
    try:
        build(path, args.today)
        measure(f"sqlite:///{path.resolve().as_posix()}", args.repeat)
    finally:
        if args.keep:
            print(f"kept {path}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
