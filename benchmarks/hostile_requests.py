"""What refusing hostile input costs (issue 14), against a baseline run in the same process.

    .venv/bin/python benchmarks/hostile_requests.py [--rows 20000]

Prints:
- the request guard's cost on a GET (the app's hot path: a cached scorecard), as microseconds added
  to a bare ASGI call and as a ratio;
- the time and the peak of traced Python memory to refuse the issue's hostile workbooks (the zip bomb,
  1,048,576 rows with and without `<dimension>`) with the default XLSX_* limits, beside reading a
  normal workbook of --rows sales rows, which is accepted.

No database and no server: the guard is called as an ASGI app, the workbooks go to
`app.imports.reader.read_table`, as an upload's bytes do.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.guard import MIB, RequestGuard
from app.imports.errors import FileProblem
from app.imports.reader import read_table
from app.imports.service import get_spec
from tests.data import make_hostile

GET_SCOPE = {
    "type": "http", "method": "GET", "path": "/api/v1/scorecards/seller/S148",
    "query_string": b"period=2026-10&range=ytd",
    "headers": [(b"host", b"scorecard"), (b"user-agent", b"Mozilla/5.0"), (b"accept", b"application/json"),
                (b"accept-encoding", b"gzip, br"), (b"authorization", b"Bearer " + b"x" * 180),
                (b"connection", b"keep-alive")],
}


async def _nothing(scope, receive, send) -> None:
    return None


def guard_cost(calls: int = 200_000) -> None:
    guard = RequestGuard(_nothing, large={"/api/v1/imports/": (200 * MIB, "MAX_UPLOAD_MB")})

    async def run(app) -> float:
        started = time.perf_counter()
        for _ in range(calls):
            await app(GET_SCOPE, None, None)
        return (time.perf_counter() - started) / calls

    bare = asyncio.run(run(_nothing))
    guarded = asyncio.run(run(guard))
    print(f"guard on a GET: bare ASGI call {bare * 1e6:.2f} us, through the guard {guarded * 1e6:.2f} us "
          f"(+{(guarded - bare) * 1e6:.2f} us, {guarded / bare:.1f}x a call that does nothing)")


def _read(name: str, data: bytes) -> tuple[float, float, str]:
    """(seconds, traced peak MB, outcome): timed untraced, then read again under tracemalloc (which
    slows openpyxl's many small allocations several times over) for the memory."""
    def once() -> str:
        try:
            return f"accepted, {len(read_table(data, f'{name}.xlsx', spec=get_spec('sales'))):,} rows"
        except FileProblem as exc:
            return f"refused: {exc}"

    started = time.perf_counter()
    outcome = once()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    once()
    peak = tracemalloc.get_traced_memory()[1] / MIB
    tracemalloc.stop()
    return seconds, peak, outcome


def workbooks(rows: int) -> None:
    header = ["id", "date", "seller_code", "account_code", "product_code", "quantity", "amount", "cost"]
    normal = make_hostile.workbook(make_hostile.deflated([make_hostile.sheet_xml(
        [header, *([f"X{n}", "2026-10-05", "S1", "A1", "P1", 3, "1234.50", 800] for n in range(rows))])]))
    cases = {f"normal, {rows:,} rows ({len(normal) / MIB:.1f} MB)": normal,
             "zip bomb": make_hostile.sales_zip_bomb(),
             "1,048,576 rows, <dimension> says so": make_hostile.sales_million_rows(),
             "1,048,576 rows, no <dimension>": make_hostile.sales_million_rows_no_dimension()}
    for name, data in cases.items():
        seconds, peak, outcome = _read(name, data)
        print(f"{name}: {len(data) / MIB:.1f} MB file, {seconds:.2f} s, traced peak {peak:.0f} MB; {outcome[:150]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000, help="rows of the normal workbook (the baseline)")
    args = parser.parse_args()
    guard_cost()
    workbooks(args.rows)


if __name__ == "__main__":
    main()
