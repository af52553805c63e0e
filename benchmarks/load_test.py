"""Load: C concurrent clients for D seconds against `scorecard serve --workers N`, over loopback.

    .venv/bin/python benchmarks/load_test.py --database-url URL [--workers 2] [--clients 50] [--duration 60]
        [--period YYYY-MM] [--warmup 0] [--think-ms 0] [--no-wait-precompute] [--access-log] [--seed 1]

URL is a migrated SQLite file or PostgreSQL database with data in it (DATABASE_URL if not given), for
instance the demo company (`scorecard demo --no-serve --database /tmp/demo.db`, then
`--database-url sqlite:////tmp/demo.db`; on PostgreSQL: `scorecard demo --export DIR`, `scorecard
migrate` and `scorecard import` of each file in the order printed) or a copy of a big prepared
database (one bulk-loaded outside the importer needs `scorecard rebuild-aggregates` first). THE
SCRIPT WRITES INTO IT (logins, leader rows): use a copy.

Setup (not timed):
1. In-process, before the server starts: an administrator login `load-admin@loadtest.example`
   created with the app's `create_user` unless it exists; the period (default: the month of the
   latest sale).
2. `scorecard serve --workers N --no-access-log` in its own process group on a free loopback port, a
   fresh SECRET_KEY; the script waits for /api/v1/health.
3. Through the API as that administrator: the regions, districts and sellers; a leaders file imported
   (POST /api/v1/imports/leaders) giving `load-leader-*@loadtest.example` the lead of --district-leaders
   districts and --region-leaders regions; logins (POST /api/v1/users) for them, a finance user and
   --seller-logins sellers spread over the list; every login signed in once (POST /api/v1/auth/token).
   Logins that exist already are reused when the load-test password signs them in, else left out.

4. Unless --no-wait-precompute: the script waits until every worker has logged that its figure
   precomputer (app.precompute) is done with the data version the setup left (at most
   --precompute-timeout s), as it would be long before a sales meeting; how long each took is printed.

With --warmup S, the load runs S seconds before the timed window opens, uncounted, and goes on into
it without a break, so the clients do not all start again together (each worker process fills its
own figure cache meanwhile; without it, the timed run includes every cache miss of a freshly started
server, and the 50 clients' first calls arriving at once).

Timed: C clients (asyncio, each on its own keep-alive connection through a minimal HTTP/1.1 client,
`Connection`, that costs little CPU; at most one request in flight per client, no think
time unless --think-ms; with it, each client's first call waits a random part of it, so that calls
do not start in step) loop over page loads as the frontend makes them, for D seconds; a call counts
when it starts in that window; then every client is cancelled, a request still in flight is not
counted (their number is printed). Each client is one login; the roles are mixed by --mix (default
seller 40, leader 35, admin 15, finance 10 %):
- seller: their own scorecard page: GET /scorecards/seller/{code}?period&range=ytd, then the charts
  /charts/scorecards/seller/{code}/perspectives, /kpis, /trend?kpi=..&months=12;
- district leader: the team page of their district (/children, the district's scorecard, /heatmap,
  /perspectives charts), then the page of one of its sellers; one time in four the district's trend
  JSON (/scorecards/district/{code}/trend?months=12);
- region leader: the team page of their region, of one of its districts, then a seller's page;
- admin: one of the company's (one time in four), a region's or a district's team page, then any
  seller's page (the 2,000 sellers of a big database are all reached), and a seller's trend JSON;
- finance: the budget page (GET /budget/variance?from=YYYY-01&to=period&by=district|region|product,
  the charts /charts/budget/monthly, /waterfall, /forecast and GET /budget/forecast), then a seller's page.

Printed per call kind and per group: count (errors included), errors (any non-2xx or exception),
p50/p95/p99 (nearest rank)/max ms and requests/s; then the CPU used during the timed run, as cores
busy on average: the app server (all its processes), PostgreSQL's processes (on PostgreSQL; other
users of that server included), this client and the whole machine, so a reader can judge how much the
client and other jobs took from the server; then how the clients' connections were spread over the
workers (sampled every second: a connection stays with the worker that accepted it, so the clients
of a worker holding more than its share wait longer).

Bounded: a hard time limit (--hard-limit, default warmup + duration + 900 s), and the server's process
group is ended (SIGTERM, then SIGKILL) on every exit: normal, error, Ctrl-C, SIGTERM or the limit; the
server also gets SIGTERM if this script is killed outright.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import math
import os
import random
import re
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.analytics.kpis import KPI_BY_CODE  # noqa: E402  (pure: no database, no web)

PASSWORD = "load-test-password-1"
ADMIN = "load-admin@loadtest.example"
FINANCE = "load-finance@loadtest.example"
DOMAIN = "loadtest.example"
# the trend charts the clients ask for: a workload choice (kept as the recorded runs had it), each a
# built-in KPI of the registry
TREND_KPIS = ("revenue", "gross_margin", "margin_pct", "active_customers", "meetings", "hit_rate")
assert all(code in KPI_BY_CODE for code in TREND_KPIS)


# --------------------------------------------------------------------------------------------- setup


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def prepare_database(url: str) -> tuple[str, int]:
    """Make sure the load-test administrator exists; (the latest sale's month, sales rows)."""
    from sqlalchemy import func, inspect, select
    from sqlalchemy.orm import Session

    from app.auth.service import create_user
    from app.db import make_engine
    from app.models import Sale, User

    engine = make_engine(url)
    try:
        if "alembic_version" not in inspect(engine).get_table_names():
            raise SystemExit(f"error: {_safe_url(url)} is not migrated; run `scorecard migrate` and load data first")
        with Session(engine) as session:
            if session.scalar(select(User.id).where(User.email == ADMIN)) is None:
                create_user(session, email=ADMIN, password=PASSWORD, role="admin")
                session.commit()
                print(f"created the administrator login {ADMIN}", flush=True)
            latest = session.scalar(select(func.max(Sale.date)))
            rows = session.scalar(select(func.count()).select_from(Sale))
    finally:
        engine.dispose()
    if latest is None:
        raise SystemExit(f"error: {_safe_url(url)} has no sales; load data first (or use the demo)")
    return f"{latest:%Y-%m}", rows


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    # In the child before exec: SIGTERM when this script dies, even by SIGKILL (Linux prctl PR_SET_PDEATHSIG).
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class Server:
    """`scorecard serve` in its own process group; `stop()` ends the whole group."""

    def __init__(self, url: str, workers: int, access_log: bool, log_dir: Path) -> None:
        scorecard = Path(sys.executable).with_name("scorecard")
        command = [str(scorecard)] if scorecard.exists() else [sys.executable, "-m", "app.cli"]
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.command = [*command, "serve", "--host", "127.0.0.1", "--port", str(self.port),
                        "--workers", str(workers), *([] if access_log else ["--no-access-log"])]
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "WEB_CONCURRENCY"}}
        env.update(DATABASE_URL=url, SECRET_KEY=secrets.token_hex(32))
        self.log_path = log_dir / "serve.log"
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, env=env, cwd=log_dir, start_new_session=True,
                                     preexec_fn=_die_with_parent)  # noqa: PLW1509 (no threads yet)

    def precomputed(self, version: int) -> list[float]:
        """The seconds each worker's figure precomputer took for data `version`, as logged so far."""
        pattern = re.compile(rf"precomputed \d+ figures for .* under data version {version} in ([\d.]+) s")
        return [float(m.group(1)) for m in pattern.finditer(self.log_path.read_text())]

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"error: scorecard serve exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.base}/api/v1/health", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"error: scorecard serve did not answer within {timeout:.0f} s:\n{self.log_tail()}")
            time.sleep(0.25)

    def pids(self) -> list[int]:
        """Every live process of the server's process group (the supervisor and its workers)."""
        return [pid for pid, _name, fields in _proc_stats() if int(fields[2]) == self.proc.pid]  # field 5, pgrp

    def cpu_seconds(self) -> dict[int, float]:
        """User + system CPU of each of the group's live processes, by pid."""
        return {pid: _cpu_seconds(fields) for pid, _name, fields in _proc_stats() if int(fields[2]) == self.proc.pid}

    def connections(self) -> dict[int, int]:
        """The established client connections each live process of the group holds, by pid (Linux: the
        server port's sockets in /proc/net/tcp*, matched to the processes' open files)."""
        established = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                lines = Path(table).read_text().splitlines()[1:]
            except OSError:
                continue
            for line in lines:
                fields = line.split()  # sl local_address rem_address st ... inode (field 10)
                if int(fields[1].rsplit(":", 1)[1], 16) == self.port and fields[3] == "01":
                    established.add(f"socket:[{fields[9]}]")
        held = {}
        for pid in self.pids():
            try:
                links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
            except OSError:
                continue
            held[pid] = sum(1 for link in links if link in established)
        return held

    def memory(self) -> list[tuple[int, int]]:
        """(resident, peak resident) MB of each of the group's live processes that holds more than 100 MB
        (the workers; the supervisor and multiprocessing's helper hold less)."""
        found = []
        for pid in self.pids():
            try:
                status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
            except OSError:
                continue
            rss, hwm = (int(status[k].split()[0]) // 1024 for k in ("VmRSS", "VmHWM"))
            if rss > 100:
                found.append((rss, hwm))
        return sorted(found)

    def log_tail(self, lines: int = 40) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def kill_now(self) -> None:
        """SIGTERM to the whole group, without waiting (safe in a signal handler)."""
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass

    def stop(self) -> None:
        if self.proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        try:  # workers left behind by a killed supervisor
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._log.close()


def _proc_stats() -> Iterator[tuple[int, str, list[str]]]:
    """(pid, command name, the fields after the name) of every live process, from /proc/<pid>/stat."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # ended meanwhile
                continue
            yield int(entry.name), stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()


def _cpu_seconds(fields: list[str]) -> float:
    """User + system CPU seconds from a stat line's fields after the name (fields 14 and 15)."""
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> dict[int, float]:
    """User + system CPU seconds of each live `postgres` process (the backends of this run's server and
    whatever else uses that PostgreSQL)."""
    return {pid: _cpu_seconds(fields) for pid, name, fields in _proc_stats() if name == "postgres"}


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent not idle (all cores), from /proc/stat."""
    parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    return (sum(parts[:8]) - idle) / os.sysconf("SC_CLK_TCK")


@dataclass
class Login:
    role: str
    email: str
    token: str = ""
    seller: str | None = None                            # a seller's own code
    unit: tuple[str, str] | None = None                  # a leader's (level, code)


@dataclass
class Org:
    regions: list[str]
    districts: list[str]
    sellers: list[str]
    districts_of: dict[str, list[str]]
    sellers_of: dict[str, list[str]]                     # sellers now in each district


class SetupError(RuntimeError):
    """A setup call to the server failed; main prints the server log's tail with it."""


def wait_precomputed(server: Server, url: str, workers: int, timeout: float) -> None:
    """Wait until every worker precomputed the opening figures for the data as it is now (the setup's
    leaders import moved the data version): a sales meeting comes long after the last import."""
    from sqlalchemy.orm import Session

    from app.db import make_engine
    from app.reporting.version import current_version

    engine = make_engine(url)
    with Session(engine) as session:
        version = current_version(session)
    engine.dispose()
    started = time.perf_counter()
    print(f"waiting for {workers} worker(s) to precompute the figures of data version {version}...", flush=True)
    while len(done := server.precomputed(version)) < workers:
        if server.proc.poll() is not None:
            raise SetupError(f"scorecard serve exited with {server.proc.returncode}")
        if time.perf_counter() - started > timeout:
            raise SetupError(f"the figures were not precomputed within {timeout:g} s")
        time.sleep(0.5)
    print(f"precomputed after {time.perf_counter() - started:.1f} s of waiting; each worker took "
          f"{', '.join(f'{s:.1f}' for s in done)} s", flush=True)


def _check(response: httpx.Response, what: str) -> httpx.Response:
    if response.status_code >= 300:
        raise SetupError(f"setup step {what} failed: {response.status_code} {response.text[:500]}")
    return response


def _spread(items: list, n: int) -> list:
    """`n` items spread evenly over `items` (all of them when there are fewer)."""
    if n >= len(items):
        return list(items)
    return [items[i * len(items) // n] for i in range(n)]


def setup_logins(base: str, *, sellers: int, district_leaders: int, region_leaders: int) -> tuple[Org, list[Login]]:
    """The organization as the administrator sees it, and signed-in logins of every role."""
    with httpx.Client(base_url=f"{base}/api/v1", timeout=300) as http:
        def sign_in(email: str) -> str | None:
            r = http.post("/auth/token", data={"username": email, "password": PASSWORD})
            return r.json()["access_token"] if r.status_code == 200 else None

        admin_token = sign_in(ADMIN)
        if admin_token is None:
            raise SystemExit(f"error: {ADMIN} exists with another password; delete that login or use another copy")
        http.headers["Authorization"] = f"Bearer {admin_token}"
        regions = [r["code"] for r in _check(http.get("/regions"), "GET /regions").json()]
        district_rows = _check(http.get("/districts"), "GET /districts").json()
        seller_rows = [s for s in _check(http.get("/sellers"), "GET /sellers").json() if s["district_code"]]
        if not seller_rows:
            raise SystemExit("error: the database has no sellers")
        districts_of: dict[str, list[str]] = defaultdict(list)
        for d in district_rows:
            districts_of[d["region_code"]].append(d["code"])
        sellers_of: dict[str, list[str]] = defaultdict(list)
        for s in seller_rows:
            sellers_of[s["district_code"]].append(s["code"])
        org = Org(regions, [d["code"] for d in district_rows if sellers_of[d["code"]]],
                  [s["code"] for s in seller_rows], dict(districts_of), dict(sellers_of))

        # Leaders: one load-test leader per chosen unit, loaded as a file (an upsert: reruns change nothing).
        led = [("district", c) for c in _spread(org.districts, district_leaders)]
        led += [("region", c) for c in _spread([r for r in regions if districts_of.get(r)], region_leaders)]
        leaders = [Login("leader", f"load-leader-{level[0]}{i}@{DOMAIN}", unit=(level, code))
                   for i, (level, code) in enumerate(led)]
        if leaders:
            csv = "email,name,district_code,region_code\n" + "".join(
                f"{lg.email},Load leader {i},{code if level == 'district' else ''},{code if level == 'region' else ''}\n"
                for i, lg in enumerate(leaders) for level, code in [lg.unit])
            _check(http.post("/imports/leaders", files={"file": ("leaders.csv", csv.encode(), "text/csv")}),
                   "POST /imports/leaders")
        chosen = _spread(seller_rows, sellers)
        wanted = [Login("finance", FINANCE), *leaders,
                  *(Login("seller", s["email"].lower(), seller=s["code"]) for s in chosen)]
        existing = {u["email"] for u in _check(http.get("/users"), "GET /users").json()}
        created = 0
        for login in wanted:
            if login.email not in existing:
                _check(http.post("/users", json={"email": login.email, "password": PASSWORD, "role": login.role}),
                       f"POST /users {login.email}")
                created += 1
    logins = [Login("admin", ADMIN, admin_token)]
    skipped = []
    with httpx.Client(base_url=f"{base}/api/v1", timeout=300) as http:
        for login in wanted:
            r = http.post("/auth/token", data={"username": login.email, "password": PASSWORD})
            if r.status_code == 200:
                login.token = r.json()["access_token"]
                logins.append(login)
            elif login.role == "seller" and login.email in existing:
                skipped.append(login.email)  # someone's real login: not ours to use
            else:
                _check(r, f"sign-in of {login.email}")
    print(f"logins: {created} created, {len(logins)} signed in"
          + (f"; {len(skipped)} seller(s) with a login of their own left out" if skipped else ""), flush=True)
    return org, logins


# --------------------------------------------------------------------------------------------- load


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: dict[str, str] = field(default_factory=dict)  # first error per (kind, status)
    in_flight: int = 0
    counting_from: float = math.inf  # perf_counter() when the timed window opened; calls before are the warm-up
    stopped: bool = False  # the run is over: clients make no further call (besides being cancelled)


def seller_page(code: str, scope: str, period: str, rng: random.Random) -> list[tuple[str, str]]:
    base = f"/scorecards/seller/{code}"
    return [("scorecard seller", f"{base}?{scope}"),
            ("chart perspectives seller", f"/charts{base}/perspectives?{scope}"),
            ("chart kpis seller", f"/charts{base}/kpis?{scope}"),
            ("chart trend seller", f"/charts{base}/trend?period={period}&kpi={rng.choice(TREND_KPIS)}&months=12")]


def team_page(level: str, code: str, scope: str) -> list[tuple[str, str]]:
    base = f"/scorecards/{level}/{code}"
    return [(f"children {level}", f"{base}/children?{scope}"), (f"scorecard {level}", f"{base}?{scope}"),
            (f"chart heatmap {level}", f"/charts{base}/heatmap?{scope}"),
            (f"chart perspectives {level}", f"/charts{base}/perspectives?{scope}")]


def budget_page(period: str, rng: random.Random) -> list[tuple[str, str]]:
    year, by = period[:4], rng.choice(("district", "district", "region", "product"))
    scope = f"from={year}-01&to={period}&by={by}"
    forecast = f"year={year}&as_of={period}&by={by}"
    return [(f"variance by {by}", f"/budget/variance?{scope}"),
            ("chart budget monthly", f"/charts/budget/monthly?{scope}"),
            ("chart budget waterfall", f"/charts/budget/waterfall?{scope}"),
            ("chart budget forecast", f"/charts/budget/forecast?{forecast}"),
            ("forecast", f"/budget/forecast?{forecast}")]


def pages(login: Login, org: Org, period: str, rng: random.Random):
    """Endless page loads (lists of (kind, path)) of one login, as the frontend would make them."""
    scope = f"period={period}&range=ytd"
    i = 0
    while True:
        i += 1
        if login.role == "seller":
            yield seller_page(login.seller, scope, period, rng)
        elif login.role == "leader" and login.unit[0] == "district":
            code = login.unit[1]
            yield team_page("district", code, scope)
            yield seller_page(rng.choice(org.sellers_of[code]), scope, period, rng)
            if i % 4 == 0:
                yield [("trend district", f"/scorecards/district/{code}/trend?period={period}&months=12")]
        elif login.role == "leader":
            region = login.unit[1]
            district = rng.choice(org.districts_of[region])
            yield team_page("region", region, scope)
            yield team_page("district", district, scope)
            if org.sellers_of.get(district):
                yield seller_page(rng.choice(org.sellers_of[district]), scope, period, rng)
        elif login.role == "admin":
            if i % 4 == 0:
                yield team_page("company", "-", scope)
            elif i % 2 == 0:
                yield team_page("region", rng.choice(org.regions), scope)
            else:
                yield team_page("district", rng.choice(org.districts), scope)
            yield seller_page(rng.choice(org.sellers), scope, period, rng)
            yield [("trend seller", f"/scorecards/seller/{rng.choice(org.sellers)}/trend?period={period}&months=12")]
        else:  # finance
            yield budget_page(period, rng)
            yield seller_page(rng.choice(org.sellers), scope, period, rng)


def assign(logins: list[Login], clients: int, mix: dict[str, float]) -> list[Login]:
    """A login per client: roles in proportion to `mix` (over the roles present), logins of a role in turn."""
    by_role: dict[str, list[Login]] = defaultdict(list)
    for login in logins:
        by_role[login.role].append(login)
    weights = {role: w for role, w in mix.items() if by_role.get(role) and w > 0}
    total = sum(weights.values())
    counts = {role: int(clients * w / total) for role, w in weights.items()}
    for role in sorted(weights, key=lambda r: -(clients * weights[r] / total - counts[r])):  # largest remainder
        if sum(counts.values()) >= clients:
            break
        counts[role] += 1
    out = []
    for role, n in counts.items():
        out += [by_role[role][k % len(by_role[role])] for k in range(n)]
    return out


IDLE_SECONDS = 2.0  # a connection idle this long is replaced before the next call (uvicorn drops them at 5 s)


class Connection:
    """One client's keep-alive HTTP/1.1 connection, one GET at a time, over asyncio streams.

    The timed load uses this rather than httpx: httpx costs about 3 ms of CPU per call, so 50 clients
    took 0.7 of this 2-core machine's cores from the server they measured; this costs a tenth of
    that. It reads what uvicorn sends: a status line, headers, then a Content-Length body or a
    chunked one. A connection idle for IDLE_SECONDS is replaced first (the new TCP connection's cost
    is part of that call's time), as is one the server closed."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.used = 0.0

    async def get(self, path: str, authorization: str) -> tuple[int, bytes]:
        if self.writer is None or time.monotonic() - self.used > IDLE_SECONDS:
            await self.close()
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        try:
            self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                              f"Authorization: {authorization}\r\nAccept: */*\r\n\r\n".encode("latin-1"))
            head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            status = int(head[0].split(" ", 2)[1])
            fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:] if line)}
            if fields.get("transfer-encoding", "").lower() == "chunked":
                body = bytearray()
                while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                    body += await self.reader.readexactly(size + 2)
                    del body[-2:]
                await self.reader.readuntil(b"\r\n")  # the empty trailer
            else:
                body = await self.reader.readexactly(int(fields.get("content-length", "0")))
        except BaseException:
            await self.close()
            raise
        if fields.get("connection", "").lower() == "close":
            await self.close()
        self.used = time.monotonic()
        return status, bytes(body)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


async def client(base: str, login: Login, org: Org, period: str, seed: int, stats: Stats, think: float,
                 timeout: float) -> None:
    rng = random.Random(seed)
    host, port = base.removeprefix("http://").split(":")
    connection = Connection(host, int(port))
    authorization = f"Bearer {login.token}"
    if think:
        await asyncio.sleep(rng.uniform(0, think))
    try:
        for page in pages(login, org, period, rng):
            for kind, path in page:
                if stats.stopped:
                    return
                started = time.perf_counter()
                stats.in_flight += 1
                try:
                    # (asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow the cancellation
                    # that ends the run when the call finishes at that moment, and the client then ran on
                    # for ever, the run never ending)
                    async with asyncio.timeout(timeout):
                        status, body = await connection.get(f"/api/v1{path}", authorization)
                    failure = None if 200 <= status < 300 else (str(status), body[:200].decode(errors="replace"))
                except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError,
                        TimeoutError) as exc:
                    failure = (type(exc).__name__, str(exc)[:200])
                finally:
                    stats.in_flight -= 1
                if started >= stats.counting_from:  # (before: the warm-up, not counted)
                    stats.latencies[kind].append((time.perf_counter() - started) * 1000)
                    if failure is not None:
                        stats.errors[kind] += 1
                        stats.samples.setdefault(f"{kind} {failure[0]}", f"{path}: {failure[1]}")
                if think:
                    await asyncio.sleep(rng.expovariate(1 / think))
    finally:
        await connection.close()


async def run_load(base: str, assigned: list[Login], org: Org, period: str, warmup: float, duration: float,
                   seed: int, think: float, timeout: float, at_start: Callable[[], None],
                   every_second: Callable[[], None] = lambda: None) -> tuple[Stats, float]:
    """Run the clients for `warmup` s uncounted, call `at_start`, then count `duration` s more, calling
    `every_second` meanwhile."""
    stats = Stats()
    tasks = [asyncio.create_task(client(base, login, org, period, seed * 1000 + i, stats, think, timeout))
             for i, login in enumerate(assigned)]
    if warmup > 0:
        await asyncio.wait(tasks, timeout=warmup, return_when=asyncio.FIRST_EXCEPTION)
    at_start()
    stats.counting_from = started = time.perf_counter()

    async def tick() -> None:
        while True:
            await asyncio.sleep(1)
            every_second()

    ticking = asyncio.create_task(tick())
    done, _pending = await asyncio.wait(tasks, timeout=duration, return_when=asyncio.FIRST_EXCEPTION)
    elapsed = time.perf_counter() - started
    ticking.cancel()
    unfinished = stats.in_flight
    stats.stopped = True
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:  # a client that crashed (a bug here, not an HTTP error): say so
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()
    stats.in_flight = unfinished
    return stats, elapsed


# --------------------------------------------------------------------------------------------- report


def connection_spread(workers: list[int], samples: list[dict[int, int]]) -> str:
    """How the clients' connections were spread over the workers: at the start of the timed run, then
    on average and at the most uneven moment of the per-second samples (a connection stays with the
    worker that accepted it; with N workers, a worker holding more than its share makes its clients
    wait longer)."""
    if not workers or not samples:
        return "client connections per worker: not sampled"

    def counts(sample: dict[int, int]) -> list[int]:
        return [sample.get(pid, 0) for pid in workers]

    def busiest_share(sample: dict[int, int]) -> float:
        held = counts(sample)
        return max(held) / max(1, sum(held))

    mean = [sum(counts(s)[i] for s in samples) / len(samples) for i in range(len(workers))]
    worst = max(samples, key=busiest_share)
    return (f"client connections per worker (same order): {', '.join(map(str, counts(samples[0])))} when the timed "
            f"run began; {', '.join(f'{m:.1f}' for m in mean)} on average over {len(samples)} samples; most uneven "
            f"{', '.join(map(str, counts(worst)))} (the busiest worker held {busiest_share(worst):.0%})")


def percentile(sorted_ms: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    k = max(0, min(len(sorted_ms) - 1, int(-(-q * len(sorted_ms) // 100)) - 1))
    return sorted_ms[k]


def report(stats: Stats, elapsed: float) -> str:
    kinds = sorted(stats.latencies)
    groups = {
        "= scorecard JSON (scorecard, children, trend)": [k for k in kinds if k.split()[0] in
                                                           ("scorecard", "children", "trend")],
        "= seller scorecard JSON": [k for k in kinds if k == "scorecard seller"],
        "= charts": [k for k in kinds if k.startswith("chart")],
        "= budget JSON (variance, forecast)": [k for k in kinds if k.split()[0] in ("variance", "forecast")],
        "= ALL": kinds,
    }
    width = max(len(k) for k in [*kinds, *groups])
    header = (f"{'call kind':<{width}}  {'count':>7}  {'errors':>6}  {'p50 ms':>8}  {'p95 ms':>8}  {'p99 ms':>8}  "
              f"{'max ms':>8}  {'req/s':>7}")
    lines = [header]

    def row(name: str, values: list[float], errors: int) -> str:
        v = sorted(values)
        if not v:
            return f"{name:<{width}}  {0:>7}  {errors:>6}"
        return (f"{name:<{width}}  {len(v):>7}  {errors:>6}  {percentile(v, 50):>8.1f}  {percentile(v, 95):>8.1f}  "
                f"{percentile(v, 99):>8.1f}  {v[-1]:>8.1f}  {len(v) / elapsed:>7.1f}")

    for kind in kinds:
        lines.append(row(kind, stats.latencies[kind], stats.errors.get(kind, 0)))
    lines.append("-" * len(lines[0]))
    for name, members in groups.items():
        if members:
            lines.append(row(name, [x for k in members for x in stats.latencies[k]],
                             sum(stats.errors.get(k, 0) for k in members)))
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- main


def parse_mix(text: str) -> dict[str, float]:
    mix = {}
    for part in text.split(","):
        role, _, weight = part.partition("=")
        if role.strip() not in ("seller", "leader", "admin", "finance") or not weight:
            raise argparse.ArgumentTypeError(f"--mix: {part!r} is not role=weight with role seller, leader, "
                                             "admin or finance")
        mix[role.strip()] = float(weight)
    return mix


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                        help="a migrated database with data (default DATABASE_URL); it is written to: use a copy")
    parser.add_argument("--workers", type=int, default=2, help="scorecard serve --workers (default 2)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument("--period", help="YYYY-MM (default: the month of the latest sale)")
    parser.add_argument("--mix", type=parse_mix, default=parse_mix("seller=40,leader=35,admin=15,finance=10"),
                        help="role=weight,... (default seller=40,leader=35,admin=15,finance=10)")
    parser.add_argument("--seller-logins", type=int, default=20)
    parser.add_argument("--district-leaders", type=int, default=8)
    parser.add_argument("--region-leaders", type=int, default=2)
    parser.add_argument("--warmup", type=float, default=0,
                        help="seconds of the same load before the timed run, not counted (fills the caches)")
    parser.add_argument("--no-wait-precompute", dest="wait_precompute", action="store_false",
                        help="start the load without waiting for the workers' figure precompute")
    parser.add_argument("--precompute-timeout", type=float, default=900)
    parser.add_argument("--think-ms", type=float, default=0, help="mean pause between a client's calls")
    parser.add_argument("--request-timeout", type=float, default=60)
    parser.add_argument("--startup-timeout", type=float, default=180)
    parser.add_argument("--access-log", action="store_true", help="let the server log every request")
    parser.add_argument("--hard-limit", type=float,
                        help="seconds after which everything stops (default warmup + duration + 900, "
                             "plus --precompute-timeout when waiting)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url or set DATABASE_URL")
    if args.period and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.period):
        parser.error(f"--period: {args.period!r} is not YYYY-MM")
    if args.workers < 1 or args.clients < 1 or args.duration <= 0:
        parser.error("--workers and --clients must be 1 or more, --duration positive")

    server: Server | None = None
    stopped: list[str] = []

    def stop_now(signum, _frame):
        # The server goes first, whatever becomes of the exception below: raised inside the event loop it
        # can land in a library that swallows it (asyncio's transports log and drop a failed write);
        # KeyboardInterrupt is the one asyncio always lets through.
        stopped.append("hard time limit reached" if signum == signal.SIGALRM else signal.Signals(signum).name)
        if server is not None:
            server.kill_now()
        raise KeyboardInterrupt

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM):
        signal.signal(sig, stop_now)
    signal.alarm(int(args.hard_limit or args.warmup + args.duration + 900
                     + (args.precompute_timeout if args.wait_precompute else 0)))

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="load_test_") as tmp:
        try:
            print(f"database {_safe_url(args.database_url)}", flush=True)
            latest, rows = prepare_database(args.database_url)
            period = args.period or latest
            server = Server(args.database_url, args.workers, args.access_log, Path(tmp))
            print(f"server: {' '.join(server.command)}", flush=True)
            server.wait_healthy(args.startup_timeout)
            print(f"server answered health after {time.perf_counter() - started:.1f} s", flush=True)
            org, logins = setup_logins(server.base, sellers=args.seller_logins,
                                       district_leaders=args.district_leaders, region_leaders=args.region_leaders)
            if args.wait_precompute:
                wait_precomputed(server, args.database_url, args.workers, args.precompute_timeout)
            assigned = assign(logins, args.clients, args.mix)
            roles = defaultdict(int)
            for login in assigned:
                roles[login.role] += 1
            print(f"{rows:,} sales rows; {len(org.regions)} regions, {len(org.districts)} districts, "
                  f"{len(org.sellers)} sellers; period {period}, range ytd", flush=True)
            print(f"{args.clients} clients ({', '.join(f'{n} {r}' for r, n in sorted(roles.items()))}) for "
                  f"{args.duration:g} s, think time {args.think_ms:g} ms, {args.workers} worker(s)...", flush=True)

            if args.warmup > 0:
                print(f"warming up for {args.warmup:g} s (not counted), then the timed run...", flush=True)
            on_pg = args.database_url.startswith("postgresql")
            before: dict = {}

            def at_start() -> None:  # the timed window opens: what was used so far
                before.update(server=server.cpu_seconds(), connections=server.connections(),
                              client=resource.getrusage(resource.RUSAGE_SELF),
                              machine=machine_busy_seconds(), postgres=postgres_cpu() if on_pg else {},
                              load=os.getloadavg()[0])

            held: list[dict[int, int]] = []  # the client connections each process holds, every second
            stats, elapsed = asyncio.run(run_load(server.base, assigned, org, period, args.warmup, args.duration,
                                                  args.seed, args.think_ms / 1000, args.request_timeout, at_start,
                                                  lambda: held.append(server.connections())))
            server_cpu, client_cpu, machine = before["server"], before["client"], before["machine"]
            postgres_before, load_before = before["postgres"], before["load"]
            # per process, counting new ones from 0 (a worker restarted during the run)
            server_by_pid = {pid: cpu - server_cpu.get(pid, 0.0) for pid, cpu in server.cpu_seconds().items()}
            server_cpu = sum(server_by_pid.values())
            after = resource.getrusage(resource.RUSAGE_SELF)
            client_cpu = (after.ru_utime - client_cpu.ru_utime) + (after.ru_stime - client_cpu.ru_stime)
            machine = machine_busy_seconds() - machine
            # per process, counting new ones from 0; what a backend that ended during the run used is missed
            postgres = sum(max(0.0, cpu - postgres_before.get(pid, 0.0))
                           for pid, cpu in (postgres_cpu() if on_pg else {}).items())
            print()
            print(report(stats, elapsed))
            print(f"\nelapsed {elapsed:.1f} s; {stats.in_flight} request(s) in flight at the end, not counted")
            cores = os.cpu_count()
            pg = f", PostgreSQL processes {postgres / elapsed:.2f}" if on_pg else ""
            print(f"CPU during the run, in cores busy on average (machine: {cores}): app server {server_cpu / elapsed:.2f}, "
                  f"this client {client_cpu / elapsed:.2f}{pg}, whole machine {machine / elapsed:.2f} (so others "
                  f"{max(0.0, (machine - server_cpu - client_cpu - postgres) / elapsed):.2f}); load average "
                  f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
            busy = sorted(((cpu / elapsed, pid) for pid, cpu in server_by_pid.items() if cpu / elapsed >= 0.01),
                          reverse=True)
            print("app server CPU per process, in cores: " + ", ".join(f"{c:.2f}" for c, _pid in busy)
                  + " (the workers)")
            print(connection_spread([pid for _c, pid in busy], [before["connections"], *held]))
            print("server memory, MB resident (peak) per worker: "
                  + ", ".join(f"{rss} ({hwm})" for rss, hwm in server.memory()))
            if stats.samples:
                print("\nerrors (first of each kind and status):")
                for what, detail in sorted(stats.samples.items()):
                    print(f"  {what}: {detail}")
            if server.proc.poll() is not None:
                print(f"\nthe server exited during the run (code {server.proc.returncode})")
            log = server.log_tail(100_000)
            bad = [ln for ln in log.splitlines() if "Traceback" in ln or " ERROR" in ln or "ERROR:" in ln]
            if bad:
                print(f"\nserver log: {len(bad)} error line(s); the last lines:\n{server.log_tail(30)}")
            return 1 if sum(stats.errors.values()) or bad else 0
        except SetupError as exc:
            print(f"error: {exc}\nthe server log's last lines:\n{server.log_tail(30)}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print(f"\nstopped ({', '.join(stopped) or 'interrupted'}); the server is shut down", file=sys.stderr)
            return 130
        finally:
            signal.alarm(0)
            for sig in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not cut the clean-up short
                signal.signal(sig, signal.SIG_IGN)
            if server is not None:
                server.stop()


if __name__ == "__main__":
    sys.exit(main())
