"""POST /imports/{dataset}: an administrator loads one CSV or XLSX file, all or nothing."""

import io
from typing import Annotated, BinaryIO

from fastapi import APIRouter, File, Form, HTTPException, Query, UploadFile, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.config import get_settings
from app.deps import AdminUser, SessionDep
from app.imports.errors import ImportRejected
from app.imports.service import UnknownDataset, get_spec, import_file

router = APIRouter(prefix="/imports", tags=["imports"])

MAX_LISTED_ERRORS = 1000


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


class ImportRejectedRead(BaseModel):
    detail: str
    errors: list[RowErrorRead]
    error_count: int


class Detail(BaseModel):
    detail: str


def _checked_upload(file: UploadFile, limit: int) -> BinaryIO:
    """The upload's spooled file, positioned at its start; 413 if it is larger than `limit`.

    Starlette has already spooled the upload (to disk beyond 1 MB); the importer reads it from there in
    batches, so a big upload is never held in memory whole.
    """
    too_big = HTTPException(status.HTTP_413_CONTENT_TOO_LARGE,
                            f"the file is larger than the {limit // (1024 * 1024)} MB allowed (MAX_UPLOAD_MB)")
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
    responses={
        401: {"model": Detail, "description": "not signed in"},
        403: {"model": Detail, "description": "not an administrator"},
        404: {"model": Detail, "description": "no such dataset (the message names the datasets)"},
        413: {"model": Detail, "description": "the file is larger than MAX_UPLOAD_MB"},
        422: {"model": ImportRejectedRead,
              "description": "the file was rejected and nothing was written; `errors` lists the first "
                             f"{MAX_LISTED_ERRORS} problems (row, column, value, message), `error_count` all"},
    },
)
def post_import(
    dataset: str,
    session: SessionDep,
    _admin: AdminUser,
    file: Annotated[UploadFile, File(description="CSV (UTF-8) or XLSX")],
    dry_run: Annotated[bool, Query(description="check only; write nothing")] = False,
    dry_run_form: Annotated[bool | None, Form(alias="dry_run", description="same as the query parameter")] = None,
) -> ImportResultRead | JSONResponse:
    """Load one file into `dataset`: every row is checked, then upserted by its key, or nothing is written."""
    try:
        get_spec(dataset)
    except UnknownDataset as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    source = _checked_upload(file, get_settings().max_upload_mb * 1024 * 1024)
    dry = dry_run or bool(dry_run_form)
    try:
        result = import_file(session, dataset=dataset, data=source, filename=file.filename or "", dry_run=dry,
                             actor=_admin)
    except ImportRejected as exc:  # import_file has rolled back its savepoint: nothing was written
        body = ImportRejectedRead(
            detail=exc.message if len(exc.errors) != 1 else str(exc),
            errors=[RowErrorRead(**e.as_dict()) for e in exc.errors[:MAX_LISTED_ERRORS]],
            error_count=len(exc.errors),
        )
        return JSONResponse(body.model_dump(), status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    if not dry:
        session.commit()
    return ImportResultRead(**result.as_dict())
