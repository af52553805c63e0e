"""Run the real `scorecard` command in a subprocess: the CLI tests and the browser tests use this."""

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

# The console script installed beside this interpreter (the venv's bin/), as users run it.
SCORECARD = str(Path(sys.executable).with_name("scorecard"))


def scorecard_env(database_url: str) -> dict[str, str]:
    """The environment for a `scorecard` subprocess on `database_url`, clear of a developer's settings."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "SECRET_KEY", "ENVIRONMENT", "TEST_DATABASE_URL"}}
    env["DATABASE_URL"] = database_url
    env["SECRET_KEY"] = secrets.token_hex(32)
    return env


def run_scorecard(args: list[str], database_url: str, cwd: Path, stdin: str = "",
                  timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`scorecard ARGS` to completion, with `stdin` as its standard input."""
    return subprocess.run([SCORECARD, *args], input=stdin, capture_output=True, text=True,
                          env=scorecard_env(database_url), cwd=cwd, timeout=timeout, check=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(database_url: str, cwd: Path, timeout: float = 60) -> Iterator[str]:
    """`scorecard serve` on a free port until the block ends; yields the base URL once health answers."""
    with server_process(database_url, cwd, timeout=timeout) as (base, _proc):
        yield base


@contextmanager
def server_process(database_url: str, cwd: Path, *, workers: int = 1, env: dict[str, str] | None = None,
                   name: str = "", timeout: float = 60) -> Iterator[tuple[str, subprocess.Popen]]:
    """`scorecard serve --workers N` on a free port, with `env` added to its environment, until the
    block ends; yields (base URL, process) once health answers."""
    port = free_port()
    log_path = cwd / f"serve-{name or port}.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen([SCORECARD, "serve", "--host", "127.0.0.1", "--port", str(port),
                                 "--workers", str(workers)],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                env={**scorecard_env(database_url), **(env or {})}, cwd=cwd)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"scorecard serve exited with {proc.returncode}:\n{log_path.read_text()}")
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"scorecard serve did not answer in {timeout} s:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
