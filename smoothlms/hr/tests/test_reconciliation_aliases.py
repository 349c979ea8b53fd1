"""Reconciliation matches a member whose email is an alias of the HR email (EMAIL_ALIAS_DOMAINS,
`+tag`, Gmail dots): they are matched, never reported as missing_user (which would suggest a
duplicate account)."""

from __future__ import annotations

import pytest

from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.core.models import EnrollmentEvent
from smoothlms.csvio.employees import reconcile_file
from smoothlms.enrollment.models import Source
from smoothlms.enrollment.services import bulk_enroll
from smoothlms.hr.reconciliation import create_missing_user
from smoothlms.people.errors import UserExists
from smoothlms.people.models import User
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("member", "hr_email"),
    [
        ("asha@corp.co.uk", "asha@corp.com"),
        ("asha@corp.com", "Asha@Corp.Co.UK"),
        ("asha+lms@corp.com", "asha@corp.com"),
        ("asha.rao@gmail.com", "asharao@googlemail.com"),
    ],
)
def test_an_alias_of_the_hr_email_is_matched_not_missing(settings, member, hr_email):
    settings.EMAIL_ALIAS_DOMAINS = [frozenset({"corp.com", "corp.co.uk"})]
    batch = BatchFactory(seat_count=5, courses=[CourseFactory()])
    UserFactory(email=member)
    assert bulk_enroll(batch=batch, members=[member], actor=None, source=Source.DESK, notify=False).created == 1
    users, events = User.objects.count(), EnrollmentEvent.objects.count()
    text = f"ID,Full Name,Company Email,Status\nE1,Asha Rao,{hr_email},Active\n"
    report = reconcile_file(batch=batch, data=text.encode(), filename="hr.csv")
    assert [finding.kind for finding in report.findings] == []
    assert (report.hr_headcount, report.enrolled, report.matched) == (1, 1, 1)
    assert (User.objects.count(), EnrollmentEvent.objects.count()) == (users, events)  # reading changes nothing


def test_without_the_alias_setting_another_domain_is_missing(settings):
    settings.EMAIL_ALIAS_DOMAINS = []
    batch = BatchFactory(seat_count=5, courses=[CourseFactory()])
    UserFactory(email="asha@corp.co.uk")
    bulk_enroll(batch=batch, members=["asha@corp.co.uk"], actor=None, source=Source.DESK, notify=False)
    text = "ID,Full Name,Company Email,Status\nE1,Asha Rao,asha@corp.com,Active\n"
    report = reconcile_file(batch=batch, data=text.encode(), filename="hr.csv")
    assert sorted(finding.kind for finding in report.findings) == ["enrolled_not_in_hr", "missing_user"]


def test_create_missing_user_refuses_an_alias_of_an_existing_user_and_nothing_changes(settings):
    settings.EMAIL_ALIAS_DOMAINS = [frozenset({"corp.com", "corp.co.uk"})]
    UserFactory(email="asha.rao+lms@corp.co.uk")
    users, events = User.objects.count(), EnrollmentEvent.objects.count()
    with pytest.raises(UserExists) as raised:
        create_missing_user(email="asha.rao@corp.com", employee="E1", actor=None)
    assert raised.value.params == {"email": "asha.rao+lms@corp.co.uk"}
    assert (User.objects.count(), EnrollmentEvent.objects.count()) == (users, events)
    assert create_missing_user(email="ben@corp.com", actor=None).email == "ben@corp.com"
