"""Enrollment rules the database holds even for a path that skips the services."""

import pytest
from django.db import IntegrityError, transaction

from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.enrollment.models import BatchEnrollment, CourseEnrollment, EmailStatus
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_database_refuses_second_row_for_same_batch_and_member():
    batch, user = BatchFactory(), UserFactory()
    BatchEnrollment.objects.create(batch=batch, member=user, source="desk")
    with pytest.raises(IntegrityError), transaction.atomic():
        BatchEnrollment.objects.create(batch=batch, member=user, source="api", status="cancelled")


def test_database_refuses_second_course_enrollment_for_same_member_and_course():
    course, user = CourseFactory(), UserFactory()
    CourseEnrollment.objects.create(member=user, course=course)
    with pytest.raises(IntegrityError), transaction.atomic():
        CourseEnrollment.objects.create(member=user, course=course)


@pytest.mark.parametrize(
    "field,value", [("status", "deleted"), ("source", "magic"), ("confirmation_email_status", "lost")]
)
def test_database_refuses_unknown_choice_values(field, value):
    enrollment = BatchEnrollment.objects.create(batch=BatchFactory(), member=UserFactory(), source="desk")
    with pytest.raises(IntegrityError), transaction.atomic():
        BatchEnrollment.objects.filter(pk=enrollment.pk).update(**{field: value})


def test_database_refuses_sent_flag_without_sent_status():
    enrollment = BatchEnrollment.objects.create(batch=BatchFactory(), member=UserFactory(), source="desk")
    with pytest.raises(IntegrityError), transaction.atomic():
        BatchEnrollment.objects.filter(pk=enrollment.pk).update(confirmation_email_sent=True)
    BatchEnrollment.objects.filter(pk=enrollment.pk).update(
        confirmation_email_sent=True, confirmation_email_status=EmailStatus.SENT
    )
