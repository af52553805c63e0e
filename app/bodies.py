"""Request bodies, parsed strictly (JSON `true` is not 1, "5" is not 5), with two shared pieces:

- `PatchModel`: every field may be left out, and what is left out stays as it is. An explicit
  `null` is not "leave it as it is", and nothing a PATCH route changes can be unset: a `null` is a
  422 naming the field, and the OpenAPI document shows no field as nullable (nor a default), so
  generated clients do not send one.
- `whole_number(ge, le)`: an integer field that also takes `24.0`, which JSON Schema counts as the integer 24
  (strict parsing refused it), and still refuses `true`, `"24"` and `24.5`.
"""

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError


def _whole(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def whole_number(*, ge: int, le: int) -> Any:
    """An integer from `ge` to `le` (the bounds stated in the schema as minimum and maximum)."""
    return Annotated[int, Field(ge=ge, le=le), BeforeValidator(_whole)]


def _not_nullable(schema: dict[str, Any]) -> None:
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)
        options = prop.get("anyOf")
        if options and {"type": "null"} in options:
            rest = [o for o in options if o != {"type": "null"}]
            del prop["anyOf"]
            if len(rest) == 1:
                prop.update(rest[0])
            else:
                prop["anyOf"] = rest


class PatchModel(BaseModel):
    """Base of PATCH bodies: unknown fields and `null` are 422s; JSON `true` is not 1, "5" is not 5."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_not_nullable)

    @field_validator("*", mode="before")
    @classmethod
    def _no_null(cls, value: object) -> object:
        if value is None:
            raise PydanticCustomError(
                "null_not_allowed", "null is not a value here; leave the field out to keep it as it is"
            )
        return value
