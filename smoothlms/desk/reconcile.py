"""/desk/reconcile: roster reconciliation in the desk (CONTRACT.md section 8).

Upload the HR export and pick the cohort; the page shows the counts and every finding with its
fix (hr.reconciliation, the same comparison as `smoothlms reconcile_roster`). Two findings can be
fixed from here: `not_enrolled` people are enrolled through the engine (bulk_enroll, source desk),
and `missing_user` people get a user, linked to their Employee record (create_missing_user).
The uploaded file is streamed to a kept file (core.uploads, removed after a day or when another
file replaces it) whose unguessable token is all the session holds, so the report is computed
again after each action: an action applies only to findings that still stand. The report offers
the file's rows that have a finding as a CSV download: the rows as written plus `problem`."""

from __future__ import annotations

import secrets
from pathlib import Path

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from smoothlms.catalog.models import Batch
from smoothlms.core import uploads
from smoothlms.core.errors import DomainError
from smoothlms.csvio.employees import finding_row_lines, read_hr_export, reconcile_file
from smoothlms.csvio.errors import FileUnusable
from smoothlms.desk.addresses import record_key
from smoothlms.desk.pages import render_desk
from smoothlms.enrollment.models import Source
from smoothlms.enrollment.services import bulk_enroll
from smoothlms.hr.reconciliation import (
    FIX_ENROLL,
    KINDS,
    MISSING_USER,
    NOT_ENROLLED,
    Reconciliation,
    create_missing_user,
)
from smoothlms.people.roles import can_manage_hr, can_reconcile

SESSION_KEY = "desk_reconciliation"
SHOWN = 1000  # findings shown on the page (the command's JSON or CSV has them all)
KIND_LABELS = {
    "missing_user": "Missing user",
    "user_disabled": "User disabled",
    "not_enrolled": "Not enrolled",
    "enrolled_not_in_hr": "Enrolled, not in HR",
    "left_but_enrolled": "Left, still enrolled",
    "duplicate_alias": "Duplicate alias",
    "rehire_duplicate": "Rehire duplicate",
}
KIND_TONES = {
    "missing_user": "full",
    "user_disabled": "warn",
    "not_enrolled": "warn",
    "enrolled_not_in_hr": "warn",
    "left_but_enrolled": "full",
    "duplicate_alias": "warn",
    "rehire_duplicate": "warn",
}


def can_enroll(user) -> bool:
    return user.has_perm("enrollment.add_batchenrollment")


class BatchField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Batch) -> str:
        return f"{obj.title} ({obj.name}) · starts {obj.start_date:%d %b %Y}"


class ReconcileForm(forms.Form):
    batch = BatchField(
        queryset=Batch.objects.none(), to_field_name="name", label="Cohort", empty_label="Choose a cohort"
    )
    file = forms.FileField(
        label="HR export (CSV or Excel)",
        help_text="The Frappe HRMS Employee report: ID, Full Name, Company Email, Personal Email, "
        "User ID, Status. UTF-8 CSV or .xlsx.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["batch"].queryset = Batch.objects.only("pk", "name", "title", "start_date").order_by(
            "-start_date", "title"
        )


def page_url(token: str | None = None) -> str:
    url = reverse("desk-reconcile")
    return f"{url}?{urlencode({'report': token})}" if token else url


def reconcile_view(request: HttpRequest) -> HttpResponse:
    if not can_reconcile(request.user):
        raise PermissionDenied
    if request.method == "POST" and request.POST.get("action"):
        return _act(request)
    token = request.GET.get("report")
    if request.method == "GET" and token:
        return _download(request, token) if request.GET.get("download") == "problems" else _report(request, token)
    form = ReconcileForm(request.POST or None, request.FILES or None, initial={"batch": request.GET.get("batch")})
    if request.method == "POST" and form.is_valid():
        batch, upload = form.cleaned_data["batch"], form.cleaned_data["file"]
        previous = request.session.pop(SESSION_KEY, None)
        if previous:
            uploads.discard(previous.get("token"))
        token = uploads.keep_upload(upload)
        try:
            read_hr_export(uploads.path_of(token), filename=upload.name)  # refuse an unusable file on the form
        except FileUnusable as err:
            uploads.discard(token)
            form.add_error("file", err.user_message())
        else:
            request.session[SESSION_KEY] = {"token": token, "batch": batch.name, "filename": upload.name}
            return redirect(page_url(token))
    return render_desk(
        request,
        "desk/reconcile/upload.html",
        {"form": form, "desk_section": "reconcile"},
        title="Reconcile a roster with HR",
    )


def _kept(request: HttpRequest, token: str) -> tuple[Batch, str, Path] | None:
    """The cohort, file name and kept file of this session's report `token`, while they last."""
    stored = request.session.get(SESSION_KEY)
    if not stored or not secrets.compare_digest(stored["token"], token or ""):
        return None
    path = uploads.path_of(stored["token"])
    batch = Batch.objects.filter(name=stored["batch"]).first()
    if batch is None or path is None:
        return None
    return batch, stored["filename"], path


def _stored(request: HttpRequest, token: str) -> tuple[Batch, str, Reconciliation] | None:
    kept = _kept(request, token)
    if kept is None:
        return None
    batch, filename, path = kept
    return batch, filename, reconcile_file(batch=batch, data=path, filename=filename)


def _download(request: HttpRequest, token: str) -> HttpResponse:
    """The file's rows that have a finding, as written, plus `problem`."""
    kept = _kept(request, token)
    if kept is None:
        messages.error(request, "That report is no longer available: upload the HR export again.")
        return redirect(page_url())
    batch, filename, path = kept
    report = reconcile_file(batch=batch, data=path, filename=filename)
    response = StreamingHttpResponse(
        finding_row_lines(data=path, filename=filename, report=report), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="reconcile-{batch.name}-problems.csv"'
    return response


def _report(request: HttpRequest, token: str) -> HttpResponse:
    found = _stored(request, token)
    if found is None:
        messages.error(request, "That report is no longer available: upload the HR export again.")
        return redirect(page_url())
    batch, filename, report = found
    counts = report.counts()
    rows = [
        {
            "key": f.key,
            "kind": f.kind,
            "label": KIND_LABELS[f.kind],
            "tone": KIND_TONES[f.kind],
            "employee": f.employee,
            "email": f.email,
            "detail": f.detail,
            "fix": f.fix,
            "enrollable": f.kind == NOT_ENROLLED and f.fix == FIX_ENROLL,
            "creatable": f.kind == MISSING_USER and bool(f.email),
        }
        for f in report.findings[:SHOWN]
    ]
    user = request.user
    return render_desk(
        request,
        "desk/reconcile/report.html",
        {
            "report": report,
            "batch": batch,
            "filename": filename,
            "token": token,
            "rows": rows,
            "shown": len(rows),
            "total": len(report.findings),
            "desk_section": "reconcile",
            "kinds": [
                {"kind": kind, "label": KIND_LABELS[kind], "count": counts[kind], "tone": KIND_TONES[kind]}
                for kind in KINDS
                if counts[kind]
            ],
            "enrollable": sum(1 for f in report.findings if f.kind == NOT_ENROLLED and f.fix == FIX_ENROLL),
            "creatable": sum(1 for f in report.findings if f.kind == MISSING_USER and f.email),
            "can_enroll": can_enroll(user),
            "can_create_users": can_manage_hr(user),
            "batch_url": reverse("admin:catalog_batch_change", args=[record_key(batch)]),
            "problems_url": f"{page_url(token)}&{urlencode({'download': 'problems'})}",
        },
        title=f"Reconciliation of {batch.title}",
    )


def _act(request: HttpRequest) -> HttpResponse:
    token = request.POST.get("token", "")
    found = _stored(request, token)
    if found is None:
        messages.error(request, "That report is no longer available: upload the HR export again.")
        return redirect(page_url())
    batch, _, report = found
    action = request.POST["action"]
    chosen = set(request.POST.getlist("finding"))
    every = request.POST.get("all") == "1"
    if action == "enroll":
        if not can_enroll(request.user):
            raise PermissionDenied
        findings = [f for f in report.of_kind(NOT_ENROLLED) if f.fix == FIX_ENROLL and (every or f.key in chosen)]
        if findings:
            _enroll(request, batch, [f.email for f in findings])
    elif action == "create_users":
        if not can_manage_hr(request.user):  # users for HR records: HR's job, as provisioning is
            raise PermissionDenied
        findings = [f for f in report.of_kind(MISSING_USER) if f.email and (every or f.key in chosen)]
        if findings:
            _create_users(request, report, findings)
    else:
        findings = []
    if not findings:
        messages.warning(request, "Nothing to do: choose findings that still stand.")
    return redirect(page_url(token))


def _enroll(request: HttpRequest, batch: Batch, emails: list[str]) -> None:
    try:
        result = bulk_enroll(batch=batch, members=emails, actor=request.user, source=Source.DESK)
    except DomainError as err:  # refusals of the whole request
        messages.error(request, err.user_message())
        return
    level = messages.WARNING if result.failed else messages.SUCCESS
    text = f"Enrolled {result.created} in {batch.title}; {result.skipped} skipped, {result.failed} failed."
    failures = [f"{r.member}: {r.message}" for r in result.results if r.status == "failed"][:5]
    messages.add_message(request, level, " ".join([text, *failures]))


def _create_users(request: HttpRequest, report: Reconciliation, findings) -> None:
    created, refusals = 0, []
    for finding in findings:
        try:
            create_missing_user(
                email=finding.email,
                full_name=report.employee_names.get(finding.employee or "", ""),
                employee=finding.employee,
                actor=request.user,
            )
        except DomainError as err:
            refusals.append(err.user_message())
        else:
            created += 1
    level = messages.WARNING if refusals else messages.SUCCESS
    messages.add_message(
        request,
        level,
        " ".join(
            [f"Created {created} user{'' if created == 1 else 's'} and linked their Employee records.", *refusals[:5]]
        ),
    )
