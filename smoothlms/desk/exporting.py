"""Downloads of desk lists as CSV (streamed) or XLSX, defused against formula injection by
csvio.writer. The audit exports (batch enrollments, course enrollments, training assignments,
certificates, quiz submissions) come from the export registry by kind, narrowed to the list as
filtered on the page; the employee list is written in the HR employee export's own format."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.utils import timezone

from smoothlms.core.db import iterate_values
from smoothlms.csvio.exports import ExportFilters, export_lines, get_export
from smoothlms.csvio.writer import csv_lines, xlsx_bytes
from smoothlms.hr.records import LABELS

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")


def _attachment(response: HttpResponse, stem: str, fmt: str) -> HttpResponse:
    # The stem may carry a request parameter (?batch=): only safe characters reach the header.
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.")[:120] or "export"
    response["Content-Disposition"] = f'attachment; filename="{stem}-{timezone.now():%Y%m%d-%H%M}.{fmt}"'
    return response


def csv_response(lines: Iterable[str], *, stem: str) -> StreamingHttpResponse:
    """Lines of CSV text (the first with a byte-order mark, so spreadsheet programs read UTF-8), streamed."""
    response = StreamingHttpResponse((line.encode() for line in lines), content_type="text/csv; charset=utf-8")
    return _attachment(response, stem, "csv")


def table_response(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, fmt: str, stem: str, sheet_title: str
) -> HttpResponse:
    if fmt == "csv":
        return csv_response(csv_lines(header, rows, bom=True), stem=stem)
    if fmt == "xlsx":
        return _attachment(
            HttpResponse(xlsx_bytes(header, rows, sheet_title=sheet_title), content_type=XLSX_TYPE), stem, fmt
        )
    raise Http404("Unknown export format: use csv or xlsx.")


def kind_response(kind: str, queryset, *, fmt: str, stem: str | None = None) -> HttpResponse:
    """Export `kind` of the registry, only the rows of `queryset` (a desk list as filtered on the page)."""
    spec = get_export(kind)
    filters = ExportFilters(extra={"within": queryset})
    if fmt == "csv":
        return csv_response(export_lines(kind, filters, bom=True), stem=stem or kind)
    return table_response(spec.header, spec.rows(filters), fmt=fmt, stem=stem or kind, sheet_title=kind)


# The HR employee export (CONTRACT.md section 7): the columns the roster import and
# `smoothlms import_employees` read back as they are. User ID is the linked user's email.
EMPLOYEE_HEADER = tuple(LABELS.values())
EMPLOYEE_FIELDS = tuple("user__email" if name == "user_id" else name for name in LABELS)


def employees_response(queryset, *, fmt: str) -> HttpResponse:
    rows = iterate_values(queryset, EMPLOYEE_FIELDS)
    return table_response(EMPLOYEE_HEADER, rows, fmt=fmt, stem="employees", sheet_title="Employee")
