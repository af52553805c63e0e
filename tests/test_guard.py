"""The request guard (app.guard): bodies bounded before any work, and no text the database cannot store.

What an outside probe found, each reproduced: a 300 MB JSON body was read whole before the 401; a
600 MB upload without a token was spooled to disk first; a NUL byte anywhere (login form, path,
query, JSON) gave 500 on PostgreSQL. Every refusal is paired with the same request made acceptable,
which the route then serves.
"""

import json
import socket
import time
from pathlib import Path

import pytest

from app.guard import SMALL_BODY_LIMIT
from tests.builders import PASSWORD, login, make_district, make_seller, make_user
from tests.conftest import BACKENDS
from tests.liveserver import server_process

MB = 1024 * 1024


@pytest.fixture
def admin_headers(client, session):
    return login(client, make_user(session, role="admin", email="admin@example.com"))


# --- bounded bodies, in process ----------------------------------------------------------------


def _user_body(size: int) -> bytes:
    """A POST /users body of exactly `size` bytes (the password padded with spaces inside the JSON)."""
    head = b'{"email": "new@example.com", "role": "finance", "password": "long enough password"'
    return head + b" " * (size - len(head) - 1) + b"}"


def test_a_json_body_over_64_kb_is_413_before_the_login_is_checked(client, session, admin_headers):
    too_big = _user_body(SMALL_BODY_LIMIT + 1)
    res = client.post("/api/v1/users", content=too_big, headers={"Content-Type": "application/json"})
    assert res.status_code == 413
    assert res.json()["detail"] == "the request body is larger than the 64 KB allowed here"
    # One byte less is read, and answered by the route: 401 without a token, 201 for an administrator.
    just_right = _user_body(SMALL_BODY_LIMIT)
    assert client.post("/api/v1/users", content=just_right,
                       headers={"Content-Type": "application/json"}).status_code == 401
    res = client.post("/api/v1/users", content=just_right, headers={**admin_headers, "Content-Type": "application/json"})
    assert res.status_code == 201, res.text


def test_a_chunked_body_is_refused_as_it_passes_the_limit(client, session, admin_headers):
    def chunks(total: int):
        body = _user_body(total)
        for start in range(0, len(body), 8192):
            yield body[start:start + 8192]

    headers = {**admin_headers, "Content-Type": "application/json"}
    res = client.post("/api/v1/users", content=chunks(SMALL_BODY_LIMIT + 8192), headers=headers)
    assert res.status_code == 413
    res = client.post("/api/v1/users", content=chunks(1000), headers=headers)
    assert res.status_code == 201, res.text


def test_a_login_form_over_64_kb_is_413(client, session):
    make_user(session, role="admin", email="admin@example.com")
    res = client.post("/api/v1/auth/token", data={"username": "admin@example.com", "password": "x" * SMALL_BODY_LIMIT})
    assert res.status_code == 413
    res = client.post("/api/v1/auth/token", data={"username": "admin@example.com", "password": PASSWORD})
    assert res.status_code == 200


def test_an_upload_may_be_larger_up_to_max_upload_mb(client, session, admin_headers):
    big = b"code,name\n" + b"".join(b"R%06d,Region %d\n" % (n, n) for n in range(5000))  # ~100 KB
    assert len(big) > SMALL_BODY_LIMIT
    res = client.post("/api/v1/imports/regions", files={"file": ("regions.csv", big, "text/csv")},
                      headers=admin_headers)
    assert res.status_code == 200, res.text
    assert res.json()["inserted"] == 5000


def test_an_upload_over_max_upload_mb_is_413_declared_or_chunked(monkeypatch, session):
    """MAX_UPLOAD_MB=1: the guard refuses from the declared length, or, with no Content-Length to go
    by (chunked), as the import route reads past the limit. (TestClient hands a chunked body over
    whole; that a served instance stops reading at the limit, the served test below shows.)"""
    from fastapi.testclient import TestClient

    from app.config import get_settings
    from app.db import get_session
    from app.main import create_app

    monkeypatch.setenv("MAX_UPLOAD_MB", "1")
    get_settings.cache_clear()
    try:
        app = create_app(precompute=False)
    finally:  # the other tests' apps read the settings again, without the 1 MB
        monkeypatch.delenv("MAX_UPLOAD_MB")
        get_settings.cache_clear()
    app.dependency_overrides[get_session] = lambda: session

    def chunked(data_bytes: int):
        yield b'--x\r\nContent-Disposition: form-data; name="file"; filename="r.csv"\r\n\r\ncode,name\r\n'
        for start in range(0, data_bytes, 65536):
            yield b"R1,One\r\n" * (min(65536, data_bytes - start) // 8)
        yield b"\r\n--x--\r\n"

    guard_says = "the request body is larger than the 1 MB allowed here (MAX_UPLOAD_MB)"
    with TestClient(app) as client:
        headers = login(client, make_user(session, role="admin", email="admin@example.com"))
        body = b"code,name\n" + b"R1,One\n" * (MB // 7 + 1)
        res = client.post("/api/v1/imports/regions", files={"file": ("regions.csv", body, "text/csv")},
                          headers=headers)
        assert res.status_code == 413
        assert res.json()["detail"] == guard_says
        multipart = {**headers, "Content-Type": "multipart/form-data; boundary=x"}
        res = client.post("/api/v1/imports/regions", content=chunked(MB + 65536), headers=multipart)
        assert res.status_code == 413
        assert res.json()["detail"] == guard_says
        small = client.post("/api/v1/imports/regions", content=chunked(8), headers=multipart)
        assert small.status_code == 200, small.text


def _asgi_post(app, path: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, list[str]]:
    """POST `path` straight into the ASGI app; (status, what the app asked `receive` for)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    asked: list[str] = []
    status: list[int] = []

    async def receive():
        asked.append("body")
        return {"type": "http.request", "body": b"--x\r\n", "more_body": len(asked) < 3}  # ends, should it be read

    async def send(message):
        if message["type"] == "http.response.start":
            status.append(message["status"])

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
             "headers": [(b"host", b"x"), (b"content-type", b"multipart/form-data; boundary=x"),
                         (b"content-length", b"100000000"), *headers],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80)}
    # In a thread of its own: an earlier test (the browser's) may leave an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    return status[0], asked


def test_an_upload_by_a_non_administrator_is_refused_before_its_file_is_read(app, client, session):
    """The import route reads its multipart body itself, after the credentials check: called as ASGI,
    a stranger's or a seller's 100 MB upload is answered without the app asking for a byte of it."""
    district = make_district(session, code="D1")
    make_seller(session, district=district, email="kari@example.com")
    seller = login(client, make_user(session, role="seller", email="kari@example.com"))
    admin = login(client, make_user(session, role="admin"))

    def bearer(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
        return [(b"authorization", headers["Authorization"].encode())]

    assert _asgi_post(app, "/api/v1/imports/regions", []) == (401, [])
    assert _asgi_post(app, "/api/v1/imports/regions", bearer(seller)) == (403, [])
    # An administrator's upload is read (the app asks for the body).
    status, asked = _asgi_post(app, "/api/v1/imports/nope", bearer(admin))
    assert (status, asked) == (404, [])  # an unknown dataset is answered first too
    res = client.post("/api/v1/imports/regions", files={"file": ("r.csv", b"code,name\nR9,Nine\n")}, headers=admin)
    assert res.status_code == 200 and res.json()["inserted"] == 1


# --- bounded bodies, on a served instance (a real HTTP server, a real client socket) ------------


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _send_and_answer(base: str, head: bytes, body_size: int, *, first: bytes = b"") -> tuple[bytes, int]:
    """Send `head` (and `first` bytes of body), read the answer within 10 s (the server must answer
    before the rest is sent), then try to send the rest of `body_size` bytes. Returns the answer's
    first bytes and how many body bytes the server let through."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head + first)
        answer = sock.recv(65536)
        sent = len(first)
        chunk = b" " * MB
        try:
            sock.settimeout(2)
            while sent < body_size:
                sent += sock.send(chunk[: min(MB, body_size - sent)])
        except OSError:  # the server closed the connection: the client cannot send the rest
            pass
    return answer, sent


@pytest.mark.slow
@pytest.mark.parametrize("empty_db_url", BACKENDS, indirect=True)
def test_a_served_instance_refuses_300_mb_without_growing(empty_db_url, tmp_path):
    """An unauthenticated 300 MB JSON body, declared and chunked, and a 600 MB upload without a token
    (MAX_UPLOAD_MB raised to 1000 so only the login can refuse it): each is answered at once, the
    connection closed, and the worker's memory grows by less than 20 MB."""
    from app import migrate

    url = empty_db_url
    migrate.upgrade(url)
    with server_process(url, tmp_path, env={"MAX_UPLOAD_MB": "1000", "PRECOMPUTE_FIGURES": "false"}) as (base, proc):
        before = _rss_kb(proc.pid)
        declared = (b"POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n" % (300 * MB))
        answer, sent = _send_and_answer(base, declared, 300 * MB)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert b"connection: close" in answer.lower()

        chunked = (b"POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   b"Transfer-Encoding: chunked\r\n\r\n")
        piece = b"%x\r\n%s\r\n" % (128 * 1024, b" " * 128 * 1024)
        answer, _ = _send_and_answer(base, chunked, 0, first=piece)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]

        upload = (b"POST /api/v1/imports/sales HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: %d\r\n\r\n" % (600 * MB))
        answer, sent = _send_and_answer(base, upload, 600 * MB,
                                        first=b'--x\r\nContent-Disposition: form-data; name="file"; '
                                              b'filename="s.csv"\r\n\r\n')
        assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
        assert sent < 100 * MB  # the server closed the connection; without that it reads all 600 MB
        time.sleep(0.5)
        grown_mb = (_rss_kb(proc.pid) - before) / 1024
    # Nothing could be spooled either: each answer came before the body was sent (the client reads
    # it first), and the server then closed the connection on what little the socket buffers held.
    assert grown_mb < 20, f"the worker grew by {grown_mb:.1f} MB"


# --- text the database can store --------------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/api/v1/sellers/S1%00", "/api/v1/scorecards/seller/S1%00?period=2026-10&range=ytd",
    "/api/v1/charts/scorecards/seller/S1%00/trend?period=2026-10",
    "/api/v1/scorecards/district/D1%1b/children?period=2026-10", "PATCH /api/v1/kpis/revenue%00",
])
def test_a_control_character_in_a_path_is_404(client, session, admin_headers, path):
    district = make_district(session, code="D1")
    make_seller(session, district=district, code="S1")
    method, _, path = path.rpartition(" ")
    send = client.patch if method == "PATCH" else client.get
    kwargs = {"json": {"weight": 2.0}} if method == "PATCH" else {}
    res = send(path, headers=admin_headers, **kwargs)
    assert res.status_code == 404
    assert "control character" in res.json()["detail"]
    # Without it, the route answers.
    clean = path.replace("%00", "").replace("%1b", "")
    assert send(clean, headers=admin_headers, **kwargs).status_code == 200


@pytest.mark.parametrize(("query", "name"), [
    ("action=kpi%00", "action"), ("entity=kpi%00x", "entity"), ("actor=a%0a", "actor"),
])
def test_a_control_character_in_a_query_is_422_naming_it(client, session, admin_headers, query, name):
    res = client.get(f"/api/v1/audit?{query}", headers=admin_headers)
    assert res.status_code == 422
    (problem,) = res.json()["detail"]
    assert problem["loc"] == ["query", name]
    assert "control character U+00" in problem["msg"]
    assert client.get(f"/api/v1/audit?{name}=kpi", headers=admin_headers).status_code == 200


def test_a_nul_in_the_login_form_is_422_before_the_database_sees_it(client, session):
    user = make_user(session, role="admin", email="admin@example.com")
    res = client.post("/api/v1/auth/token", content=b"username=a%00&password=x",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert res.status_code == 422
    assert res.json()["detail"][0]["loc"] == ["body", "username"]
    assert client.post("/api/v1/auth/token", data={"username": user.email, "password": PASSWORD}).status_code == 200


@pytest.mark.parametrize(("method", "path", "body", "loc"), [
    ("post", "/api/v1/tokens", {"name": "ERP\u0000", "scopes": ["budgets:read"]}, ["body", "name"]),
    ("post", "/api/v1/kpis", {"code": "survey", "name": "Survey\u0000", "perspective": "learning"}, ["body", "name"]),
    ("patch", "/api/v1/kpis/revenue", {"name": "Revenue\u0007"}, ["body", "name"]),
    ("post", "/api/v1/users", {"email": "a@example.com", "password": "long enough\ud800", "role": "finance"},
     ["body", "password"]),
    ("post", "/api/v1/tokens", {"name": "ERP", "scopes": ["budgets:read\u0000"]}, ["body", "scopes", 0]),
])
def test_a_control_character_in_json_is_422_naming_the_field(client, session, admin_headers, method, path, body, loc):
    raw = json.dumps(body).encode()  # ensure_ascii: \u0000 and \ud800 travel as escapes, as clients send them
    res = getattr(client, method)(path, content=raw, headers={**admin_headers, "Content-Type": "application/json"})
    assert res.status_code == 422, res.text
    (problem,) = res.json()["detail"]
    assert problem["loc"] == loc
    clean = json.loads(json.dumps(body).replace("\\u0000", "").replace("\\u0007", "").replace("\\ud800", ""))
    assert getattr(client, method)(path, json=clean, headers=admin_headers).status_code in (200, 201)


def test_lines_and_tabs_are_fine_in_body_text(client, session, admin_headers):
    res = client.patch("/api/v1/kpis/revenue", json={"name": "Revenue\tNOK"}, headers=admin_headers)
    assert res.status_code == 200 and res.json()["name"] == "Revenue\tNOK"


def test_a_nul_in_an_upload_file_name_is_422(client, session, admin_headers):
    """The file name goes into the audit trail. (httpx would percent-encode it: the body is written out.)"""
    def upload(name: bytes):
        body = (b'--x\r\nContent-Disposition: form-data; name="file"; filename="' + name + b'"\r\n\r\n'
                b"code,name\r\nR1,One\r\n--x--\r\n")
        return client.post("/api/v1/imports/regions", content=body,
                           headers={**admin_headers, "Content-Type": "multipart/form-data; boundary=x"})

    res = upload(b"r\x00.csv")
    assert res.status_code == 422, res.text
    assert res.json()["detail"][0]["loc"] == ["body", "file"]
    assert upload(b"regions.csv").status_code == 200


def test_a_nul_in_a_multipart_login_form_is_422(client, session):
    """The sign-in form may come as multipart too; it reached PostgreSQL with its NUL (500)."""
    user = make_user(session, role="admin", email="admin@example.com")
    res = client.post("/api/v1/auth/token", files={"username": (None, "a\x00"), "password": (None, "x")})
    assert res.status_code == 422
    assert res.json()["detail"][0]["loc"] == ["body", "username"]
    res = client.post("/api/v1/auth/token", files={"username": (None, user.email), "password": (None, PASSWORD)})
    assert res.status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/auth/token", "/api/v1/users"])
def test_json_nested_too_deep_is_400_not_500(client, session, admin_headers, path):
    res = client.post(path, content=b"[" * 5000 + b"]" * 5000, headers={**admin_headers, "Content-Type": "application/json"})
    assert res.status_code == 400
    assert "nested too deeply" in res.json()["detail"]
    res = client.post("/api/v1/users", json={"email": "n@example.com", "password": "long enough password",
                                             "role": "finance"}, headers=admin_headers)
    assert res.status_code == 201


def test_an_ipv6_client_is_counted_by_its_64_network():
    """One subscriber holds a whole /64: counted per address, they would have 2**64 tries."""
    from types import SimpleNamespace

    from app.security import client_address

    def address(host: str) -> str:
        return client_address(SimpleNamespace(client=SimpleNamespace(host=host)))

    assert address("2001:db8:1:2:3:4:5:6") == address("2001:db8:1:2:ffff::1") == "2001:db8:1:2::/64"
    assert address("2001:db8:1:3::1") != address("2001:db8:1:2::1")
    assert address("203.0.113.7") == "203.0.113.7"
