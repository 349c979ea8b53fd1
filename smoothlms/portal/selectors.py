"""Reads for the learner portal. Each returns everything its page needs in a fixed number of
queries, whatever the number of cohorts, courses or classes."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from smoothlms.catalog.models import Batch, LateJoinPolicy, LiveClass
from smoothlms.catalog.selectors import list_batches_visible_to
from smoothlms.core.errors import DomainError
from smoothlms.enrollment.errors import CohortEnded, CohortFull, CohortStarted, SelfEnrollmentClosed
from smoothlms.enrollment.selectors import list_member_live_classes
from smoothlms.people.models import User

# Every IANA zone is within UTC-12..UTC+14 of UTC: one day either side of today's UTC date is a safe
# database-side pre-filter before the exact comparison in each cohort's own zone.
ZONE_SLACK = dt.timedelta(days=1)


def list_portal_batches(*, user: User, now: dt.datetime | None = None) -> list[Batch]:
    """The cohorts `user` may see that have not ended: upcoming ones first (soonest first), then
    running ones (most recently started last). Each is annotated by list_batches_visible_to
    (`seats_left_value`, `is_enrolled`) and gets `is_running`. One query."""
    now = now or timezone.now()
    candidates = (list_batches_visible_to(user).prefetch_related(None)
                  .filter(end_date__gte=(now - ZONE_SLACK).date()))
    # "Ended" and "started" are instants in each cohort's own zone: decided here, not in SQL.
    batches = [batch for batch in candidates if not batch.has_ended(at=now)]
    for batch in batches:
        batch.is_running = batch.has_started(at=now)
    batches.sort(key=lambda batch: (batch.is_running, batch.starts_at, batch.name))
    return batches


def list_batch_live_classes(*, batch: Batch) -> list[LiveClass]:
    return list(LiveClass.objects.filter(batch=batch).order_by("date", "time", "id"))


def predict_refusal(*, batch: Batch, now: dt.datetime | None = None) -> DomainError | None:
    """What the enrollment engine would answer a learner who is not yet enrolled, from what the
    page already knows, so that it does not offer a button that can only fail. The engine stays the
    authority: a POST always goes through it (the page may be stale). Payment is not predicted."""
    now = now or timezone.now()
    if batch.has_ended(at=now):
        return CohortEnded()
    if batch.has_started(at=now) and batch.late_join_policy != LateJoinPolicy.OPEN_UNTIL_END:
        return CohortStarted()
    if not batch.allow_self_enrollment:
        return SelfEnrollmentClosed()
    if batch.seat_count is not None and batch.seats_taken >= batch.seat_count:
        return CohortFull()
    return None


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
