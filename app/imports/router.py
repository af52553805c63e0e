"""POST /imports/{dataset}: an administrator loads one CSV or XLSX file, all or nothing."""

import io
from typing import Annotated, BinaryIO

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from app.config import get_settings
from app.deps import AdminUser, SessionDep
from app.guard import NOT_IN_TEXT, describe
from app.imports.errors import SUMMARY_ROWS, ImportRejected, summarize
from app.imports.service import LockedMonths, UnknownDataset, get_spec, import_file
from app.models import User

router = APIRouter(prefix="/imports", tags=["imports"])

# Problems listed one by one in a 422 answer: every one of any file a person would send (a file of
# 8,551 bad rows lists 8,551), bounded so that a million bad rows do not make an answer of 100 MB;
# `error_count` and `summary` always count every problem.
MAX_LISTED_ERRORS = 100_000


class ImportResultRead(BaseModel):
    dataset: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    dry_run: bool


class RowErrorRead(BaseModel):
    row: int | None
    column: str | None
    value: str | None
    message: str


class ProblemGroupRead(BaseModel):
    column: str | None
    message: str
    count: int
    rows: list[int]


class ImportRejectedRead(BaseModel):
    detail: str
    errors: list[RowErrorRead]
    error_count: int
    summary: list[ProblemGroupRead] = Field(
        description=(
            "the problems grouped by column and message, most frequent first: how many, and the first "
            f"{SUMMARY_ROWS} rows of each (a whole-file problem has none)"
        )
    )
    locked_months: list[str] | None = Field(
        None,
        description="when rows would change locked months: those months (YYYY-MM); each such row is in "
        "`errors`, naming the month",
    )


class Detail(BaseModel):
    detail: str


_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off", ""}

# The multipart body this route reads itself (see post_import), as the OpenAPI document shows it.
_UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary", "description": "CSV (UTF-8) or XLSX"},
                    "dry_run": {"type": "boolean", "default": False, "description": "same as the query parameter"},
                },
            }
        }
    },
}


def _invalid(field: str, message: str, value: str | None = None) -> HTTPException:
    error: dict = {"type": "value_error", "loc": ["body", field], "msg": message}
    if value is not None:
        error["input"] = value
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, [error])


def _upload(form: FormData) -> tuple[UploadFile, bool]:
    """The form's file and its dry_run field; 422 naming the field that is missing or wrong."""
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise _invalid("file", "a file is required (multipart field `file`)")
    if file.filename and (found := NOT_IN_TEXT.search(file.filename)):
        raise _invalid("file", f"the file name holds {describe(found.group())}; rename the file")
    dry = form.get("dry_run", "")
    if not isinstance(dry, str) or dry.strip().lower() not in _TRUE | _FALSE:
        raise _invalid("dry_run", "must be true or false", dry if isinstance(dry, str) else None)
    return file, dry.strip().lower() in _TRUE


def _checked_upload(file: UploadFile, limit: int) -> BinaryIO:
    """The upload's spooled file, positioned at its start; 413 if it is larger than `limit`.

    The request guard (app.guard) has already refused a body over the limit; this holds for a file
    handed over some other way. Starlette has spooled the upload (to disk beyond 1 MB); the importer
    reads it from there in batches, so a big upload is never held in memory whole.
    """
    too_big = HTTPException(
        status.HTTP_413_CONTENT_TOO_LARGE,
        f"the file is larger than the {limit // (1024 * 1024)} MB allowed (MAX_UPLOAD_MB)",
    )
    if file.size is not None and file.size > limit:
        raise too_big
    source = file.file
    source.seek(0, io.SEEK_END)
    if source.tell() > limit:
        raise too_big
    source.seek(0)
    return source


@router.post(
    "/{dataset}",
    response_model=ImportResultRead,
    openapi_extra={"requestBody": _UPLOAD_BODY},
    responses={
        401: {"model": Detail, "description": "not signed in (answered before the file is read)"},
        403: {"model": Detail, "description": "not an administrator (answered before the file is read)"},
        404: {"model": Detail, "description": "no such dataset (the message names the datasets)"},
        413: {"model": Detail, "description": "the file is larger than MAX_UPLOAD_MB"},
        422: {
            "model": ImportRejectedRead,
            "description": "the file was rejected and nothing was written; `errors` lists every problem "
            f"(row, column, value, message; at most {MAX_LISTED_ERRORS:,}), `error_count` "
            "counts them, `summary` groups them by column and message; `locked_months` names the locked "
            "months the file would change",
        },
    },
)
async def post_import(
    dataset: str,
    request: Request,
    session: SessionDep,
    admin: AdminUser,
    dry_run: Annotated[bool, Query(description="check only; write nothing")] = False,
) -> ImportResultRead | JSONResponse:
    """Load one file into `dataset`: every row is checked, then upserted by its key, or nothing is written.

    The multipart body is read here, after the caller was found to be an administrator and the
    dataset to exist (FastAPI reads a declared body before it checks credentials): a stranger's
    upload is refused before any of it is read or spooled.
    """
    try:
        get_spec(dataset)
    except UnknownDataset as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    form = await request.form(max_files=1, max_fields=10)
    try:
        file, dry_form = _upload(form)
        source = _checked_upload(file, get_settings().max_upload_mb * 1024 * 1024)
        dry = dry_run or dry_form
        return await run_in_threadpool(_load, session, dataset, source, file.filename or "", dry, admin)
    finally:
        await form.close()


def _load(
    session: Session, dataset: str, source: BinaryIO, filename: str, dry: bool, admin: User
) -> ImportResultRead | JSONResponse:
    try:
        result = import_file(session, dataset=dataset, data=source, filename=filename, dry_run=dry, actor=admin)
    except ImportRejected as exc:  # import_file has rolled back its savepoint: nothing was written
        # Plain dicts in the shape of ImportRejectedRead: tens of thousands of problems are dumped at once.
        body = {
            "detail": exc.message if len(exc.errors) != 1 else str(exc),
            "errors": [e.as_dict() for e in exc.errors[:MAX_LISTED_ERRORS]],
            "error_count": len(exc.errors),
            "summary": summarize(exc.errors),
        }
        if isinstance(exc, LockedMonths):
            body["locked_months"] = exc.locked_months
        return JSONResponse(body, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    if not dry:
        session.commit()
    return ImportResultRead(**result.as_dict())
