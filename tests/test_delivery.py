"""How the pages are delivered (app/delivery.py): gzip for text answers (files compressed once, API answers
on the fly, streamed exports part by part, binary ones never), versioned immutable URLs for the frontend
and plotly.js, no-cache for everything else a browser must revalidate, 304 on If-None-Match, the icon."""

import asyncio
import concurrent.futures
import csv
import gzip
import io
import re
import shutil
import zlib
from datetime import date
from decimal import Decimal
from pathlib import Path

import plotly
import pytest
from fastapi.testclient import TestClient

from app.config import resource_dir
from app.delivery import IMMUTABLE, NO_CACHE, CompressMiddleware, accepts_gzip, load_frontend
from app.models import Budget
from app.security import SWAGGER_ASSETS
from tests.builders import add_budgets, make_district, make_product, make_region, make_user, signed_in
from tests.test_security import assert_security_headers

FRONTEND = resource_dir("frontend")
PYTHON_PLOTLY = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
GZIP = {"Accept-Encoding": "gzip"}
IDENTITY = {"Accept-Encoding": "identity"}


def raw(client: TestClient, url: str, headers: dict[str, str], method: str = "GET"):
    """The answer and its body as it crossed the wire (httpx would decode it otherwise)."""
    with client.stream(method, url, headers=headers) as res:
        return res, b"".join(res.iter_raw())


def urls_named(html: str) -> list[str]:
    return re.findall(r'(?:href|src|content)="(/[^"]*)"', html)


@pytest.fixture
def index(client) -> str:
    res = client.get("/")
    assert res.status_code == 200
    return res.text


def versioned(index: str, name: str) -> str:
    (url,) = [u for u in urls_named(index) if u.startswith("/static/") and u.endswith("/" + name)]
    return url


# --- compression ------------------------------------------------------------------------------


def test_text_files_come_gzipped_and_decompress_to_the_files_bytes(client, index):
    plotly_file = FRONTEND / "vendor" / "plotly.min.js"
    cases = {
        versioned(index, "app.js"): (FRONTEND / "app.js").read_bytes(),
        versioned(index, "style.css"): (FRONTEND / "style.css").read_bytes(),
        "/static/i18n.js": (FRONTEND / "i18n.js").read_bytes(),
        "/vendor/plotly.min.js": (plotly_file if plotly_file.exists() else PYTHON_PLOTLY).read_bytes(),
        "/api/docs/assets/swagger-ui-bundle.js": (SWAGGER_ASSETS / "swagger-ui-bundle.js").read_bytes(),
        "/api/docs/assets/swagger-ui.css": (SWAGGER_ASSETS / "swagger-ui.css").read_bytes(),
    }
    for url, file in cases.items():
        res, body = raw(client, url, GZIP)
        assert res.status_code == 200, url
        assert res.headers["content-encoding"] == "gzip", url
        assert int(res.headers["content-length"]) == len(body) < len(file) / 2, url
        assert res.headers["vary"] == "Accept-Encoding", url
        assert gzip.decompress(body) == file, url
        plain, plain_body = raw(client, url, IDENTITY)
        assert "content-encoding" not in plain.headers and plain_body == file, url
        assert plain.headers["vary"] == "Accept-Encoding", url
        assert plain.headers["etag"] != res.headers["etag"], url  # two representations, two tags
        assert_security_headers(res)


def test_the_page_and_api_answers_are_gzipped_on_the_fly_above_1_kb(client, session):
    res, body = raw(client, "/", GZIP)
    assert res.headers["content-encoding"] == "gzip" and b"<!doctype html>" in gzip.decompress(body)
    assert_security_headers(res)
    res, body = raw(client, "/api/openapi.json", GZIP)
    assert res.headers["content-encoding"] == "gzip" and res.headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(body) == raw(client, "/api/openapi.json", IDENTITY)[1]
    assert_security_headers(res)
    kpis, body = raw(client, "/api/v1/kpis", {**GZIP, **signed_in(make_user(session, role="admin"))})
    assert kpis.status_code == 200 and kpis.headers["content-encoding"] == "gzip"
    assert len(gzip.decompress(body)) > 1024
    # 40 bytes: sent as they are (gzip's header and trailer would eat the gain), but it could vary
    health, body = raw(client, "/api/v1/health", GZIP)
    assert "content-encoding" not in health.headers and body == b'{"status":"ok","database":"ok"}'
    assert health.headers["vary"] == "Accept-Encoding"


@pytest.mark.parametrize(("header", "gzipped"), [
    ("gzip", True), ("gzip, deflate, br, zstd", True), ("br;q=1.0, gzip;q=0.5", True), ("*", True),
    ("x-gzip", True), ("GZIP", True), ("identity", False), ("br", False), ("gzip;q=0", False),
    ("*;q=0", False), ("br, *;q=0", False), ("", False), ("gzip;q=x", False),
])
def test_accept_encoding_is_read_with_its_q_values(client, header, gzipped):
    assert accepts_gzip(header) is gzipped
    res, _body = raw(client, "/static/app.js", {"Accept-Encoding": header})
    assert (res.headers.get("content-encoding") == "gzip") is gzipped


@pytest.fixture
def budget_rows(session):
    """6 variance rows: 3 districts x 2 products, budgets only (January 2026)."""
    region = make_region(session)
    products = [make_product(session) for _ in range(2)]
    lines = []
    for n in range(3):
        district = make_district(session, region=region)
        for product in products:
            lines.append(Budget(district_id=district.id, product_id=product.id, month=date(2026, 1, 1),
                                quantity=Decimal(10 + n), amount=Decimal("1234.50"), source_period="2026-01"))
    add_budgets(session, lines)
    return {**GZIP, **signed_in(make_user(session, role="finance"))}


VARIANCE = "/api/v1/budget/variance?from=2026-01&to=2026-01&by=district,product"


def test_a_streamed_csv_export_comes_gzipped_and_whole(client, budget_rows):
    res, body = raw(client, VARIANCE + "&format=csv", budget_rows)
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/csv")
    assert res.headers["content-encoding"] == "gzip" and "content-length" not in res.headers
    assert res.headers["content-disposition"].startswith("attachment")
    text = gzip.decompress(body).decode()
    plain, plain_body = raw(client, VARIANCE + "&format=csv", {**budget_rows, **IDENTITY})
    assert "content-encoding" not in plain.headers and plain_body.decode() == text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 6  # 3 districts x 2 products
    assert [r["budget_amount"] for r in rows] == ["1234.50"] * 6
    assert sorted(r["budget_quantity"] for r in rows) == ["10.00", "10.00", "11.00", "11.00", "12.00", "12.00"]


@pytest.mark.parametrize(("fmt", "magic"), [("xlsx", b"PK\x03\x04"), ("parquet", b"PAR1")])
def test_binary_exports_are_not_compressed_again(client, budget_rows, fmt, magic):
    res, body = raw(client, f"{VARIANCE}&format={fmt}", budget_rows)
    assert res.status_code == 200
    assert "content-encoding" not in res.headers and int(res.headers["content-length"]) == len(body)
    assert body.startswith(magic)
    assert "accept-encoding" not in res.headers.get("vary", "").lower()


def run(coroutine) -> None:
    """asyncio.run in a thread of its own: in a whole run, the browser tests' Playwright (sync API) leaves an
    event loop running in this one, where asyncio.run refuses to start."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def _asgi(app, method: str = "GET", accept: str = "gzip") -> list[dict]:
    """Call an ASGI app once; the messages it sent."""
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": "/", "raw_path": b"/", "query_string": b"",
             "headers": [(b"accept-encoding", accept.encode())], "root_path": ""}
    run(app(scope, receive, send))
    return sent


def _answer(media_type: str, body: bytes):
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", media_type.encode()), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
    return app


@pytest.mark.parametrize("media_type", [
    "application/pdf", "image/png", "application/zip", "application/vnd.apache.parquet",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream",
])
def test_binary_types_pass_untouched(media_type):
    body = b"\x00" * 5000  # would shrink to almost nothing
    start, message = _asgi(CompressMiddleware(_answer(media_type, body)))
    assert dict(start["headers"]).get(b"content-encoding") is None and message["body"] == body


def test_only_answers_to_get_are_compressed():
    """POST answers carry the secrets (the sign-in's token, a new API token): never compressed (BREACH)."""
    body = b'{"secret": "%s"}' % (b"x" * 5000)
    app = CompressMiddleware(_answer("application/json", body))
    for method in ("POST", "PUT", "PATCH", "DELETE", "HEAD"):
        start, message = _asgi(app, method)
        assert b"content-encoding" not in dict(start["headers"]) and message["body"] == body, method
    start, message = _asgi(app, "GET")
    assert dict(start["headers"])[b"content-encoding"] == b"gzip"
    assert gzip.decompress(message["body"]) == body


def test_a_streamed_answer_leaves_part_by_part():
    """Each part goes out compressed before the next one is made: nothing waits for the whole."""
    parts = [b"%d,%d\r\n" % (n, n * n) for n in range(500)]
    parts.insert(250, b"x,y\r\n" * 50_000)  # 300 KB: compressed in a worker thread
    sent: list[dict] = []
    seen_before: list[int] = []

    async def stream(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/csv")]})
        for part in parts:
            seen_before.append(len(sent))
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/", "headers": [(b"accept-encoding", b"gzip")]}
    run(CompressMiddleware(stream)(scope, receive, send))
    # the start is held until the first part; then each part is out before the next one is made
    assert seen_before == [0, *range(2, len(parts) + 1)]
    headers = dict(sent[0]["headers"])
    assert headers[b"content-encoding"] == b"gzip" and b"content-length" not in headers
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    for part, message in zip(parts, sent[1:], strict=False):
        assert decoder.decompress(message["body"]) == part  # each part readable on arrival (sync flush)
    assert sent[-1]["more_body"] is False
    assert decoder.decompress(sent[-1]["body"]) == b"" and decoder.eof


# --- versioned URLs and caching -----------------------------------------------------------------


def test_every_url_the_page_names_answers_200_and_is_cached_for_good(client, index):
    names = urls_named(index)
    assert any(u.endswith("/app.js") for u in names) and any("plotly.min.js" in u for u in names)
    for url in names:
        res = client.get(url)
        assert res.status_code == 200, url
        assert res.headers["cache-control"] == IMMUTABLE, url
    page = client.get("/")
    assert page.headers["cache-control"] == NO_CACHE
    assert "plotly" not in "".join(re.findall(r"<script[^>]*>", index))  # the page never loads plotly.js


def test_the_whole_module_graph_is_preloaded_under_the_version(index):
    version = re.search(r'src="/static/([0-9a-f]{12})/app\.js"', index).group(1)
    preloaded = set(re.findall(rf'<link rel="modulepreload" href="/static/{version}/([^"]+)">', index))
    modules = {p.relative_to(FRONTEND).as_posix() for p in FRONTEND.rglob("*.js") if "vendor" not in p.parts}
    # Every module but the entry is imported statically from app.js; a module meant to load lazily would be
    # listed here as the exception. wall.js is the wallboard's own entry (/wall), never the app's.
    assert preloaded == modules - {"app.js", "wall.js"}


def test_unversioned_and_stale_urls_answer_the_current_file_to_be_revalidated(client, index):
    current = client.get(versioned(index, "app.js"))
    file = (FRONTEND / "app.js").read_bytes()
    for url in ("/static/app.js", "/static/0123456789ab/app.js"):  # none; an old deploy's version
        res = client.get(url)
        assert res.status_code == 200 and res.content == file == current.content, url
        assert res.headers["cache-control"] == NO_CACHE, url
    plotly_url = re.search(r'<meta name="plotly-src" content="([^"]+)">', index).group(1)
    assert re.fullmatch(r"/vendor/[0-9a-f]{12}/plotly\.min\.js", plotly_url)
    for url in ("/vendor/plotly.min.js", "/vendor/0123456789ab/plotly.min.js"):
        res = client.get(url)
        assert res.headers["cache-control"] == NO_CACHE and res.content == client.get(plotly_url).content, url
    version = versioned(index, "app.js").split("/")[2]
    assert client.get(f"/static/{version}/no-such-file.js").status_code == 404
    assert client.get("/static/0123456789ab/no-such-file.js").status_code == 404
    assert client.get("/vendor/no-such-file.js").status_code == 404


def test_a_304_for_either_encodings_tag_keeps_its_cache_headers(client, index):
    url = versioned(index, "app.js")
    for headers in (GZIP, IDENTITY):
        first = client.get(url, headers=headers)
        for tag_of in (GZIP, IDENTITY):
            tag = client.get(url, headers=tag_of).headers["etag"]
            again = client.get(url, headers={**headers, "If-None-Match": tag})
            assert again.status_code == 304 and again.content == b""
            assert again.headers["cache-control"] == IMMUTABLE and again.headers["etag"] == first.headers["etag"]
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200
    res = client.get("/", headers={"If-None-Match": client.get("/").headers["etag"]})
    assert res.status_code == 304 and res.headers["cache-control"] == NO_CACHE


def test_head_answers_the_headers_of_the_get(client, index):
    url = versioned(index, "style.css")
    res, body = raw(client, url, GZIP, method="HEAD")
    get, get_body = raw(client, url, GZIP)
    assert res.status_code == 200 and body == b""
    assert res.headers["content-length"] == get.headers["content-length"] == str(len(get_body))
    assert res.headers["etag"] == get.headers["etag"]


def copy_frontend(tmp_path: Path) -> Path:
    folder = tmp_path / "frontend"
    shutil.copytree(FRONTEND, folder, ignore=shutil.ignore_patterns("vendor"))
    return folder


def test_the_version_follows_the_content_and_plotly_falls_back_to_the_python_package(tmp_path):
    folder = copy_frontend(tmp_path)
    first = load_frontend(folder, PYTHON_PLOTLY)
    assert first.plotly.body == PYTHON_PLOTLY.read_bytes()  # no custom bundle in this folder
    assert f"/static/{first.version}/app.js" in first.index.body.decode()
    assert f'content="{first.plotly_url}"' in first.index.body.decode()
    assert load_frontend(folder, PYTHON_PLOTLY).version == first.version  # same files, same version

    (folder / "ui.js").write_text((folder / "ui.js").read_text() + "\n// changed\n")
    second = load_frontend(folder, PYTHON_PLOTLY)
    assert second.version != first.version
    assert f"/static/{second.version}/ui.js" in second.index.body.decode()
    assert second.plotly_url == first.plotly_url  # plotly did not change: browsers keep it
    # the old version's URL: today's ui.js, not to be cached for good
    asset, cache = second.static(f"{first.version}/ui.js")
    assert asset.body.endswith(b"// changed\n") and cache == NO_CACHE
    assert second.static(f"{second.version}/ui.js")[1] == IMMUTABLE

    (folder / "vendor").mkdir()
    (folder / "vendor" / "plotly.min.js").write_bytes(b"/* a custom bundle */ var Plotly = {};")
    third = load_frontend(folder, PYTHON_PLOTLY)
    assert third.plotly.body == b"/* a custom bundle */ var Plotly = {};"
    assert third.plotly_url != first.plotly_url
    assert third.vendor(third.plotly_url.removeprefix("/vendor/")) == (third.plotly, IMMUTABLE)


def test_favicon(client, index):
    res = client.get("/favicon.ico")
    assert res.status_code == 200 and res.headers["content-type"] == "image/x-icon"
    assert res.content[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    assert_security_headers(res)
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', index).group(1)
    svg = client.get(icon)
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert svg.content.startswith(b"<svg")


# --- what is served, and nothing else ---------------------------------------------------------


@pytest.mark.parametrize("url", [
    "/static/../app/config.py", "/static/%2e%2e/app/config.py", "/static/..%2fapp%2fconfig.py",
    "/static/..%5capp%5cconfig.py", "/static//etc/passwd", "/static/%2fetc%2fpasswd", "/static/app.js%00",
    "/static/0123456789ab/../../pyproject.toml", "/vendor/../../pyproject.toml",
    "/static/vendor/../../app/main.py", "/api/docs/assets/../../app/config.py",
])
def test_a_path_outside_the_served_files_is_404_with_the_security_headers(client, url):
    res = client.get(url)
    assert res.status_code == 404, (url, res.status_code)
    assert b"SECRET" not in res.content and b"import" not in res.content
    assert_security_headers(res)
    assert client.get("/static/app.js").status_code == 200  # the same folder's own file answers


def test_the_static_servers_answers_carry_the_security_headers(client, index):
    url = versioned(index, "app.js")
    ok = client.get(url)
    again = client.get(url, headers={"If-None-Match": ok.headers["etag"]})
    assert (ok.status_code, again.status_code) == (200, 304)
    for res in (ok, again, client.get(f"/static/{url.split('/')[2]}/no-such-file.js")):
        assert_security_headers(res)


def test_a_symbolic_link_in_the_folder_is_not_served(tmp_path):
    folder = copy_frontend(tmp_path)
    secret = tmp_path / "outside.txt"
    secret.write_text("not for the web")
    (folder / "link.txt").symlink_to(secret)
    (folder / "linked-dir").symlink_to(tmp_path, target_is_directory=True)
    frontend = load_frontend(folder, PYTHON_PLOTLY)
    assert frontend.static("link.txt") is None and frontend.static("linked-dir/outside.txt") is None
    assert frontend.static("app.js") is not None
