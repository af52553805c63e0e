import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class AuditEventRead(BaseModel):
    """One recorded change; import fields are null for other actions."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_user_id: int | None = Field(description="null when the change came from the command line")
    actor: str = Field(description="the user's e-mail, or `cli:<os user>`")
    action: str = Field(
        description="`import`, `kpi.create`, `kpi.update`, `perspective.update`, "
        "`settings.update`, `user.create`, `token.create`, `token.revoke`"
    )
    entity: str = Field(description="what changed: a dataset, `kpi:<code>`, `user:<e-mail>`, `token:<prefix>`, ...")
    before: Any = Field(
        None,
        description="the changed fields before (for an import: a sample of the rows it "
        "changed, then null for each inserted row of the sample)",
    )
    after: Any = Field(
        None,
        description="the changed fields after (for an import: the same rows after, then the "
        "inserted rows; rows name units, sellers, accounts and products by "
        "code and leaders by e-mail, as the files do)",
    )
    dataset: str | None = None
    file_name: str | None = None
    file_size: int | None = Field(None, description="bytes")
    file_sha256: str | None = None
    rows: int | None = None
    inserted: int | None = None
    updated: int | None = None
    unchanged: int | None = None
    changed_rows: int | None = Field(
        None,
        description="stored rows changed by an import (a yearly row is 12 "
        "monthly rows); `before`/`after` hold at most 20 of them, "
        "and at most 20 inserted rows",
    )

    @field_validator("before", "after", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value


class AuditPage(BaseModel):
    items: list[AuditEventRead]
    total: int = Field(description="events matching the filters, over all pages")
    limit: int
    offset: int
