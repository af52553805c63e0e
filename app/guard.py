"""The outermost checks on a request, made before any route runs or any body is read:

- **bounded bodies**: a body larger than its route's limit is refused with 413, from its
  `Content-Length` at once, or as the stream passes the limit (a chunked body); the app never holds
  more than the limit. JSON and form bodies may hold `SMALL_BODY_LIMIT`; the routes listed in
  `large` (the imports: MAX_UPLOAD_MB) more. Those routes read their body themselves, after the
  caller's credentials were checked, so a stranger's upload is refused before a byte of it is read.
- **storable text**: a path or query parameter, or a string in a JSON or form body, holding a
  control character (PostgreSQL cannot store U+0000 at all, and none of the others means anything
  in a code, name or filter) or half of a UTF-16 surrogate pair (no database can store it as text) is
  refused: 404 for the path (no such thing exists), 422 naming the field otherwise (JSON, URL-encoded
  and multipart forms; a JSON body nested too deep to parse is a 400). Tab, line feed and
  carriage return are fine inside body text (a comment has lines), not in a path or query.

Both answers are JSON, in the shapes every other error has (`{"detail": "..."}`; for 422 FastAPI's
list of `{loc, msg, type}`), so clients handle them as they handle the rest.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator, Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

KIB = 1024
MIB = 1024 * KIB
SMALL_BODY_LIMIT = 64 * KIB

# What a database cannot store, or a code or filter never holds. In a path or query: every C0 control
# and DEL; in body text, tab, line feed and carriage return are allowed.
NOT_IN_PARAMETERS = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
NOT_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def describe(char: str) -> str:
    """'the control character U+0000' or 'half of a surrogate pair (U+D800)'."""
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return f"half of a UTF-16 surrogate pair (U+{code:04X}), which is not text"
    return f"the control character U+{code:04X}"


def _size(limit: int) -> str:
    return f"{limit // MIB} MB" if limit >= MIB and limit % MIB == 0 else f"{limit // KIB} KB"


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes its limit; an HTTPException, so FastAPI's
    body reading passes it on (rather than calling it a parse error) and the app answers it as JSON."""

    def __init__(self, limit: int, setting: str | None) -> None:
        hint = f" ({setting})" if setting else ""
        super().__init__(413, f"the request body is larger than the {_size(limit)} allowed here{hint}")


def bad_text(
    value: object,
    loc: tuple[str | int, ...],
    pattern: re.Pattern[str] = NOT_IN_TEXT,
) -> Iterator[dict[str, Any]]:
    """FastAPI-shaped validation errors for every string in `value` (nested lists and objects, keys
    too) that holds a character `pattern` refuses."""
    if isinstance(value, str):
        found = pattern.search(value)
        if found:
            yield {
                "type": "string_unstorable_character",
                "loc": list(loc),
                "msg": f"the text holds {describe(found.group())}; remove it",
                "input": value.encode("utf-8", "backslashreplace").decode("utf-8")[:100],
            }
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and (found := pattern.search(key)):
                yield {
                    "type": "string_unstorable_character",
                    "loc": [*loc, key.encode("utf-8", "backslashreplace").decode("utf-8")[:100]],
                    "msg": f"the field name holds {describe(found.group())}; remove it",
                }
            yield from bad_text(item, (*loc, key), pattern)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from bad_text(item, (*loc, index), pattern)


def _query_problems(query_string: bytes) -> list[dict[str, Any]]:
    if b"%" not in query_string:  # raw control bytes never get past the HTTP server; encoded ones need a %
        return []
    problems: list[dict[str, Any]] = []
    # Decoded as Starlette decodes it (bytes that are not UTF-8 become U+FFFD), so the check sees what
    # the route would.
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, errors="replace"):
        problems.extend(bad_text(value, ("query", name), NOT_IN_PARAMETERS))
    return problems


class TooDeep(ValueError):
    """A JSON body nested deeper than Python's parser goes (a few thousand `[`)."""


async def _body_problems(body: bytes, scope: Scope) -> list[dict[str, Any]]:
    """Problems in a JSON, URL-encoded or multipart form body (a form may be sent either way: the
    sign-in's is). One that cannot be parsed is left to the route, which answers it as it always has
    (400 or 422); TooDeep for JSON nested too deep for any parser here."""
    content_type = _header(scope, b"content-type")
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/x-www-form-urlencoded":
        fields = parse_qsl(body.decode("latin-1"), keep_blank_values=True, errors="replace")
        return [p for name, value in fields for p in bad_text(value, ("body", name))]
    if media == "multipart/form-data":
        return await _multipart_problems(body, scope)
    if media == "application/json" or media.endswith("+json"):
        try:
            document = json.loads(body)
        except RecursionError:
            raise TooDeep from None
        except ValueError:
            return []
        return list(bad_text(document, ("body",)))
    return []


async def _multipart_problems(body: bytes, scope: Scope) -> list[dict[str, Any]]:
    async def stream() -> AsyncGenerator[bytes, None]:
        yield body

    try:
        form = await MultiPartParser(Headers(scope=scope), stream()).parse()
    except MultiPartException:
        return []  # the route answers 400
    try:
        problems: list[dict[str, Any]] = []
        for name, value in form.multi_items():
            filename = getattr(value, "filename", None)
            problems.extend(bad_text(value if isinstance(value, str) else filename or "", ("body", name)))
        return problems
    finally:
        await form.close()


async def _answer(send: Send, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
    payload = json.dumps(body).encode()
    # The security headers are added around this layer (app.security), as to every other answer.
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


class RequestGuard:
    """ASGI middleware: bounded bodies and storable text (see the module's docstring).

    `large` maps path prefixes to (limit, the setting that sets it) for the routes that read larger
    bodies themselves; every other body may be `small` bytes.
    """

    def __init__(
        self, app: ASGIApp, *, small: int = SMALL_BODY_LIMIT, large: Mapping[str, tuple[int, str]] | None = None
    ) -> None:
        self.app = app
        self.small = small
        self.large = dict(large or {})

    def _limit(self, path: str) -> tuple[int, str | None]:
        for prefix, (limit, setting) in self.large.items():
            if path.startswith(prefix):
                return limit, setting
        return self.small, None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if found := NOT_IN_PARAMETERS.search(scope["path"]):
            await _answer(send, 404, {"detail": f"not found: the address holds {describe(found.group())}"})
            return
        if problems := _query_problems(scope.get("query_string", b"")):
            await _answer(send, 422, {"detail": problems})
            return

        limit, setting = self._limit(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _answer(send, 413, {"detail": BodyTooLarge(limit, setting).detail}, {"Connection": "close"})
            return
        if scope["method"] in _BODY_METHODS and limit <= self.small:
            body = await _read_body(receive, limit, setting)
            if isinstance(body, BodyTooLarge):
                await _answer(send, 413, {"detail": body.detail}, {"Connection": "close"})
                return
            try:
                problems = await _body_problems(body, scope)
            except TooDeep:
                await _answer(send, 400, {"detail": "the JSON body is nested too deeply to be read"})
                return
            if problems:
                await _answer(send, 422, {"detail": problems})
                return
            await self.app(scope, _replay(body, receive), send)
            return
        if not declared and not _header(scope, b"transfer-encoding"):
            await self.app(scope, receive, send)  # no body (every GET): nothing to count
            return
        counted = _Counted(receive, limit, setting)
        await self.app(scope, counted.receive, counted.closing(send))


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return ""


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    return int(value) if value.isdigit() else None


async def _read_body(receive: Receive, limit: int, setting: str | None) -> bytes | BodyTooLarge:
    """The whole body, or BodyTooLarge as soon as more than `limit` bytes came (the rest is not read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client left: the app finds out when it reads
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return BodyTooLarge(limit, setting)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: waits for the client to leave, as the server's would

    return replay


class _Counted:
    """A body read as the route wants it, refused (BodyTooLarge, from `receive`) once past `limit`. An
    answer sent before the body was read to its end (a 401 to a stranger's upload) closes the
    connection, so the client stops sending it: otherwise the server would read and drop the rest."""

    def __init__(self, receive: Receive, limit: int, setting: str | None) -> None:
        self._receive, self.limit, self.setting = receive, limit, setting
        self.size = 0
        self.finished = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.size += len(message.get("body", b""))
            if self.size > self.limit:
                raise BodyTooLarge(self.limit, self.setting)
            self.finished = not message.get("more_body", False)
        return message

    def closing(self, send: Send) -> Send:
        async def send_closing(message: Message) -> None:
            if message["type"] == "http.response.start" and not self.finished:
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        return send_closing
