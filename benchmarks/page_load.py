"""First load on a phone's network: Debian's chromium (Playwright, headless) on an emulated network,
cold cache, against a running server (--url) or a `scorecard demo` this script starts.

    .venv/bin/python benchmarks/page_load.py [--url http://127.0.0.1:8000] [--profile slow4g|fast|both]
        [--repeat 1]

Network profiles, set through the DevTools protocol (`Network.emulateNetworkConditions`, per page,
before it loads; the latency is added to each request): slow4g = 1.6 Mbit/s down, 750 kbit/s up,
150 ms; fast = 9 Mbit/s down and up, 40 ms.

Per profile and repeat, in a new browser context (an empty cache):

1. **sign-in page**: `/#/seller/S148` (not signed in, so the app shows the sign-in form); time from
   the navigation's start until the form is in the page and a frame is painted after it; bytes:
   what crossed the wire (`Network.loadingFinished`'s encodedDataLength: headers and bodies as
   sent, compressed or not) until the network is idle.
2. **seller's page, first visit**: sign in as nora.naess@fjordkjokken.example.com (password
   demo-scorecard), the app goes on to #/seller/S148; time from the click on "Sign in" until every
   chart is drawn (each `.chart` has `data-state=drawn`); bytes: the whole visit, the sign-in page
   included.
3. **second visit**: a new page in the same context (the browser's cache kept; the sign-in token is
   per tab, so it signs in again), the same steps; bytes, and the script loads that went to the
   network (a `Script` response not from the memory or disk cache, a 304 included) out of all.

Without --url it runs `scorecard demo --today 2026-11-27` (the venv's console script) on a free port in
a temporary folder and stops it at the end. Prints one table per profile; the figures are the median
over --repeat runs.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from playwright.sync_api import CDPSession, Page, sync_playwright

EMAIL = "nora.naess@fjordkjokken.example.com"
PASSWORD = "demo-scorecard"
PATH = "/#/seller/S148"
PROFILES = {
    "slow4g": {"latency": 150, "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 0.75e6 / 8},
    "fast": {"latency": 40, "downloadThroughput": 9e6 / 8, "uploadThroughput": 9e6 / 8},
}
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 180_000

# When the sign-in form is first in the page (and a frame painted after it): works on any version.
FORM_SEEN = """(() => {
  const seen = () => {
    if (window.__formAt === undefined && document.getElementById("login-form")) {
      window.__formAt = null;
      requestAnimationFrame(() => { window.__formAt = performance.now(); });
    }
  };
  new MutationObserver(seen).observe(document, { childList: true, subtree: true });
})();"""

CHARTS_DRAWN = """() => {
  const charts = [...document.querySelectorAll(".chart")];
  if (charts.some((c) => c.dataset.state === "error")) throw new Error("a chart failed to draw");
  return charts.length > 0 && charts.every((c) => c.dataset.state === "drawn") ? performance.now() : false;
}"""


@dataclass
class Wire:
    """What one page fetched, from the DevTools protocol's Network events."""

    bytes: int = 0
    scripts: int = 0
    scripts_from_network: int = 0
    _types: dict[str, str] = field(default_factory=dict)

    def listen(self, cdp: CDPSession) -> None:
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.loadingFinished", self._finished)

    def _response(self, event: dict) -> None:
        self._types[event["requestId"]] = event["type"]
        if event["type"] == "Script":
            self.scripts += 1
            response = event["response"]
            cached = response.get("fromDiskCache") or response.get("fromMemoryCache") or response.get(
                "fromPrefetchCache")
            if not cached and not response.get("fromServiceWorker"):
                self.scripts_from_network += 1

    def _finished(self, event: dict) -> None:
        self.bytes += int(event.get("encodedDataLength", 0))


@dataclass
class Visit:
    form_ms: float
    signin_bytes: int
    charts_ms: float
    total_bytes: int
    scripts: int
    scripts_from_network: int


def open_page(context, profile: dict) -> tuple[Page, Wire]:
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    wire = Wire()
    wire.listen(cdp)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, **profile})
    page.add_init_script(FORM_SEEN)
    return page, wire


def visit(context, url: str, profile: dict) -> Visit:
    page, wire = open_page(context, profile)
    page.goto(url + PATH, wait_until="commit", timeout=TIMEOUT_MS)
    page.wait_for_function("() => typeof window.__formAt === 'number'", timeout=TIMEOUT_MS)
    form_ms = page.evaluate("window.__formAt")
    page.wait_for_load_state("networkidle", timeout=TIMEOUT_MS)
    signin_bytes = wire.bytes
    page.locator("#login-form input[name=username]").fill(EMAIL)
    page.locator("#login-form input[name=password]").fill(PASSWORD)
    clicked = page.evaluate("""() => { const t = performance.now();
        document.querySelector("#login-form button[type=submit]").click(); return t; }""")
    drawn = page.wait_for_function(CHARTS_DRAWN, timeout=TIMEOUT_MS, polling=50).json_value()
    page.wait_for_load_state("networkidle", timeout=TIMEOUT_MS)
    result = Visit(form_ms, signin_bytes, drawn - clicked, wire.bytes, wire.scripts, wire.scripts_from_network)
    page.close()
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_demo(workdir: Path) -> tuple[str, subprocess.Popen]:
    """`scorecard demo` on a free port in `workdir`; returns its URL once it answers."""
    scorecard = shutil.which("scorecard", path=str(Path(sys.executable).parent)) or "scorecard"
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{(workdir / 'other.db').as_posix()}",
           "SECRET_KEY": secrets.token_hex(32)}
    log = (workdir / "demo.log").open("w")
    proc = subprocess.Popen([scorecard, "demo", "--port", str(port), "--today", "2026-11-27"], cwd=workdir,
                            env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"scorecard demo exited with {proc.returncode}; see {workdir / 'demo.log'}")
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                return url, proc
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise SystemExit("scorecard demo did not answer within 10 minutes")


def kb(n: float) -> str:
    return f"{n / 1024:,.0f} KB"


def report(name: str, first: list[Visit], second: list[Visit]) -> None:
    def med(values: list[Visit], attr: str) -> float:
        return statistics.median(getattr(v, attr) for v in values)

    profile = PROFILES[name]
    print(f"\n{name}: {profile['downloadThroughput'] * 8 / 1e6:g} Mbit/s down, "
          f"{profile['uploadThroughput'] * 8 / 1e6:g} Mbit/s up, {profile['latency']} ms; {len(first)} run(s)")
    print(f"  sign-in form visible          {med(first, 'form_ms') / 1000:6.2f} s   {kb(med(first, 'signin_bytes'))}")
    print(f"  seller page, charts drawn     {med(first, 'charts_ms') / 1000:6.2f} s   {kb(med(first, 'total_bytes'))}"
          " (first visit in all)")
    print(f"  second visit: sign-in form    {med(second, 'form_ms') / 1000:6.2f} s   {kb(med(second, 'signin_bytes'))}")
    print(f"  second visit: charts drawn    {med(second, 'charts_ms') / 1000:6.2f} s   {kb(med(second, 'total_bytes'))}"
          f"; scripts from the network {med(second, 'scripts_from_network'):.0f} of {med(second, 'scripts'):.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server (default: start `scorecard demo`)")
    parser.add_argument("--profile", choices=[*PROFILES, "both"], default="both")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="page-load-"))
    proc = None
    try:
        url = args.url.rstrip("/") if args.url else None
        if url is None:
            url, proc = start_demo(workdir)
            print(f"scorecard demo at {url} ({workdir})")
        names = list(PROFILES) if args.profile == "both" else [args.profile]
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                         args=LAUNCH_ARGS)
            for name in names:
                first, second = [], []
                for _ in range(args.repeat):
                    context = browser.new_context()
                    first.append(visit(context, url, PROFILES[name]))
                    second.append(visit(context, url, PROFILES[name]))
                    context.close()
                report(name, first, second)
            browser.close()
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
