"""The desk's import of LMS Batch Enrollments: upload, preview (a dry run through the engine,
nothing written), then apply the very file that was previewed. The importer is the one the
command line uses (smoothlms.csvio.enrollments)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import zlib

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from smoothlms.catalog.models import Batch
from smoothlms.core.errors import DomainError
from smoothlms.csvio.enrollments import ImportReport, import_enrollments, read_enrollment_file
from smoothlms.csvio.errors import FileUnusable
from smoothlms.desk.enrolling import RESULT_LABELS, can_enroll
from smoothlms.desk.forms import ImportForm
from smoothlms.desk.pages import render_desk
from smoothlms.enrollment.models import BatchEnrollment, Source

SESSION_KEY = "desk_enrollment_import"
SHOWN_ROWS = 1000  # a page stays light with 50,000 rows: problems first, then the rest up to this many
STATUS_ORDER = {"failed": 0, "skipped": 1, "created": 2}


def import_url() -> str:
    return reverse("admin:enrollment_batchenrollment_import")


def import_view(request: HttpRequest) -> HttpResponse:
    if not can_enroll(request):
        raise PermissionDenied
    if request.method == "POST" and "apply" in request.POST:
        return _apply(request)
    form = ImportForm(request.POST or None, request.FILES or None, initial={"batch": request.GET.get("batch")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        content = upload.read()
        options = {"batch": data["batch"].name if data["batch"] else "", "override_start": data["override_start"],
                   "reason": data["reason"], "notify": data["notify"]}
        try:
            report = _run(request, content, upload.name, options, dry_run=True)
        except DomainError as err:  # the file or the request is unusable: nothing was written
            form.add_error("file" if isinstance(err, FileUnusable) else None, err.user_message())
        else:
            token = secrets.token_urlsafe(16)
            # The session carries the previewed file to the apply step (web nodes share no disk).
            request.session[SESSION_KEY] = {
                "token": token, "filename": upload.name, "sha256": hashlib.sha256(content).hexdigest(),
                "data": base64.b64encode(zlib.compress(content)).decode(), **options,
            }
            return _render_report(request, report, filename=upload.name, options=options, token=token)
    return render_desk(request, "desk/import_upload.html", {"form": form},
                       title="Import LMS batch enrollments", opts=BatchEnrollment._meta)


def _run(request: HttpRequest, content: bytes, filename: str, options: dict, *, dry_run: bool) -> ImportReport:
    table = read_enrollment_file(content, filename=filename)
    batch = Batch.objects.get(name=options["batch"]) if options["batch"] else None
    return import_enrollments(table, actor=request.user, batch=batch, dry_run=dry_run,
                              notify=options["notify"], override_start=options["override_start"],
                              reason=options["reason"], source=Source.IMPORT)


def _apply(request: HttpRequest) -> HttpResponse:
    stored = request.session.get(SESSION_KEY)
    if not stored or not secrets.compare_digest(stored["token"], request.POST.get("token", "")):
        messages.error(request, "That preview is no longer available (it was applied or replaced): "
                                "upload the file again.")
        return redirect(import_url())
    content = zlib.decompress(base64.b64decode(stored["data"]))
    del request.session[SESSION_KEY]  # one apply per preview, even on a double click
    request.session.save()
    try:
        report = _run(request, content, stored["filename"], stored, dry_run=False)
    except (DomainError, Batch.DoesNotExist) as err:
        text = err.user_message() if isinstance(err, DomainError) else "The chosen cohort no longer exists."
        messages.error(request, text)
        return redirect(import_url())
    level = messages.WARNING if report.failed else messages.SUCCESS
    messages.add_message(request, level, f"Import applied: {report.created} enrolled, {report.skipped} skipped, "
                                         f"{report.failed} failed.")
    return _render_report(request, report, filename=stored["filename"], options=stored, token=None)


def _render_report(request: HttpRequest, report: ImportReport, *, filename: str, options: dict,
                   token: str | None) -> HttpResponse:
    ordered = sorted(report.rows, key=lambda r: (STATUS_ORDER[r.status], r.row))
    rows = [{"row": r.row, "member": r.member or "(blank)", "batch": r.batch, "status": r.status,
             "label": RESULT_LABELS[r.status], "code": r.code, "message": r.message} for r in ordered[:SHOWN_ROWS]]
    preview = token is not None
    return render_desk(request, "desk/import_report.html", {
        "report": report, "rows": rows, "shown": len(rows), "total": len(report.rows), "filename": filename,
        "options": options, "token": token, "preview": preview, "import_url": import_url(),
    }, title="Preview of the import" if preview else "Import applied", opts=BatchEnrollment._meta)
