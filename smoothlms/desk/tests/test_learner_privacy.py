"""Desk pages show learner names and emails only to roles that may read them through the API
(CONTRACT.md section 10): the cohort page's roster to roster readers, the dashboard's overdue
trainees to those who read training."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from smoothlms.enrollment.services import bulk_enroll
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory
from smoothlms.training.models import TrainingAssignment

pytestmark = pytest.mark.django_db


@pytest.fixture
def members(cohort):
    people = [UserFactory(email=f"member{n}@example.com") for n in range(2)]
    bulk_enroll(batch=cohort, members=[p.email for p in people], actor=None, source="desk", notify=False)
    TrainingAssignment.objects.create(
        user=people[0], course=cohort.batch_courses.first().course, due_date=timezone.localdate() - dt.timedelta(days=3)
    )
    return people


def _page(client, role: str, path: str) -> tuple[int, str]:
    client.force_login(UserFactory(email=f"{role.replace(' ', '').lower()}@example.com", roles=[role]))
    answer = client.get(path, follow=True)
    return answer.status_code, answer.content.decode()


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        (Role.COURSE_CREATOR, False),
        (Role.HR_MANAGER, False),
        (Role.MODERATOR, True),
        (Role.BATCH_EVALUATOR, True),
        (Role.SYSTEM_MANAGER, True),
    ],
)
def test_the_cohort_page_shows_member_emails_only_to_roster_readers(client, cohort, members, role, sees):
    status, html = _page(client, role, f"/app/lms-batch/{cohort.name}")
    assert status == 200
    assert ("member0@example.com" in html) is sees
    assert ("member1@example.com" in html) is sees
    # The API gives the same answer for the same role.
    api = client.get(f"/api/v1/batches/{cohort.name}/enrollments")
    assert (api.status_code == 200) is sees


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        (Role.COURSE_CREATOR, False),
        (Role.BATCH_EVALUATOR, False),
        (Role.MODERATOR, True),
        (Role.HR_MANAGER, True),
        (Role.SYSTEM_MANAGER, True),
    ],
)
def test_the_dashboard_shows_overdue_trainees_only_to_training_readers(client, members, role, sees):
    status, html = _page(client, role, "/desk/learning")
    assert status == 200
    assert ("member0@example.com" in html) is sees
