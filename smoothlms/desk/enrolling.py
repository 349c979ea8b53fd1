"""Desk pages that enroll and cancel: the "Enroll members" dialog of a cohort, the
/app/lms-batch-enrollment/new form, and cancelling. Each calls one engine service and maps its
DomainError onto the page once; no rule lives here."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from smoothlms.catalog.models import Batch
from smoothlms.core.errors import DomainError
from smoothlms.desk.addresses import record_key
from smoothlms.desk.forms import CancelForm, EnrollMembersForm, EnrollmentAddForm
from smoothlms.desk.pages import render_desk
from smoothlms.enrollment.errors import (
    AlreadyEnrolled,
    NotAStudent,
    OverrideReasonRequired,
    UserDisabled,
    UserNotFound,
)
from smoothlms.enrollment.models import BatchEnrollment, EnrollmentStatus, Source
from smoothlms.enrollment.services import bulk_enroll, cancel_enrollment, enroll, promote_now

RESULT_LABELS = {"created": "Enrolled", "skipped": "Skipped", "failed": "Failed"}


def batch_url(batch: Batch) -> str:
    return reverse("admin:catalog_batch_change", args=[record_key(batch)])


def can_enroll(request: HttpRequest) -> bool:
    return request.user.has_perm("enrollment.add_batchenrollment")


def enroll_members_view(request: HttpRequest, object_id: str) -> HttpResponse:
    """GET: the dialog's form as a page; POST: bulk_enroll (source desk) and the result per member."""
    if not can_enroll(request):
        raise PermissionDenied
    batch = get_object_or_404(Batch, pk=object_id)
    form = EnrollMembersForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = bulk_enroll(
                batch=batch,
                members=data["members"],
                actor=request.user,
                source=Source.DESK,
                override_start=data["override_start"],
                reason=data["reason"],
                notify=data["notify"],
            )
        except DomainError as err:  # refusals of the whole request (permission, override reason)
            form.add_error("reason" if isinstance(err, OverrideReasonRequired) else None, err.user_message())
        else:
            batch.refresh_from_db()
            form = EnrollMembersForm(initial={"notify": data["notify"]})
    rows = [
        {
            "member": r.member or "(blank)",
            "status": r.status,
            "label": RESULT_LABELS[r.status],
            "code": r.code,
            "message": r.message or "Enrolled.",
        }
        for r in (result.results if result else [])
    ]
    return render_desk(
        request,
        "desk/enroll_members.html",
        {
            "batch": batch,
            "form": form,
            "result": result,
            "rows": rows,
            "batch_url": batch_url(batch),
            "media": form.media,
        },
        title=f"Enroll members in {batch.title}",
        opts=Batch._meta,
    )


_MEMBER_ERRORS = (UserNotFound, UserDisabled, NotAStudent, AlreadyEnrolled)


def add_enrollment_view(request: HttpRequest) -> HttpResponse:
    """/app/lms-batch-enrollment/new: Member and Batch; saving calls enroll (source desk). A refusal
    shows the contract's message on the form and no success message."""
    if not can_enroll(request):
        raise PermissionDenied
    form = EnrollmentAddForm(
        request.POST or None, initial={"batch": request.GET.get("batch"), "member": request.GET.get("member")}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        batch = data["batch"]
        try:
            enrollment = enroll(
                batch=batch,
                member=data["member"],
                actor=request.user,
                source=Source.DESK,
                override_start=data["override_start"],
                reason=data["reason"],
                notify=data["notify"],
            )
        except DomainError as err:
            field = (
                "member"
                if isinstance(err, _MEMBER_ERRORS)
                else "reason"
                if isinstance(err, OverrideReasonRequired)
                else None
            )
            form.add_error(field, err.user_message())
        else:
            messages.success(request, f"{enrollment.member.email} is enrolled in {batch.title}.")
            if "_addanother" in request.POST:
                return redirect(f"{reverse('admin:enrollment_batchenrollment_add')}?batch={batch.name}")
            return redirect(batch_url(batch) + "#roster")
    return render_desk(
        request,
        "desk/enrollment_add.html",
        {"form": form},
        title="Add LMS batch enrollment",
        opts=BatchEnrollment._meta,
    )


def _next_url(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


def cancel_one_view(request: HttpRequest, object_id: str) -> HttpResponse:
    """Cancel one enrollment (confirm first): cancel_enrollment frees the seat and keeps history."""
    if not request.user.has_perm("enrollment.change_batchenrollment"):
        raise PermissionDenied
    enrollment = get_object_or_404(BatchEnrollment.objects.select_related("batch", "member"), pk=object_id)
    back = _next_url(request, batch_url(enrollment.batch) + "#roster")
    form = CancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            cancel_enrollment(
                batch=enrollment.batch,
                member=enrollment.member,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                source=Source.DESK,
            )
        except DomainError as err:
            messages.error(request, err.user_message())
        else:
            messages.success(
                request,
                f"Cancelled the enrollment of {enrollment.member.email} in "
                f"{enrollment.batch.title}: its seat is free again.",
            )
        return redirect(back)
    return render_desk(
        request,
        "desk/cancel_confirm.html",
        {
            "enrollments": [enrollment],
            "form": form,
            "back": back,
            "single": True,
            "active": enrollment.status == EnrollmentStatus.ACTIVE,
        },
        title="Cancel enrollment",
        opts=BatchEnrollment._meta,
    )


def cancel_many(request: HttpRequest, enrollments: list[BatchEnrollment], *, reason: str) -> tuple[int, list[str]]:
    """Cancel each active enrollment in its own transaction; returns (cancelled, messages of refusals)."""
    cancelled, refusals = 0, []
    for enrollment in enrollments:
        try:
            cancel_enrollment(
                batch=enrollment.batch, member=enrollment.member, actor=request.user, reason=reason, source=Source.DESK
            )
        except DomainError as err:
            refusals.append(err.user_message())
        else:
            cancelled += 1
    return cancelled, refusals


def promote_now_view(request: HttpRequest, object_id: str) -> HttpResponse:
    """POST (member's enrollment id, reason): promote_now (source desk), then back to the cohort's
    waitlist with the outcome as a message."""
    if not can_enroll(request) or request.method != "POST":
        raise PermissionDenied
    batch = get_object_or_404(Batch, pk=object_id)
    row = get_object_or_404(
        BatchEnrollment, pk=request.POST.get("enrollment", ""), batch=batch, status=EnrollmentStatus.WAITLISTED
    )
    try:
        promote_now(
            batch=batch,
            member=row.member,
            actor=request.user,
            reason=request.POST.get("reason", ""),
            source=Source.DESK,
        )
    except DomainError as err:
        messages.error(request, err.user_message())
    else:
        messages.success(request, f"{row.member.email} now has a seat in {batch.title}.")
    return redirect(f"{batch_url(batch)}#waitlist")
