"""The desk's import of LMS Batch Enrollments: upload, preview (a dry run through the engine,
nothing written), then apply the very file that was previewed. The importer is the one the
command line uses (smoothlms.csvio.enrollments).

The upload is streamed to a kept file (core.uploads) named by an unguessable token; the session
holds only that token and the options. The kept file is removed once applied (or after a day).
The preview and the result offer the rows that failed as a CSV download (`?failed=<token>`): the
rows as written plus a `problem` column."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from smoothlms.catalog.models import Batch
from smoothlms.core import uploads
from smoothlms.core.errors import DomainError
from smoothlms.csvio.enrollments import ImportReport, failed_row_lines, import_enrollments, read_enrollment_file
from smoothlms.csvio.errors import FileUnusable
from smoothlms.desk.enrolling import RESULT_LABELS, can_enroll
from smoothlms.desk.forms import ImportForm
from smoothlms.desk.pages import render_desk
from smoothlms.enrollment.models import BatchEnrollment, Source

SESSION_KEY = "desk_enrollment_import"
FAILED_KEY = "desk_enrollment_import_failed"  # tokens of the failed-row files this session may download
KEPT_DOWNLOADS = 10
SHOWN_ROWS = 1000  # a page stays light with 50,000 rows: problems first, then the rest up to this many
STATUS_ORDER = {"failed": 0, "skipped": 1, "created": 2}


def import_url() -> str:
    return reverse("admin:enrollment_batchenrollment_import")


def import_view(request: HttpRequest) -> HttpResponse:
    if not can_enroll(request):
        raise PermissionDenied
    if request.method == "GET" and "failed" in request.GET:
        return failed_rows_download(request, request.GET["failed"], key=FAILED_KEY, name="import-failed-rows.csv")
    if request.method == "POST" and "apply" in request.POST:
        return _apply(request)
    form = ImportForm(request.POST or None, request.FILES or None, initial={"batch": request.GET.get("batch")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        options = {
            "batch": data["batch"].name if data["batch"] else "",
            "override_start": data["override_start"],
            "reason": data["reason"],
            "notify": data["notify"],
        }
        _forget_preview(request)
        token = uploads.keep_upload(upload)
        path = uploads.path_of(token)
        try:
            report = _run(request, path, upload.name, options, dry_run=True)
        except DomainError as err:  # the file or the request is unusable: nothing was written
            uploads.discard(token)
            form.add_error("file" if isinstance(err, FileUnusable) else None, err.user_message())
        else:
            request.session[SESSION_KEY] = {"token": token, "filename": upload.name, **options}
            failed = _keep_failed(request, path, upload.name, report)
            return _render_report(request, report, filename=upload.name, options=options, token=token, failed=failed)
    return render_desk(
        request,
        "desk/import_upload.html",
        {"form": form},
        title="Import LMS batch enrollments",
        opts=BatchEnrollment._meta,
    )


def _run(request: HttpRequest, path: Path, filename: str, options: dict, *, dry_run: bool) -> ImportReport:
    table = read_enrollment_file(path, filename=filename)
    batch = Batch.objects.get(name=options["batch"]) if options["batch"] else None
    return import_enrollments(
        table,
        actor=request.user,
        batch=batch,
        dry_run=dry_run,
        notify=options["notify"],
        override_start=options["override_start"],
        reason=options["reason"],
        source=Source.IMPORT,
    )


def _apply(request: HttpRequest) -> HttpResponse:
    stored = request.session.get(SESSION_KEY)
    path = uploads.path_of(stored["token"]) if stored else None
    if path is None or not secrets.compare_digest(stored["token"], request.POST.get("token", "")):
        messages.error(
            request,
            "That preview is no longer available (it was applied, replaced or is more than "
            "a day old): upload the file again.",
        )
        return redirect(import_url())
    del request.session[SESSION_KEY]  # one apply per preview, even on a double click
    request.session.save()
    try:
        report = _run(request, path, stored["filename"], stored, dry_run=False)
        failed = _keep_failed(request, path, stored["filename"], report)
    except (DomainError, Batch.DoesNotExist) as err:
        text = err.user_message() if isinstance(err, DomainError) else "The chosen cohort no longer exists."
        messages.error(request, text)
        return redirect(import_url())
    finally:
        uploads.discard(stored["token"])
    level = messages.WARNING if report.failed else messages.SUCCESS
    messages.add_message(
        request, level, f"Import applied: {report.created} enrolled, {report.skipped} skipped, {report.failed} failed."
    )
    return _render_report(request, report, filename=stored["filename"], options=stored, token=None, failed=failed)


def _forget_preview(request: HttpRequest) -> None:
    """A new upload replaces the preview before it: its kept file goes."""
    stored = request.session.pop(SESSION_KEY, None)
    if stored:
        uploads.discard(stored.get("token"))


def _keep_failed(request: HttpRequest, path: Path, filename: str, report: ImportReport) -> str | None:
    """Write the failed rows' CSV to a kept file this session may download; its token."""
    if not report.failed:
        return None
    token = uploads.keep_lines(failed_row_lines(path, filename=filename, report=report))
    remember_download(request, FAILED_KEY, token)
    return token


def remember_download(request: HttpRequest, key: str, token: str) -> None:
    tokens = [*request.session.get(key, []), token]
    for old in tokens[:-KEPT_DOWNLOADS]:
        uploads.discard(old, "csv")
    request.session[key] = tokens[-KEPT_DOWNLOADS:]


def failed_rows_download(request: HttpRequest, token: str, *, key: str, name: str) -> FileResponse:
    """The kept CSV of `token`, for the session that made it only."""
    path = uploads.path_of(token, "csv") if token in request.session.get(key, []) else None
    if path is None:
        raise Http404("That file of failed rows is no longer available: preview the file again.")
    return FileResponse(
        open(path, "rb"),
        as_attachment=True,
        filename=name,  # noqa: SIM115 - closed by Django
        content_type="text/csv; charset=utf-8",
    )


def _render_report(
    request: HttpRequest, report: ImportReport, *, filename: str, options: dict, token: str | None, failed: str | None
) -> HttpResponse:
    ordered = sorted(report.rows, key=lambda r: (STATUS_ORDER[r.status], r.row))
    rows = [
        {
            "row": r.row,
            "member": r.member or "(blank)",
            "batch": r.batch,
            "status": r.status,
            "label": RESULT_LABELS[r.status],
            "code": r.code,
            "message": r.message,
        }
        for r in ordered[:SHOWN_ROWS]
    ]
    preview = token is not None
    return render_desk(
        request,
        "desk/import_report.html",
        {
            "report": report,
            "rows": rows,
            "shown": len(rows),
            "total": len(report.rows),
            "filename": filename,
            "options": options,
            "token": token,
            "preview": preview,
            "import_url": import_url(),
            "failed_url": f"{import_url()}?failed={failed}" if failed else "",
        },
        title="Preview of the import" if preview else "Import applied",
        opts=BatchEnrollment._meta,
    )
