"""Reads for the learner portal. Each returns everything its page needs in a fixed number of
queries, whatever the number of cohorts, courses or classes."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from smoothlms.catalog.models import Batch, LiveClass
from smoothlms.core.errors import DomainError
from smoothlms.enrollment.rules import CohortFacts, EnrollRequest, MemberFacts, refusal_for
from smoothlms.enrollment.selectors import list_batches_for, list_member_live_classes
from smoothlms.people.models import User
from smoothlms.people.roles import is_student

# Every IANA zone is within UTC-12..UTC+14 of UTC: one day either side of today's UTC date is a safe
# database-side pre-filter before the exact comparison in each cohort's own zone.
ZONE_SLACK = dt.timedelta(days=1)


def list_portal_batches(*, user: User, now: dt.datetime | None = None) -> list[Batch]:
    """The cohorts `user` may see that have not ended: upcoming ones first (soonest first), then
    running ones (most recently started last). Each is annotated by list_batches_for
    (`seats_left_value`, `is_enrolled`) and gets `is_running`. One query."""
    now = now or timezone.now()
    candidates = list_batches_for(user=user).prefetch_related(None).filter(end_date__gte=(now - ZONE_SLACK).date())
    # "Ended" and "started" are instants in each cohort's own zone: decided here, not in SQL.
    batches = [batch for batch in candidates if not batch.has_ended(at=now)]
    for batch in batches:
        batch.is_running = batch.has_started(at=now)
    batches.sort(key=lambda batch: (batch.is_running, batch.starts_at, batch.name))
    return batches


def list_batch_live_classes(*, batch: Batch) -> list[LiveClass]:
    return list(LiveClass.objects.filter(batch=batch).order_by("date", "time", "id"))


def predict_refusal(*, batch: Batch, user: User, now: dt.datetime | None = None) -> DomainError | None:
    """What the enrollment engine (enrollment.rules.refusal_for) would answer `user` enrolling
    themselves, from what the page already knows (`batch` as enrollment.selectors.get_batch_for
    gives it, its courses prefetched), so that it does not offer a button that can only fail. The
    engine stays the authority: a POST always goes through it (the page may be stale). Payment is
    not predicted: the page names the price and the engine asks for the payment."""
    courses = [link.course for link in batch.batch_courses.all()]
    request = EnrollRequest(batch=batch, actor=user, is_self=True)
    member = MemberFacts(
        email=user.email,
        user=user,
        is_student=is_student(user),
        is_enrolled=batch.is_enrolled or getattr(batch, "waitlist_position", None) is not None,
        has_paid=None,
    )
    cohort = CohortFacts.of(
        batch, unpublished_course=next((c.name for c in courses if not c.published), None), now=now or timezone.now()
    )
    return refusal_for(request, member, cohort)


def can_leave(*, batch: Batch, now: dt.datetime | None = None) -> bool:
    """Whether the page offers to leave the cohort (or its waitlist): what `cancel_own_enrollment`
    would allow. The engine stays the authority on the POST."""
    return batch.allow_self_cancel and not batch.has_started(at=now or timezone.now())


def list_upcoming_live_classes(*, user: User, now: dt.datetime | None = None) -> list[LiveClass]:
    """Live classes of the cohorts `user` is actively enrolled in that have not ended yet, in the
    order they happen (classes in different zones are compared as instants). One query."""
    now = now or timezone.now()
    recent = list_member_live_classes(member=user).filter(date__gte=(now - ZONE_SLACK).date())
    classes = [live_class for live_class in recent if live_class.ends_at > now]
    classes.sort(key=lambda live_class: (live_class.starts_at, live_class.pk))
    return classes


def list_calendar_live_classes(*, user: User) -> list[LiveClass]:
    """Every live class of the cohorts `user` is actively enrolled in, past ones included: calendar
    apps drop events that disappear from a feed they subscribe to. One query."""
    return list(list_member_live_classes(member=user))
