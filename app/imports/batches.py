"""A big CSV file read in batches of rows (`CsvBatches`), so memory does not grow with the file: each
batch a frame of strings as `read_table` gives a whole file; `NotStreamable` when the file needs the
whole-file reader."""

from __future__ import annotations

import codecs
import hashlib
import io
from collections.abc import Iterator
from typing import BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from app.imports.errors import FileProblem
from app.imports.reader import NOT_BLANK, arrow_options, drop_blank, not_utf8, read_header, to_frame

# Bytes of CSV per batch: about 70,000 sales rows, some tens of MB once parsed.
BATCH_BYTES = 4 * 1024 * 1024
# The header line must end within this many bytes for a file to be read in batches.
HEAD_BYTES = 1024 * 1024


class NotStreamable(Exception):
    """This file needs the whole-file reader (`read_table`): an irregular row, CR-only line endings, a
    header that is not one plain line, ... Raised before or while reading; what was read is void."""


class _Utf8Check:
    """UTF-8 checked piece by piece; the error names the line and byte as the whole-file reader's does."""

    def __init__(self, first_line: int) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._line = first_line  # the line the next byte is on
        self._line_start = 0  # where that line starts, in bytes checked so far
        self._offset = 0  # bytes checked so far

    def check(self, piece: bytes, *, final: bool) -> None:
        kept = len(self._decoder.getstate()[0])  # the start of a character cut at the previous piece's end
        try:
            self._decoder.decode(piece, final)
        except UnicodeDecodeError as exc:
            at = exc.start - kept  # in piece; negative: in the bytes kept from the previous piece
            before = piece[: max(at, 0)]
            newline = before.rfind(b"\n")
            line_start = self._offset + newline + 1 if newline >= 0 else self._line_start
            line = self._line + before.count(b"\n")
            raise not_utf8(line, self._offset + at - line_start + 1, exc.object[exc.start]) from None
        newline = piece.rfind(b"\n")
        if newline >= 0:
            self._line += piece.count(b"\n")
            self._line_start = self._offset + newline + 1
        self._offset += len(piece)


class CsvBatches:
    """A CSV file read in batches of rows: iterate for frames of strings as `read_table` gives them.

    The file is cut at the last line end of every BATCH_BYTES read, and each piece parsed by pyarrow
    like a whole file. A cut inside a quoted value (a line break in a cell) shows as a last row whose
    cell runs to the end of the piece: the piece then waits for more of the file. So only one piece
    is in memory at a time, whatever the file's size.

    Raises FileProblem as the whole-file reader would (the file is not UTF-8, no data rows), and
    NotStreamable when the file needs the whole-file reader. `done` is the share of the file read so
    far (0..1); `size` and `sha256` describe the whole file once iteration has finished.
    """

    def __init__(self, raw: BinaryIO, *, total_bytes: int) -> None:
        self._raw = raw
        self.total_bytes = max(total_bytes, 1)
        head = raw.read(HEAD_BYTES)
        self._sha256 = hashlib.sha256(head)
        self.size = len(head)
        body = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
        header_end = body.find(b"\n")
        # Odd files go to the whole-file reader, which has the words for each of them.
        if (
            header_end < 0
            or body.startswith((b"\xff\xfe", b"\xfe\xff"))
            or b"\x00" in body[:4096]
            or NOT_BLANK.search(body[header_end + 1 :]) is None
        ):
            raise NotStreamable
        try:
            header_line = body[:header_end].decode("utf-8").rstrip("\r")
        except UnicodeDecodeError:
            raise NotStreamable from None
        if header_line.count('"') % 2:  # a quoted line break in the header
            raise NotStreamable
        self.delimiter, self.header = read_header(header_line)
        self.decimal = "," if self.delimiter == ";" else "."
        self._rest = body[header_end + 1 :]
        self._utf8 = _Utf8Check(first_line=2)
        self._eof = False

    @property
    def done(self) -> float:
        return min(self.size / self.total_bytes, 1.0)

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()

    def __iter__(self) -> Iterator[pd.DataFrame]:
        pending, next_row, rows, limit = self._rest, 2, 0, BATCH_BYTES
        self._utf8.check(pending, final=False)
        while True:
            while not self._eof and len(pending) < limit:
                pending += self._read()
            if not pending:
                break
            last = self._eof and len(pending) <= limit
            cut = len(pending) if last else pending.rfind(b"\n", 0, limit) + 1
            if cut == 0:  # a record longer than a batch: read on
                limit *= 2
                continue
            table = self._parse(pending[:cut])
            if not last and _runs_to_the_end(table):
                limit *= 2  # the cut fell inside a quoted value: parse again with more
                continue
            pending, limit = pending[cut:], BATCH_BYTES
            frame = to_frame(table)
            frame.columns = self.header
            frame.index = pd.RangeIndex(next_row, next_row + len(frame))
            next_row += len(frame)
            frame = drop_blank(frame)
            if frame.empty:
                continue
            rows += len(frame)
            frame.attrs["decimal"] = self.decimal
            frame.attrs["row_errors"] = []
            yield frame
        if rows == 0:
            raise FileProblem("the file has a header but no data rows")

    def _read(self) -> bytes:
        """The next BATCH_BYTES of the file, hashed and checked (b"" at the end)."""
        piece = b"" if self._eof else self._raw.read(BATCH_BYTES)
        self._eof = not piece
        self._sha256.update(piece)
        self.size += len(piece)
        self._utf8.check(piece, final=self._eof)
        return piece

    def _parse(self, chunk: bytes) -> pa.Table:
        irregular: list[object] = []

        def on_irregular(row: object) -> str:
            irregular.append(row)  # pyarrow does not say which row: the whole-file reader numbers them
            return "skip"

        try:
            table = pa_csv.read_csv(io.BytesIO(chunk), **arrow_options(self.delimiter, len(self.header), on_irregular))
        except (pa.ArrowInvalid, pa.ArrowException):
            raise NotStreamable from None
        if irregular:
            raise NotStreamable
        return table


def _runs_to_the_end(table: pa.Table) -> bool:
    """Whether the last row has a cell ending in a line break: a quoted value left open at the end of a
    piece swallows the rest of it (a value that really ends in a line break is read again, harmlessly)."""
    if table.num_rows == 0:
        return False
    last = table.slice(table.num_rows - 1)
    return any((column[0].as_py() or "").endswith(("\n", "\r")) for column in last.columns)
