"""The desk's audit pages: the audit log (/desk/audit), the quarterly role audit
(/desk/audit/roles) and audit exports as CSV (/desk/audit/export).

The log lists EnrollmentEvent rows (enrollments, cancellations, overrides, role changes, sign-ins
with the address they came from), filtered by cohort, member, actor, kind and days, a page at a
time: the same number of queries whatever the size of the log. Downloads stream from
csvio.exports, formula-safe, with the same filters."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import urlencode

from smoothlms.catalog.models import Batch
from smoothlms.core.errors import DomainError
from smoothlms.core.models import EventType
from smoothlms.csvio.exports import (
    EXPORTS,
    ROLE_AUDIT_HEADER,
    ExportFilters,
    audit_log_queryset,
    export_lines,
    get_export,
)
from smoothlms.csvio.writer import csv_lines
from smoothlms.desk.pages import render_desk
from smoothlms.people.models import normalize_email
from smoothlms.people.selectors import role_audit_queryset, role_audit_rows

PER_PAGE = 50
STALE_DAYS = 90  # a staff role unused for a quarter is worth a question in the quarterly audit
KIND_TONES = {
    EventType.ENROLLED: "ok",
    EventType.REACTIVATED: "ok",
    EventType.CANCELLED: "cancelled",
    EventType.OVERRIDE: "warn",
    EventType.LOGIN_FAILED: "full",
    EventType.USER_DISABLED: "cancelled",
    EventType.USER_PURGED: "full",
    EventType.ROLES_CHANGED: "warn",
    EventType.EMAIL_FAILED: "full",
}


def can_audit(user) -> bool:
    return user.has_perm("core.view_enrollmentevent")


class BatchField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Batch) -> str:
        return f"{obj.title} ({obj.name})"


class AuditFilterForm(forms.Form):
    batch = BatchField(
        queryset=Batch.objects.none(), to_field_name="name", required=False, label="Cohort", empty_label="Any cohort"
    )
    member = forms.CharField(
        required=False, label="Member", max_length=254, widget=forms.TextInput(attrs={"placeholder": "member's email"})
    )
    actor = forms.CharField(
        required=False,
        label="Actor",
        max_length=254,
        widget=forms.TextInput(attrs={"placeholder": "who did it (email)"}),
    )
    kind = forms.ChoiceField(required=False, label="Kind", choices=[("", "Any kind"), *EventType.choices])
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["batch"].queryset = Batch.objects.only("pk", "name", "title").order_by("title")

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "The end day is before the start day.")
        return cleaned

    def filters(self) -> ExportFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return ExportFilters(
            batch=data.get("batch"),
            member=normalize_email(data.get("member") or ""),
            actor=normalize_email(data.get("actor") or ""),
            event_kind=data.get("kind") or "",
            since=data.get("since"),
            until=data.get("until"),
        )


def _zone(request: HttpRequest):
    name = getattr(request.user, "time_zone", "") or ""
    return ZoneInfo(name) if name else timezone.get_current_timezone()


def _change(before, after) -> str:
    def text(value) -> str:
        return "" if value is None else json.dumps(value, sort_keys=True, default=str)

    if before is None and after is None:
        return ""
    if before is None:
        return text(after)
    return f"{text(before)} → {text(after)}"


def audit_log_view(request: HttpRequest) -> HttpResponse:
    if not can_audit(request.user):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    filters = form.filters()
    queryset = (
        audit_log_queryset(filters)
        .select_related("batch", "member")
        .only(
            "created_at",
            "kind",
            "actor_email",
            "source",
            "reason",
            "before",
            "after",
            "remote_addr",
            "enrollment_id",
            "batch__name",
            "batch__title",
            "member__email",
        )
        .order_by("-created_at", "-id")
    )
    page = Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))
    zone = _zone(request)
    rows = [
        {
            "event": event,
            "when": event.created_at.astimezone(zone),
            "tone": KIND_TONES.get(event.kind, ""),
            "change": _change(event.before, event.after),
        }
        for event in page.object_list
    ]
    query = {key: value for key, value in request.GET.items() if key != "page" and value}
    return render_desk(
        request,
        "desk/audit/log.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "zone": str(zone),
            "desk_section": "audit",
            "query": urlencode(query),
            "export_query": urlencode({"export": "audit-log", **query}),
            "export_form": AuditFilterForm(auto_id="export_%s"),
            "exports": [
                kind
                for kind, spec in EXPORTS.items()
                if kind not in ("audit-log", "role-audit") and request.user.has_perm(spec.permission)
            ],
        },
        title="Audit log",
    )


def role_audit_view(request: HttpRequest) -> HttpResponse:
    if not can_audit(request.user):
        raise PermissionDenied
    if request.GET.get("format") == "csv":
        return _csv_response("role-audit", csv_lines(ROLE_AUDIT_HEADER, role_audit_rows(), bom=True))
    zone = _zone(request)
    users = list(role_audit_queryset())
    rows = [
        {
            "user": user,
            "roles": [group.name for group in user.groups.all()],
            "last_login": user.last_login.astimezone(zone) if user.last_login else None,
            "roles_changed_at": user.roles_changed_at.astimezone(zone) if user.roles_changed_at else None,
        }
        for user in users
    ]
    return render_desk(
        request,
        "desk/audit/roles.html",
        {
            "rows": rows,
            "zone": str(zone),
            "desk_section": "role-audit",
            "stale_days": STALE_DAYS,
            "stale_before": timezone.now() - dt.timedelta(days=STALE_DAYS),
        },
        title="Role audit",
    )


def export_view(request: HttpRequest) -> HttpResponse:
    """GET ?export=K&batch=&member=&since=&until= (audit-log also actor= and kind=): a CSV download."""
    kind = request.GET.get("export", "")
    try:
        spec = get_export(kind)
    except DomainError:
        raise Http404("Unknown export.") from None
    if not request.user.has_perm(spec.permission):
        raise PermissionDenied
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponse(
            "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    return _csv_response(kind, export_lines(kind, form.filters(), bom=True))


def _csv_response(kind: str, lines) -> StreamingHttpResponse:
    response = StreamingHttpResponse((line.encode() for line in lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind}-{timezone.now():%Y%m%d-%H%M}.csv"'
    return response
