"""`smoothlms check_course_access [--batch B] [--repair]` (CONTRACT.md section 3): the enrollment
guide's "Cross-check LMS Enrollment exists for each batch course after enroll".

Lists every active member of a cohort (of every cohort without --batch) who has no active course
enrollment for one of the cohort's courses (none, or a withdrawn one); `--repair` creates or
restores them through the engine's helper (enrollment.services.grant_course_access), which keeps
existing rows and their progress. Ends with `missing=N` (and `created=N` after a repair). Exit 1
when gaps were found and not repaired (`error: course_access_missing: ...` on stderr), else 0."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet

from smoothlms.catalog.models import Batch
from smoothlms.catalog.selectors import find_batch
from smoothlms.core.management.base import CommandFailed, SmoothCommand
from smoothlms.enrollment.models import BatchEnrollment, CourseEnrollment, EnrollmentStatus
from smoothlms.enrollment.services import grant_course_access


@dataclass(frozen=True)
class MissingAccess:
    batch_id: int
    batch: str
    member_id: int
    member: str
    course: str


def list_missing_course_access(*, batch: Batch | None = None) -> QuerySet[BatchEnrollment]:
    """Active enrollments paired with each cohort course their member has no active course
    enrollment for (none, or a withdrawn one), annotated with `course_id` and `course_name`: one
    row per missing (member, course). A course enrollment from another cohort counts: access is per (member, course)."""
    queryset = BatchEnrollment.objects.filter(status=EnrollmentStatus.ACTIVE, batch__batch_courses__isnull=False)
    if batch is not None:
        queryset = queryset.filter(batch=batch)
    return queryset.annotate(
        course_id=F("batch__batch_courses__course_id"), course_name=F("batch__batch_courses__course__name")
    ).filter(
        ~Exists(
            CourseEnrollment.objects.filter(
                member_id=OuterRef("member_id"), course_id=OuterRef("course_id"), status=EnrollmentStatus.ACTIVE
            )
        )
    )


def iter_missing_course_access(*, batch: Batch | None = None, chunk_size: int = 2000) -> Iterator[MissingAccess]:
    """The rows of list_missing_course_access, a range of enrollments at a time (constant memory:
    the enrollment ids are walked by keyset, and each range's missing rows read in one query)."""
    enrollments = BatchEnrollment.objects.filter(status=EnrollmentStatus.ACTIVE)
    if batch is not None:
        enrollments = enrollments.filter(batch=batch)
    missing = list_missing_course_access(batch=batch)
    last = 0
    while True:
        ids = list(enrollments.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:chunk_size])
        if not ids:
            return
        rows = (
            missing.filter(pk__gt=last, pk__lte=ids[-1])
            .order_by("pk", "course_id")
            .values_list("batch_id", "batch__name", "member_id", "member__email", "course_name")
        )
        for batch_id, batch_name, member_id, email, course in rows:
            yield MissingAccess(batch_id, batch_name, member_id, email, course)
        last = ids[-1]


def repair_course_access(*, batch: Batch | None = None) -> int:
    """Create (or restore) the missing course enrollments, one transaction per cohort (the engine's
    INSERT ... SELECT, which skips rows that exist, and its UPDATE of withdrawn ones). Returns how
    many were fixed: counted as the missing
    rows before less those after, since MariaDB's row count of an upsert also counts kept rows."""
    members: dict[int, set[int]] = {}
    before = 0
    for row in iter_missing_course_access(batch=batch):
        members.setdefault(row.batch_id, set()).add(row.member_id)
        before += 1
    for batch_id, member_ids in sorted(members.items()):
        target = Batch.objects.get(pk=batch_id)
        with transaction.atomic():
            grant_course_access(batch=target, member_ids=sorted(member_ids))
    after = sum(1 for _ in iter_missing_course_access(batch=batch))
    return before - after


class Command(SmoothCommand):
    help = "List (and with --repair create) missing course enrollments of cohort members."

    def add_arguments(self, parser):
        parser.add_argument("--batch", help="only this cohort (its name, or else its title)")
        parser.add_argument("--repair", action="store_true", help="create the missing course enrollments")

    def run(self, *args, **options):
        batch = None
        if options["batch"]:
            batch = find_batch(options["batch"], actor=None)  # by name, or else by title; not_found
        missing = 0
        for row in iter_missing_course_access(batch=batch):
            missing += 1
            self.stdout.write(f"{row.batch}\t{row.member}\t{row.course}")
        if options["repair"] and missing:
            created = repair_course_access(batch=batch)
            self.stdout.write(f"missing={missing} created={created}")
            return
        self.stdout.write(f"missing={missing}")
        if missing:
            raise CommandFailed(
                "course_access_missing", f"{missing} course enrollment(s) missing; run with --repair to create them."
            )
