"""The OpenAPI document as the app really answers: the error responses every route can give, documented once.

FastAPI documents each route's own responses, but not those that come from the shared machinery:
- 401 and 403 from the bearer dependencies (app.deps) on every route that takes a token;
- 400 when a request body cannot be parsed at all (bytes that are not JSON, a broken multipart);
- 413 from the request guard (app.guard) when a body is larger than its route allows;
- 404 for a path holding a control character, and 422 for such a query parameter (app.guard),
  on every route;
- text the request guard refuses (control characters), as a `pattern` on every string parameter
  and every string field of a request body that has none of its own;
- 422 in two shapes: FastAPI's validation list (`HTTPValidationError`) and the routes' own
  `{"detail": "<message>"}` (a range the other way round, a KPI code taken, ...).
schemathesis (tests/test_schemathesis.py) checks every answer against this document.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from fastapi import FastAPI

from app.guard import NOT_IN_PARAMETERS, NOT_IN_TEXT

MESSAGE = "ErrorMessage"
_MESSAGE_SCHEMA = {
    "title": MESSAGE,
    "type": "object",
    "properties": {"detail": {"title": "Detail", "type": "string"}},
    "required": ["detail"],
}
_VALIDATION_REF = "#/components/schemas/HTTPValidationError"
_MESSAGE_REF = f"#/components/schemas/{MESSAGE}"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def _allowed(pattern: str) -> str:
    """The guard's refused-character class as an anchored JSON Schema pattern of allowed text."""
    return "^[^" + pattern.removeprefix("[").removesuffix("]") + "]*$"


# Lone surrogates cannot be written in a pattern; JSON clients do not send them either.
PARAMETER_TEXT = _allowed(NOT_IN_PARAMETERS.pattern.replace("\\ud800-\\udfff", ""))
BODY_TEXT = _allowed(NOT_IN_TEXT.pattern.replace("\\ud800-\\udfff", ""))


def install(app: FastAPI) -> None:
    """Wrap `app.openapi` so the generated document carries the shared error responses."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _message(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": _MESSAGE_REF}}}}


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of `schema` with 400/401/403 added where they can happen and every 422 in both shapes."""
    schema = deepcopy(schema)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault(MESSAGE, _MESSAGE_SCHEMA)
    for path_item in schema.get("paths", {}).values():
        for method in _METHODS:
            operation = path_item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            if operation.get("security"):
                responses.setdefault("401", _message("not signed in, or the token is invalid, expired or revoked"))
                responses.setdefault(
                    "403",
                    _message(
                        "signed in but not allowed: the role, the API token's scopes, "
                        "or an API token asking to change something"
                    ),
                )
            if "requestBody" in operation:
                responses.setdefault("400", _message("the request body could not be parsed"))
                responses.setdefault("413", _message("the request body is larger than this route allows"))
            if any(p.get("in") == "path" for p in operation.get("parameters", ())):
                responses.setdefault("404", _message("no such thing, or not one the caller may see"))
            responses.setdefault(
                "422",
                {
                    "description": "a parameter or a field is not valid (a control character "
                    "in a text, say): `detail` says which and why"
                },
            )
            if "422" in responses:
                _both_422_shapes(responses["422"], has_validation="HTTPValidationError" in components)
            for parameter in operation.get("parameters", ()):
                _text_pattern(parameter.get("schema", {}), PARAMETER_TEXT, components)
    for name in _request_only_components(schema):
        _text_pattern(components[name], BODY_TEXT, components)
    return schema


def _refs(node: Any) -> set[str]:
    """Names of the components `node` refers to, directly."""
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def _closure(names: set[str], components: dict[str, Any]) -> set[str]:
    seen: set[str] = set()
    while names - seen:
        name = (names - seen).pop()
        seen.add(name)
        names |= _refs(components.get(name, {}))
    return seen


def _request_only_components(schema: dict[str, Any]) -> set[str]:
    """The component schemas that request bodies use and no response does."""
    components = schema["components"]["schemas"]
    bodies, answers = set(), set()
    for path_item in schema.get("paths", {}).values():
        for method in _METHODS:
            operation = path_item.get(method) or {}
            bodies |= _refs(operation.get("requestBody", {}))
            answers |= _refs(operation.get("responses", {}))
    return _closure(bodies, components) - _closure(answers, components)


def _text_pattern(node: dict[str, Any], pattern: str, components: dict[str, Any]) -> None:
    """A `pattern` on each plain string in `node` (not dates, binaries or enums, nor one with a
    pattern of its own: those refuse control characters already)."""
    if node.get("type") == "string" and not {"pattern", "enum", "const", "format"} & node.keys():
        node["pattern"] = pattern
    for key in ("anyOf", "oneOf", "allOf"):
        for option in node.get(key, ()):
            _text_pattern(option, pattern, components)
    if isinstance(node.get("items"), dict):
        _text_pattern(node["items"], pattern, components)
    for prop in node.get("properties", {}).values():
        _text_pattern(prop, pattern, components)


def _both_422_shapes(response: dict[str, Any], *, has_validation: bool) -> None:
    media = response.setdefault("content", {}).setdefault("application/json", {})
    own = media.get("schema")
    options = [own] if own else []
    if has_validation:
        options.append({"$ref": _VALIDATION_REF})
    options.append({"$ref": _MESSAGE_REF})
    unique: list[dict[str, Any]] = []
    for option in options:
        if option not in unique:
            unique.append(option)
    media["schema"] = unique[0] if len(unique) == 1 else {"anyOf": unique}
