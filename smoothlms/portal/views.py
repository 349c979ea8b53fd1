"""The learner portal (/lms/...): thin views over the enrollment engine and the portal's selectors.

Domain errors are shown once, here, as django messages after a redirect (post/redirect/get)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from smoothlms.catalog.errors import BatchNotFound
from smoothlms.catalog.selectors import get_batch
from smoothlms.core.errors import DomainError
from smoothlms.core.timeutil import time_zone_choices
from smoothlms.enrollment.errors import CannotEnrollOthers
from smoothlms.enrollment.models import EnrollmentStatus, Source
from smoothlms.enrollment.selectors import get_batch_for, get_waitlist_position
from smoothlms.enrollment.services import cancel_own_enrollment, enroll, waits_instead
from smoothlms.people.models import User, normalize_email
from smoothlms.people.services import ensure_calendar_token, set_time_zone
from smoothlms.portal import selectors
from smoothlms.portal.calendar import build_timetable_calendar

BATCHES_PER_PAGE = 30
# Form fields that would name someone else: the portal only ever enrolls the signed-in user.
MEMBER_FIELDS = ("member", "email", "user", "user_id", "member_id")


def learner_required(view):
    return login_required(view, login_url=settings.LOGIN_URL)


def not_found(request: HttpRequest, error: DomainError) -> HttpResponse:
    return render(request, "portal/not_found.html", {"message": error.user_message()}, status=404)


@require_safe
@learner_required
def batch_list(request: HttpRequest) -> HttpResponse:
    batches = selectors.list_portal_batches(user=request.user)
    page = Paginator(batches, BATCHES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "portal/batch_list.html", {"page": page, "batches": page.object_list})


@require_safe
@learner_required
def batch_detail(request: HttpRequest, name: str) -> HttpResponse:
    try:
        batch = get_batch_for(name=name, user=request.user)
    except BatchNotFound as error:
        return not_found(request, error)
    holds = batch.is_enrolled or batch.waitlist_position is not None
    blocker = None if holds else selectors.predict_refusal(batch=batch, user=request.user)
    joins_waitlist = waits_instead(blocker, batch)
    return render(
        request,
        "portal/batch_detail.html",
        {
            "batch": batch,
            "courses": [link.course for link in batch.batch_courses.all()],
            "live_classes": selectors.list_batch_live_classes(batch=batch),
            "blocker": blocker.user_message() if blocker and not joins_waitlist else "",
            "can_enroll": not holds and (blocker is None or joins_waitlist),
            "joins_waitlist": joins_waitlist,
            "can_leave": holds and selectors.can_leave(batch=batch),
        },
    )


def _names_someone_else(request: HttpRequest) -> bool:
    user: User = request.user
    for field in MEMBER_FIELDS:
        for value in request.POST.getlist(field):
            value = value.strip()
            if value and normalize_email(value) != user.email and value != str(user.pk):
                return True
    return False


@require_POST
def batch_enroll(request: HttpRequest, name: str) -> HttpResponse:
    detail = reverse("portal:batch", args=[name])
    if not request.user.is_authenticated:
        return redirect(f"{settings.LOGIN_URL}?{urlencode({'next': detail})}")
    try:
        batch = get_batch(name=name, visible_to=request.user, with_courses=False)
    except BatchNotFound as error:
        return not_found(request, error)
    if _names_someone_else(request):
        # A tampered form: students cannot enroll others, here or anywhere (contract check 2).
        messages.error(request, CannotEnrollOthers().user_message())
        return redirect(detail)
    try:
        enrollment = enroll(batch=batch, member=request.user, actor=request.user, source=Source.PORTAL)
    except DomainError as error:
        messages.error(request, error.user_message())
    else:
        if enrollment.status == EnrollmentStatus.WAITLISTED:
            position = get_waitlist_position(enrollment=enrollment)
            messages.success(request, f"This cohort is full: you are on the waitlist (position {position}).")
        else:
            messages.success(request, f"Welcome aboard: you are now enrolled in {batch.title}.")
    return redirect(detail)


@require_POST
@learner_required
def batch_leave(request: HttpRequest, name: str) -> HttpResponse:
    """Leave a cohort or its waitlist (the cohort allows it and has not started)."""
    try:
        batch = get_batch(name=name, visible_to=request.user)
    except BatchNotFound as error:
        return not_found(request, error)
    try:
        cancel_own_enrollment(batch=batch, member=request.user, source=Source.PORTAL)
    except DomainError as error:
        messages.error(request, error.user_message())
    else:
        messages.success(request, f"You have left {batch.title}.")
    return redirect(reverse("portal:batch", args=[name]))


@require_safe
@learner_required
def timetable(request: HttpRequest) -> HttpResponse:
    token = ensure_calendar_token(user=request.user)
    feed_path = reverse("portal:timetable_feed", args=[token])
    return render(
        request,
        "portal/timetable.html",
        {
            "live_classes": selectors.list_upcoming_live_classes(user=request.user),
            "feed_url": request.build_absolute_uri(feed_path),
            "webcal_url": "webcal://" + request.get_host() + feed_path,
        },
    )


def _ics_response(user: User) -> HttpResponse:
    calendar = build_timetable_calendar(
        selectors.list_calendar_live_classes(user=user), name=f"Smooth LMS: {user.display_name}"
    )
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="timetable.ics"'
    return response


@require_safe
@learner_required
@never_cache
def timetable_ics(request: HttpRequest) -> HttpResponse:
    return _ics_response(request.user)


@require_safe
@never_cache
def timetable_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The private subscription URL: the token is the only credential, so an unknown token and a
    disabled user look the same (404)."""
    user = User.objects.filter(calendar_token=token, enabled=True).first() if token else None
    if user is None:
        raise Http404("No such calendar.")
    response = _ics_response(user)
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@learner_required
def profile(request: HttpRequest) -> HttpResponse:
    error = ""
    value = request.user.time_zone
    if request.method == "POST":
        value = request.POST.get("time_zone", "")
        try:
            set_time_zone(user=request.user, time_zone=value, actor=request.user)
        except DomainError as exc:
            error = exc.user_message()
        else:
            messages.success(
                request,
                f"Times are now also shown in {value}."
                if value.strip()
                else "Times are now also shown in your browser's time zone.",
            )
            return redirect("portal:profile")
    return render(
        request,
        "portal/profile.html",
        {
            "zones": time_zone_choices(),
            "value": value,
            "error": error,
        },
    )
