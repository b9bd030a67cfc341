"""CSV and XLSX responses shared by every export (dashboard tables and the project list).

CSV starts with a byte-order mark, so that Excel reads the Chinese as UTF-8. Cells that a
spreadsheet program would run as a formula (`=`, `+`, `-`, `@`) are written behind a `'` in
CSV and as plain text in XLSX, as the spreadsheet import/export does.
"""

import csv
import tempfile
from collections.abc import Iterable
from datetime import date

from django.http import FileResponse, StreamingHttpResponse
from django.utils.functional import Promise
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
CHUNK_ROWS = 500  # rows per chunk sent: large enough to be cheap, small enough to start at once


class _Echo:
    """A file-like object whose `write` hands the line back, for `csv.writer` in a generator."""

    def write(self, value):
        return value


def csv_cell(value):
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return value


def csv_lines(header: list, rows: Iterable, *, safe: bool = False, header_line: bool = True):
    """Encoded chunks: the BOM and header, then CHUNK_ROWS rows at a time.

    `safe` rows have been guarded against formulas already (the project export does it in SQL)."""
    writer = csv.writer(_Echo())
    if header_line:
        yield (BOM + writer.writerow([str(name) for name in header])).encode()
    chunk = []
    for row in rows:
        chunk.append(writer.writerow(row if safe else [csv_cell(value) for value in row]))
        if len(chunk) >= CHUNK_ROWS:
            yield "".join(chunk).encode()
            chunk = []
    if chunk:
        yield "".join(chunk).encode()


def csv_response(filename: str, header: list, rows: Iterable, *, safe: bool = False) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(header, rows, safe=safe), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_blocks_response(filename: str, header: list, blocks: Iterable[bytes]) -> StreamingHttpResponse:
    """A CSV response of the BOM and header, then `blocks` of CSV already written (and guarded)."""
    first = (BOM + csv.writer(_Echo()).writerow([str(name) for name in header])).encode()

    def content():
        yield first
        yield from blocks

    response = StreamingHttpResponse(content(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _xlsx_row(sheet, values, *, bold=False):
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=str(value) if isinstance(value, Promise) else value)
        if isinstance(cell.value, str):
            cell.data_type = "s"  # text, even when it starts with "=": never a formula
        elif isinstance(cell.value, date):
            cell.number_format = "yyyy-mm-dd"
        if bold:
            cell.font = Font(bold=True)
        cells.append(cell)
    sheet.append(cells)


def xlsx_response(filename: str, sheets: Iterable[tuple[str, list, Iterable]]) -> FileResponse:
    """A workbook of `(sheet title, header, rows)`, written in openpyxl's write-only mode to a
    temporary file (not memory) and streamed from there."""
    workbook = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(_sheet_title(str(title)))
        _xlsx_row(sheet, [str(name) for name in header], bold=True)
        for row in rows:
            _xlsx_row(sheet, row)
    output = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse reads and closes it
    workbook.save(output)
    output.seek(0)
    return FileResponse(output, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


def _sheet_title(title: str) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\."""
    for character in "[]:*?/\\":
        title = title.replace(character, " ")
    return title[:31] or "Sheet"
