"""Training test data: course enrollments completed as the learning app completes them, and
certificates issued through the service."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from smoothlms.catalog.tests.factories import CourseFactory
from smoothlms.enrollment.models import CourseEnrollment
from smoothlms.people.tests.factories import UserFactory


class CourseEnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CourseEnrollment

    member = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)


def certificate_course(**kwargs):
    """A published course that issues certificates valid 12 months (unless told otherwise)."""
    return CourseFactory(certificate=True, **{"validity_months": 12, **kwargs})


def complete(member, course, *, at: dt.datetime | None = None, batch=None) -> CourseEnrollment:
    """What learning records when a course enrollment reaches 100%."""
    enrollment, _ = CourseEnrollment.objects.get_or_create(
        member=member, course=course, defaults={"enrollment_from_batch": batch}
    )
    CourseEnrollment.objects.filter(pk=enrollment.pk).update(progress=100, completed_at=at or timezone.now())
    enrollment.refresh_from_db()
    return enrollment
