"""Onboarding rules: new hires get their cohort and mandatory courses without anyone typing a row.

A rule matches active employees (status Active, enabled user) by department, designation and
employment type (blank: any; compared without regard to case or surrounding spaces) who joined on or
after the rule's `joined_on_or_after`. For each such joiner it (1) enrolls them, through the
enrollment engine (source hr_rule), with the rights of the rule's author: a moderator author
enrolls them as a moderator would (the author is the event's actor); any other author (or none)
has no moderator powers, so each joiner is enrolled as if they enrolled themselves (the cohort
must allow self-enrollment, a paid cohort needs their payment, seats as always), in the first
published cohort teaching the rule's programme course that starts on or after their date of
joining, has not started yet and has a free seat, and (2) assigns the rule's mandatory courses
due `due_in_days` after joining.

What a rule did is kept per (rule, employee, date of joining) in OnboardingApplication: applying the
rules again (every HR path, the periodic sync) redoes nothing that is done, and retries what is left
(no cohort yet, cohort full). A rehire has a new date of joining, so it is onboarded again.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from smoothlms.catalog.models import Batch
from smoothlms.core.db import chunked
from smoothlms.core.errors import DomainError
from smoothlms.enrollment.errors import AlreadyEnrolled
from smoothlms.enrollment.models import Source
from smoothlms.enrollment.services import bulk_enroll, enroll
from smoothlms.enrollment.services.bulk import MemberResult
from smoothlms.hr.models import OnboardingApplication, OnboardingRule
from smoothlms.people.models import Employee, EmployeeStatus, User
from smoothlms.people.roles import is_moderator
from smoothlms.training.services import assign_training

Application = OnboardingApplication
MAX_ROUNDS = 5  # a full cohort sends its joiners to the next one; bounded so one run stays short


@dataclass
class OnboardingResult:
    applied: int = 0  # applications completed by this run
    pending: int = 0  # applications with something left to do


@dataclass
class _Joiner:
    pk: int
    employee: str
    user_id: int
    email: str
    department: str
    designation: str
    employment_type: str
    joined_on: dt.date


def _same(wanted: str, value: str) -> bool:
    return not wanted.strip() or wanted.strip().lower() == (value or "").strip().lower()


def rule_matches(rule: OnboardingRule, joiner: _Joiner) -> bool:
    return (
        joiner.joined_on >= rule.joined_on_or_after
        and _same(rule.department, joiner.department)
        and _same(rule.designation, joiner.designation)
        and _same(rule.employment_type, joiner.employment_type)
    )


def apply_onboarding_rules(*, employee_ids: Iterable[int] | None = None) -> OnboardingResult:
    """Apply the enabled onboarding rules to the given employees (None: every active joiner).

    Rules: see the module docstring. Idempotent. Side effects: enrollments (with their
    confirmation emails) and training assignments through their services; the applications'
    state. Must run outside a transaction (enrolling opens its own)."""
    result = OnboardingResult()
    rules = list(
        OnboardingRule.objects.filter(enabled=True)
        .select_related("programme", "author")
        .prefetch_related("mandatory_courses")
        .order_by("pk")
    )
    if not rules:
        return result
    joiners = _read_joiners(employee_ids, cutoff=min(rule.joined_on_or_after for rule in rules))
    pairs = [(rule, joiner) for joiner in joiners for rule in rules if rule_matches(rule, joiner)]
    if not pairs:
        return result
    applications = _applications_for(pairs)
    todo = [(rule, joiner, applications[(rule.pk, joiner.pk, joiner.joined_on)]) for rule, joiner in pairs]
    todo = [item for item in todo if item[2].status == Application.Status.PENDING]
    if not todo:
        return result
    for _, _, application in todo:
        application.attempts += 1
        application.detail = ""
    _enroll(todo)
    _train(todo)
    now = timezone.now()
    for _, _, application in todo:
        application.updated_at = now
        if application.enrolled and application.trained:
            application.status = Application.Status.DONE
            result.applied += 1
        else:
            result.pending += 1
    Application.objects.bulk_update(
        [a for _, _, a in todo],
        ["status", "batch", "enrolled", "trained", "detail", "attempts", "updated_at"],
        batch_size=500,
    )
    return result


def _read_joiners(employee_ids: Iterable[int] | None, *, cutoff: dt.date) -> list[_Joiner]:
    start = timezone.make_aware(dt.datetime.combine(cutoff, dt.time.min))
    queryset = Employee.objects.filter(status=EmployeeStatus.ACTIVE, user__isnull=False, user__enabled=True).filter(
        Q(date_of_joining__gte=cutoff) | Q(date_of_joining__isnull=True, created_at__gte=start)
    )
    fields = (
        "pk",
        "employee",
        "user_id",
        "user__email",
        "department",
        "designation",
        "employment_type",
        "date_of_joining",
        "created_at",
    )
    if employee_ids is None:
        rows = list(queryset.values_list(*fields))
    else:
        rows = [
            row
            for chunk in chunked(list(employee_ids), 2000)
            for row in queryset.filter(pk__in=chunk).values_list(*fields)
        ]
    return [
        _Joiner(
            pk, hr_id, user_id, email, department, designation, employment_type, joined or timezone.localdate(created)
        )
        for pk, hr_id, user_id, email, department, designation, employment_type, joined, created in rows
    ]


def _applications_for(pairs: list[tuple[OnboardingRule, _Joiner]]) -> dict[tuple[int, int, dt.date], Application]:
    def read() -> dict[tuple[int, int, dt.date], Application]:
        found = {}
        employee_ids = sorted({joiner.pk for _, joiner in pairs})
        rule_ids = sorted({rule.pk for rule, _ in pairs})
        for chunk in chunked(employee_ids, 2000):
            for application in Application.objects.filter(employee_id__in=chunk, rule_id__in=rule_ids):
                found[(application.rule_id, application.employee_id, application.joined_on)] = application
        return found

    found = read()
    missing = [
        Application(rule=rule, employee_id=joiner.pk, joined_on=joiner.joined_on)
        for rule, joiner in pairs
        if (rule.pk, joiner.pk, joiner.joined_on) not in found
    ]
    if missing:
        # ignore_conflicts: a concurrent run may create the same application; the constraint keeps one.
        Application.objects.bulk_create(missing, ignore_conflicts=True, batch_size=1000)
        found = read()
    return found


def _enroll(todo: list[tuple[OnboardingRule, _Joiner, Application]]) -> None:
    waiting = []
    for rule, joiner, application in todo:
        if rule.programme_id is None:
            application.enrolled = True
        elif not application.enrolled:
            waiting.append((rule, joiner, application))
    if not waiting:
        return
    now = timezone.now()
    today = timezone.localdate()
    cohorts: dict[int, list[Batch]] = {}
    for programme_id in {rule.programme_id for rule, _, _ in waiting}:
        cohorts[programme_id] = list(
            Batch.objects.filter(published=True, batch_courses__course_id=programme_id, end_date__gte=today)
            .order_by("start_date", "start_time", "pk")
            .distinct()
        )
    full: set[int] = set()
    for _ in range(MAX_ROUNDS):
        groups, batches = _group_by_cohort(waiting, cohorts, full=full, now=now)
        rules = {rule.pk: rule for rule, _, _ in waiting}
        retry = _enroll_groups(groups, batches, rules, full=full)
        if not retry:
            return
        waiting = [item for item in waiting if item[2] in retry]


def _group_by_cohort(
    waiting: list[tuple[OnboardingRule, _Joiner, Application]],
    cohorts: dict[int, list[Batch]],
    *,
    full: set[int],
    now: dt.datetime,
) -> tuple[dict[tuple[int, int], list[tuple[_Joiner, Application]]], dict[int, Batch]]:
    """Each joiner's cohort: the first of the programme that starts on or after they joined, has
    not started and has a seat (as far as we know); joiners with none get the reason. Grouped by
    (cohort, rule): each rule enrolls with its author's rights."""
    groups: dict[tuple[int, int], list[tuple[_Joiner, Application]]] = defaultdict(list)
    batches: dict[int, Batch] = {}
    for rule, joiner, application in waiting:
        batch = next(
            (
                b
                for b in cohorts[rule.programme_id]
                if b.start_date >= joiner.joined_on
                and b.pk not in full
                and not b.has_started(at=now)
                and (b.seat_count is None or b.seats_taken < b.seat_count)
            ),
            None,
        )
        if batch is None:
            application.detail = (
                f"No published cohort of {rule.programme.title} with a free seat starts on or "
                f"after {joiner.joined_on.isoformat()} yet."
            )
            continue
        groups[(batch.pk, rule.pk)].append((joiner, application))
        batches[batch.pk] = batch
    return groups, batches


def _enroll_groups(
    groups: dict[tuple[int, int], list[tuple[_Joiner, Application]]],
    batches: dict[int, Batch],
    rules: dict[int, OnboardingRule],
    *,
    full: set[int],
) -> list[Application]:
    """Enroll each group in its cohort through the engine, with its rule author's rights; returns the
    applications to try again in another cohort (theirs was full), and adds those cohorts to `full`."""
    retry = []
    for (batch_pk, rule_pk), members in groups.items():
        batch = batches[batch_pk]
        results = _enroll_as_author(rules[rule_pk], batch, [joiner for joiner, _ in members])
        for (_joiner, application), member in zip(members, results, strict=True):
            if member.status in ("created", "skipped"):
                application.enrolled = True
                application.batch = batch
            elif member.code == "cohort_full":
                full.add(batch.pk)
                retry.append(application)
            else:
                application.detail = f"{batch.name}: {member.code}: {member.message}"
    return retry


def _enroll_as_author(rule: OnboardingRule, batch: Batch, joiners: list[_Joiner]) -> list[MemberResult]:
    """A moderator author enrolls the joiners as a moderator; anyone else has no such powers: each
    joiner is enrolled on the self-enrollment rules (open, paid for, a seat)."""
    author = rule.author
    origin = {"onboarding_rule": rule.name, "author": author.email if author else ""}
    if author is not None and author.enabled and is_moderator(author):
        members = [joiner.email for joiner in joiners]
        return list(
            bulk_enroll(batch=batch, members=members, actor=author, source=Source.HR_RULE, origin=origin).results
        )
    users = User.objects.in_bulk([joiner.user_id for joiner in joiners])
    return [_enroll_self(batch, users[joiner.user_id], origin) for joiner in joiners]


def _enroll_self(batch: Batch, user: User, origin: dict[str, str]) -> MemberResult:
    try:
        enroll(batch=batch, member=user, actor=user, source=Source.HR_RULE, origin=origin)
    except AlreadyEnrolled:
        return MemberResult(member=user.email, status="skipped")
    except DomainError as error:
        return MemberResult(member=user.email, status="failed", code=error.code, message=error.user_message())
    return MemberResult(member=user.email, status="created")


def _train(todo: list[tuple[OnboardingRule, _Joiner, Application]]) -> None:
    groups: dict[tuple[int, dt.date], list[tuple[int, Application]]] = defaultdict(list)
    rules: dict[int, OnboardingRule] = {}
    for rule, joiner, application in todo:
        if application.trained:
            continue
        if not rule.mandatory_courses.all():
            application.trained = True
            continue
        due_date = joiner.joined_on + dt.timedelta(days=rule.due_in_days)
        groups[(rule.pk, due_date)].append((joiner.user_id, application))
        rules[rule.pk] = rule
    for (rule_pk, due_date), members in groups.items():
        rule = rules[rule_pk]
        # Late-recorded joiners may be due already: the date still says when it was due.
        assign_training(
            user_ids=[user_id for user_id, _ in members],
            courses=list(rule.mandatory_courses.all()),
            due_date=due_date,
            actor=None,
            assigned_by_rule=rule.name,
            allow_past_due_date=True,
        )
        for _, application in members:
            application.trained = True
