"""How the pages reach the browser: the frontend and plotly.js held in memory and sent gzip-compressed
(compressed once per content), under versioned URLs cached for good, and the API's text answers
compressed on the fly.

- **The frontend** (`frontend/`, read once when the app is made) is served under
  `/static/<version>/...`, where the version is a short hash of every file's path and content, with
  `Cache-Control: public, max-age=31536000, immutable`. The ES modules import each other by relative
  URLs, so the whole module graph lives under that prefix. `/` answers `index.html` with those
  versioned URLs written in (and a `modulepreload` link for every module the entry imports, so the
  browser fetches the graph at once rather than one import level per round trip), `Cache-Control:
  no-cache`. `/static/<path>` without a version, and `/static/<another version>/<path>` (a tab open
  across a deploy, or a request that reached a server of the other version during a rolling one),
  answer the current file with `no-cache`: never cached for good with content its URL does not name.
- **plotly.js** is `frontend/vendor/plotly.min.js` (the custom bundle) when it exists, else the
  Python plotly package's `plotly.min.js`: at `/vendor/<its own hash>/plotly.min.js` (immutable; a
  new frontend does not make browsers fetch plotly again) and `/vendor/plotly.min.js` (no-cache).
  `index.html` names the versioned URL in `<meta name="plotly-src">`; `frontend/charts.js` loads it
  on the first chart drawn, so the shell and the sign-in form never wait for it.
- **Files in memory** answer GET and HEAD with an ETag (304 on If-None-Match) and, when the client
  accepts gzip and the type is text, a body compressed once per process (level 9) and kept, keyed by
  the content's hash. The API docs' assets (`/api/docs/assets`) are served the same way.
- **`CompressMiddleware`** gzips the other answers to GET: text types only (HTML, JS, CSS, JSON, CSV,
  SVG, XML, plain text), 1 KB and over, level 6; a streamed answer (the CSV exports) is compressed
  part by part as it goes, at level 1 (exports run to hundreds of MB, where CPU counts more than the
  last bytes). An answer already encoded, a binary type (XLSX, Parquet, PDF, PNG), a HEAD, a 204,
  206 or 304 passes untouched. Answers to POST, PUT, PATCH and DELETE are never compressed: those
  are the only ones that carry a secret (the sign-in's token, a new API token), see docs/security.md.
  Every text answer says `Vary: Accept-Encoding`.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
import posixpath
import re
import threading
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread
from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"
VERSION_LENGTH = 12  # hex digits of a SHA-256: a short name, and no two contents meet in practice
_VERSION = re.compile(rf"[0-9a-f]{{{VERSION_LENGTH}}}")

MINIMUM_SIZE = 1024  # smaller answers are sent as they are: gzip's header and trailer eat the gain
LEVEL = 6  # a whole answer compressed on the fly
STREAM_LEVEL = 1  # a streamed answer (an export), part by part
STATIC_LEVEL = 9  # a file, once per process
THREAD_MINIMUM = 128 * 1024  # bodies from this size are compressed in a worker thread, off the event loop

# Text types: compressed. Anything else (XLSX, Parquet, PDF and zip are compressed already; images) is not.
TEXT_TYPES = frozenset(
    {
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "text/csv",
        "text/plain",
        "text/xml",
        "application/xml",
        "image/svg+xml",
    }
)

_MEDIA_TYPES = {  # the files the frontend ships; others as the mimetypes module guesses
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".png": "image/png",
}


def is_text(media_type: str) -> bool:
    """Whether an answer of this Content-Type is worth compressing."""
    media = media_type.partition(";")[0].strip().lower()
    return media in TEXT_TYPES or media.endswith(("+json", "+xml"))


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header allows gzip: listed (or `*`) with a q-value above 0."""
    weights: dict[str, float] = {}
    for part in accept_encoding.split(","):
        coding, *params = (p.strip() for p in part.split(";"))
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if coding:
            weights[coding.lower()] = weight
    for coding in ("gzip", "x-gzip", "*"):
        if coding in weights:
            return weights[coding] > 0
    return False


# --- files held in memory -----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Asset:
    """A file's bytes as served, its type and the hash of its content (SHA-256, hex)."""

    body: bytes
    media_type: str
    digest: str

    @classmethod
    def of(cls, body: bytes, name: str) -> Asset:
        suffix = posixpath.splitext(name)[1].lower()
        media = _MEDIA_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
        return cls(body, media, hashlib.sha256(body).hexdigest())

    @property
    def version(self) -> str:
        return self.digest[:VERSION_LENGTH]

    def packed_yet(self) -> bool:
        """Whether `gzipped()` answers at once (compressed already, or never worth it)."""
        return self.digest in _GZIPPED or not is_text(self.media_type) or len(self.body) < MINIMUM_SIZE

    def gzipped(self) -> bytes | None:
        """The body gzip-compressed, once per content in this process; None when that would not be smaller
        (or the type is not text)."""
        if not is_text(self.media_type) or len(self.body) < MINIMUM_SIZE:
            return None
        if self.digest in _GZIPPED:  # compressed already: no lock (another file's first compression holds it)
            return _GZIPPED[self.digest]
        with _GZIP_LOCK:
            if self.digest not in _GZIPPED:
                packed = gzip.compress(self.body, STATIC_LEVEL, mtime=0)
                _GZIPPED[self.digest] = packed if len(packed) < len(self.body) else None
            return _GZIPPED[self.digest]


_GZIPPED: dict[str, bytes | None] = {}  # content hash -> its gzip (None: not worth it)
_GZIP_LOCK = threading.Lock()  # one compression at a time: two first requests do not both pay for it


def read_folder(directory: Path) -> dict[str, Asset]:
    """Every file under `directory` (dot-files and folders left out), by its path relative to it (with /).
    A symbolic link is left out too: what the folder serves is what it holds (StaticFiles refused a link
    leading outside its folder)."""
    files = {}
    for root, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (Path(root) / d).is_symlink())
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = Path(root) / name
            if path.is_symlink():
                continue
            rel = path.relative_to(directory).as_posix()
            files[rel] = Asset.of(path.read_bytes(), rel)
    return files


def asset_response(asset: Asset, scope: Scope, cache_control: str) -> Response:
    """The answer to GET or HEAD of `asset`: gzip when the client takes it and it is text, an ETag per
    encoding, 304 when If-None-Match names either of the content's ETags."""
    headers = Headers(scope=scope)
    packed = asset.gzipped() if accepts_gzip(headers.get("accept-encoding", "")) else None
    tag = asset.digest[:32]
    etag = f'"{tag}-gzip"' if packed is not None else f'"{tag}"'
    out = {"Cache-Control": cache_control, "ETag": etag}
    if is_text(asset.media_type):
        out["Vary"] = "Accept-Encoding"
    wanted = headers.get("if-none-match", "")
    if wanted:
        known = {f'"{tag}"', f'"{tag}-gzip"', f'W/"{tag}"', f'W/"{tag}-gzip"'}
        if wanted.strip() == "*" or known & {t.strip() for t in wanted.split(",")}:
            return Response(status_code=304, headers=out)
    body = asset.body if packed is None else packed
    if packed is not None:
        out["Content-Encoding"] = "gzip"
    out["Content-Length"] = str(len(body))
    return Response(b"" if scope["method"] == "HEAD" else body, media_type=asset.media_type, headers=out)


def _route_path(scope: Scope) -> str:
    """The path below the mount this app is under (as Starlette's StaticFiles reads it)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


class AssetFiles:
    """An ASGI app for a Mount: GET and HEAD of files held in memory, found by `lookup(path)` (the path
    below the mount, without its leading /), which gives the asset and its Cache-Control or None (404).
    Like StaticFiles, it raises HTTPException, so 404 and 405 are the app's usual JSON answers."""

    def __init__(self, lookup: Callable[[str], tuple[Asset, str] | None]) -> None:
        self.lookup = lookup

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] not in ("GET", "HEAD"):
            raise HTTPException(status_code=405, headers={"Allow": "GET, HEAD"})
        found = self.lookup(_route_path(scope).lstrip("/"))
        if found is None:
            raise HTTPException(status_code=404)
        asset, cache_control = found
        if not asset.packed_yet() and len(asset.body) >= THREAD_MINIMUM:
            # A big file's first compression (plotly.js: about 0.1 s): in a worker thread, off the event loop.
            await anyio.to_thread.run_sync(asset.gzipped)
        await asset_response(asset, scope, cache_control)(scope, receive, send)


_FOLDERS: dict[Path, dict[str, Asset]] = {}
_FOLDERS_LOCK = threading.Lock()


class LazyFolder:
    """A library's folder of files (the API docs' Swagger UI), read into memory at its first request and
    kept for the process; answered with `no-cache` (revalidated by ETag)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __call__(self, path: str) -> tuple[Asset, str] | None:
        with _FOLDERS_LOCK:
            if self.directory not in _FOLDERS:
                _FOLDERS[self.directory] = read_folder(self.directory)
            files = _FOLDERS[self.directory]
        asset = files.get(path)
        return None if asset is None else (asset, NO_CACHE)


# --- the frontend ---------------------------------------------------------------------------------

# `import ... from "./x.js"`, `export ... from "../y.js"` and `import "./z.js"`: the static imports.
_IMPORT = re.compile(
    r"""(?:^|[;\s])(?:import|export)\b[^'"`;]*?\bfrom\s*["'](\.\.?/[^"']+)["']"""
    r"""|^\s*import\s*["'](\.\.?/[^"']+)["']""",
    re.MULTILINE,
)
_ENTRY = re.compile(r'<script type="module" src="/static/([^"]+)"></script>')


def module_graph(files: Mapping[str, Asset], entry: str) -> list[str]:
    """The modules `entry` imports, directly or through others (static imports only), in the order found."""
    seen: list[str] = []
    todo = [entry]
    while todo:
        module = todo.pop(0)
        asset = files.get(module)
        if asset is None:
            continue
        for match in _IMPORT.finditer(asset.body.decode("utf-8", "replace")):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(module), match.group(1) or match.group(2)))
            if target in files and target != entry and target not in seen:
                seen.append(target)
                todo.append(target)
    return seen


@dataclass(frozen=True, eq=False)
class Frontend:
    """The frontend folder as read when the app was made, its version, plotly.js and the page."""

    files: Mapping[str, Asset]
    version: str
    plotly: Asset
    index: Asset
    wall: Asset | None = None  # the wallboard's page (/wall), a separate entry from the app's

    @property
    def plotly_url(self) -> str:
        return f"/vendor/{self.plotly.version}/plotly.min.js"

    def static(self, path: str) -> tuple[Asset, str] | None:
        """/static/<path>: under the current version immutable; under another one, or none, no-cache."""
        head, _, rest = path.partition("/")
        if rest and head == self.version:
            asset = self.files.get(rest)
            return None if asset is None else (asset, IMMUTABLE)
        if rest and _VERSION.fullmatch(head) and not any(name.startswith(f"{head}/") for name in self.files):
            path = rest  # another version's URL: today's file, to be revalidated
        asset = self.files.get(path)
        return None if asset is None else (asset, NO_CACHE)

    def vendor(self, path: str) -> tuple[Asset, str] | None:
        """/vendor/<plotly's version>/plotly.min.js (immutable), or any other version's or none (no-cache)."""
        head, _, rest = path.partition("/")
        if path == "plotly.min.js" or (rest == "plotly.min.js" and _VERSION.fullmatch(head)):
            return self.plotly, IMMUTABLE if head == self.plotly.version else NO_CACHE
        return None


def _write_index(
    template: Asset, files: Mapping[str, Asset], version: str, plotly_url: str, name: str = "index.html"
) -> Asset:
    """A page (index.html, wall.html) naming the versioned URLs, with a modulepreload link for each module
    of its entry's graph."""
    text = template.body.decode("utf-8")
    entry = _ENTRY.search(text)
    preload = ""
    if entry is not None:
        preload = "".join(
            f'<link rel="modulepreload" href="/static/{version}/{module}">\n  '
            for module in module_graph(files, entry.group(1))
        )
    text = re.sub(r'(href|src|content)="/static/', rf'\1="/static/{version}/', text)
    text = text.replace('"/vendor/plotly.min.js"', f'"{plotly_url}"')
    if preload:
        at = text.index('<script type="module"')
        text = text[:at] + preload + text[at:]
    return Asset.of(text.encode("utf-8"), name)


_FRONTENDS: dict[tuple[object, ...], Frontend] = {}
_FRONTENDS_LOCK = threading.Lock()


def _signature(directory: Path, plotly_fallback: Path) -> tuple[object, ...]:
    """What the folder holds, by name, size and time: the same signature, the same Frontend."""
    entries: list[object] = [str(directory), str(plotly_fallback)]
    for root, dirs, names in os.walk(directory):
        dirs.sort()
        for name in sorted(names):
            stat = os.stat(os.path.join(root, name))
            entries.append((root, name, stat.st_size, stat.st_mtime_ns))
    return tuple(entries)


def load_frontend(directory: Path, plotly_fallback: Path) -> Frontend:
    """The frontend in `directory` (read again only when a file in it changed), with plotly.js from
    `directory/vendor/plotly.min.js` when it exists, else `plotly_fallback`."""
    key = _signature(directory, plotly_fallback)
    with _FRONTENDS_LOCK:
        if key in _FRONTENDS:
            return _FRONTENDS[key]
        files = read_folder(directory)
        digest = hashlib.sha256()
        for name, asset in sorted(files.items()):
            digest.update(f"{name}\0{asset.digest}\n".encode())
        version = digest.hexdigest()[:VERSION_LENGTH]
        plotly = files.get("vendor/plotly.min.js") or Asset.of(plotly_fallback.read_bytes(), "plotly.min.js")
        plotly_url = f"/vendor/{plotly.version}/plotly.min.js"
        index = _write_index(files["index.html"], files, version, plotly_url)
        wall = (
            _write_index(files["wall.html"], files, version, plotly_url, "wall.html") if "wall.html" in files else None
        )
        frontend = Frontend(files=files, version=version, plotly=plotly, index=index, wall=wall)
        _FRONTENDS.clear()  # only the latest is kept (tests make many apps from one folder)
        _FRONTENDS[key] = frontend
        return frontend


# --- compressing answers on the fly ---------------------------------------------------------------


class CompressMiddleware:
    """Gzip for the answers to GET that are text, 1 KB or more and not encoded yet (see the module's
    docstring); the files served from memory come compressed already and pass through."""

    def __init__(self, app: ASGIApp, *, minimum_size: int = MINIMUM_SIZE) -> None:
        self.app = app
        self.minimum_size = minimum_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        wants = scope["method"] == "GET" and accepts_gzip(Headers(scope=scope).get("accept-encoding", ""))
        await _Compressor(self.app, wants, self.minimum_size)(scope, receive, send)


class _Compressor:
    """One answer: holds its start until the first part of the body says whether to compress it."""

    def __init__(self, app: ASGIApp, wants: bool, minimum_size: int) -> None:
        self.app = app
        self.wants = wants
        self.minimum_size = minimum_size
        self.start: Message | None = None
        self.compressor: zlib._Compress | None = None
        self.passing = True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.send = send
        await self.app(scope, receive, self.send_compressed)

    async def send_compressed(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            headers = MutableHeaders(scope=message)
            text = is_text(headers.get("content-type", ""))
            encoded = "content-encoding" in headers
            if text and not encoded and "accept-encoding" not in headers.get("vary", "").lower():
                headers.add_vary_header("Accept-Encoding")
            status = message["status"]
            self.passing = not (self.wants and text and not encoded and status >= 200 and status not in (204, 206, 304))
            if self.passing:
                await self.send(message)
            else:
                self.start = message
            return
        if self.passing:
            await self.send(message)
            return
        if kind != "http.response.body":  # pathsend, trailers: the start goes as it was
            if self.start is not None:
                await self.send(self.start)
                self.start = None
            await self.send(message)
            return
        body: bytes = message.get("body", b"")
        more = bool(message.get("more_body", False))
        if self.start is not None:  # the first part
            start, self.start = self.start, None
            headers = MutableHeaders(scope=start)
            if not more and len(body) < self.minimum_size:
                self.passing = True
                await self.send(start)
                await self.send(message)
                return
            self.compressor = zlib.compressobj(STREAM_LEVEL if more else LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
            headers["Content-Encoding"] = "gzip"
            etag = headers.get("etag")
            if etag and not etag.startswith("W/"):
                headers["ETag"] = f"W/{etag}"  # another representation of the same content
            packed = await self._compress(body, more)
            if more:
                del headers["Content-Length"]
            else:
                headers["Content-Length"] = str(len(packed))
            await self.send(start)
            await self.send({"type": "http.response.body", "body": packed, "more_body": more})
            return
        await self.send({"type": "http.response.body", "body": await self._compress(body, more), "more_body": more})

    async def _compress(self, body: bytes, more: bool) -> bytes:
        if len(body) >= THREAD_MINIMUM:
            return await anyio.to_thread.run_sync(self._pack, body, more)
        return self._pack(body, more)

    def _pack(self, body: bytes, more: bool) -> bytes:
        assert self.compressor is not None
        out = self.compressor.compress(body)
        return out + self.compressor.flush(zlib.Z_SYNC_FLUSH if more else zlib.Z_FINISH)


# --- putting it together ----------------------------------------------------------------------


def install_frontend(app: Starlette, directory: Path, plotly_fallback: Path) -> Frontend:
    """The frontend at / and /static, the wallboard's page at /wall, plotly.js at /vendor, the icon at
    /favicon.ico (the compression middleware is added by app.main, in its place among the others). The
    wall reads its display token from the URL's fragment (/wall#<token>), which never reaches the server."""
    frontend = load_frontend(directory, plotly_fallback)
    app.mount("/vendor", AssetFiles(frontend.vendor), name="vendor")
    app.mount("/static", AssetFiles(frontend.static), name="static")

    async def index(request: Request) -> Response:
        return asset_response(frontend.index, request.scope, NO_CACHE)

    async def favicon(request: Request) -> Response:
        return asset_response(frontend.files["favicon.ico"], request.scope, NO_CACHE)

    app.add_route("/", index, methods=["GET"], include_in_schema=False)
    app.add_route("/favicon.ico", favicon, methods=["GET"], include_in_schema=False)
    if frontend.wall is not None:
        wall_page = frontend.wall

        async def wall(request: Request) -> Response:
            return asset_response(wall_page, request.scope, NO_CACHE)

        app.add_route("/wall", wall, methods=["GET"], include_in_schema=False)
    return frontend
