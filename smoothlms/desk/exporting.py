"""Downloads of desk lists as CSV (streamed) or XLSX, defused against formula injection."""

from __future__ import annotations

import re

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.utils import timezone

from smoothlms.csvio.enrollments import EXPORT_HEADER, enrollment_export_rows
from smoothlms.csvio.writer import csv_lines, xlsx_bytes

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def enrollments_response(queryset, *, fmt: str, stem: str = "lms-batch-enrollments") -> HttpResponse:
    # The stem may carry a request parameter (?batch=): only safe characters reach the header.
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.")[:120] or "lms-batch-enrollments"
    filename = f"{stem}-{timezone.now():%Y%m%d-%H%M}.{fmt}"
    rows = enrollment_export_rows(queryset)
    if fmt == "csv":
        # A byte-order mark, so spreadsheet programs read the UTF-8 names right.
        response: HttpResponse = StreamingHttpResponse(
            (line.encode() for line in csv_lines(EXPORT_HEADER, rows, bom=True)),
            content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        response = HttpResponse(xlsx_bytes(EXPORT_HEADER, rows, sheet_title="LMS Batch Enrollment"),
                                content_type=XLSX_TYPE)
    else:
        raise Http404("Unknown export format.")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
