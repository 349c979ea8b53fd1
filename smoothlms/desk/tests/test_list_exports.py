"""Export buttons beside the desk's lists: batch enrollments, course enrollments, training
assignments, certificates and quiz submissions download through the export registry by kind,
with the list's filters and search applied, as CSV (streamed) or XLSX, formula-safe."""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from smoothlms.assessments.models import Quiz, QuizSubmission
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.csvio.exports import EXPORTS
from smoothlms.enrollment.services import enroll
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory
from smoothlms.training.models import Certificate, TrainingAssignment

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()

LISTS = {  # address -> export kind
    "/app/lms-batch-enrollment": "batch-enrollments",
    "/app/lms-enrollment": "course-enrollments",
    "/app/lms-training-assignment": "training-assignments",
    "/app/lms-certificate": "certificates",
    "/app/lms-quiz-submission": "quiz-submissions",
}


@pytest.fixture
def sm_client(client, db):
    client.force_login(UserFactory(email="sm@example.com", roles=[Role.SYSTEM_MANAGER]))
    return client


@pytest.fixture
def evidence(db):
    """Two learners (one with a hostile name) in two courses, with an assignment, a certificate and a
    quiz submission each; the second learner's assignment is overdue and their quiz failed."""
    fire, first_aid = CourseFactory(name="fire", title="Fire"), CourseFactory(name="first-aid", title="First Aid")
    cohort = BatchFactory(name="safety", courses=[fire, first_aid])
    asha = UserFactory(email="asha@example.com", full_name="Asha")
    eve = UserFactory(email="eve@example.com", full_name='=HYPERLINK("http://evil.example")')
    enroll(batch=cohort, member=asha, actor=None, source="desk")
    enroll(batch=BatchFactory(name="other", courses=[first_aid]), member=eve, actor=None, source="desk")
    TrainingAssignment.objects.create(user=asha, course=fire, due_date=TODAY + dt.timedelta(days=5))
    TrainingAssignment.objects.create(user=eve, course=first_aid, due_date=TODAY - dt.timedelta(days=5))
    Certificate.objects.create(name="C-1", member=asha, course=fire, issue_date=TODAY - dt.timedelta(days=30))
    Certificate.objects.create(name="C-2", member=eve, course=first_aid, issue_date=TODAY)
    fire_quiz = Quiz.objects.create(title="Fire quiz", course=fire)
    aid_quiz = Quiz.objects.create(title="Aid quiz", course=first_aid)
    QuizSubmission.objects.create(
        member=asha,
        course=fire,
        quiz=fire_quiz,
        quiz_title="Fire quiz",
        attempt=1,
        score=9,
        score_out_of=10,
        percentage=90,
        passed=True,
    )
    QuizSubmission.objects.create(
        member=eve,
        course=first_aid,
        quiz=aid_quiz,
        quiz_title="Aid quiz",
        attempt=1,
        score=2,
        score_out_of=10,
        percentage=20,
        passed=False,
        submitted_at=timezone.now() - dt.timedelta(days=10),
    )


def rows_of(response) -> list[list[str]]:
    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def emails(rows: list[list[str]], column: int) -> list[str]:
    return sorted(row[column] for row in rows[1:])


@pytest.mark.parametrize(("address", "kind"), LISTS.items())
def test_each_list_has_export_buttons_that_keep_its_filters(sm_client, evidence, address, kind):
    html = sm_client.get(f"{address}?q=asha").content.decode()
    assert f'href="{address}/export/csv?q=asha"' in html and f'href="{address}/export/xlsx?q=asha"' in html


@pytest.mark.parametrize(("address", "kind"), LISTS.items())
def test_each_export_has_its_kinds_columns_and_the_lists_search(sm_client, evidence, address, kind):
    rows = rows_of(sm_client.get(f"{address}/export/csv?q=asha"))
    assert tuple(rows[0]) == EXPORTS[kind].header
    assert len(rows) > 1 and all("asha@example.com" in row for row in rows[1:])
    assert not any("eve@example.com" in row for row in rows[1:])


@pytest.mark.parametrize(("address", "kind"), LISTS.items())
def test_each_export_is_formula_safe_in_csv_and_xlsx(sm_client, evidence, address, kind):
    text = "\n".join(",".join(row) for row in rows_of(sm_client.get(f"{address}/export/csv?q=eve")))
    if "HYPERLINK" in text:  # the lists whose kind writes the member's name
        assert "'=HYPERLINK" in text
    response = sm_client.get(f"{address}/export/xlsx?q=eve")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [cell.value for cell in next(sheet.iter_rows())] == list(EXPORTS[kind].header)
    assert sheet.max_row == 2 and all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_training_assignment_export_follows_the_overdue_filter(sm_client, evidence):
    rows = rows_of(sm_client.get("/app/lms-training-assignment/export/csv?overdue=yes"))
    assert emails(rows, 0) == ["eve@example.com"]


def test_quiz_submission_export_follows_the_passed_filter(sm_client, evidence):
    rows = rows_of(sm_client.get("/app/lms-quiz-submission/export/csv?passed__exact=0"))
    assert emails(rows, 0) == ["eve@example.com"]


def test_certificate_export_follows_the_issue_date_range(sm_client, evidence):
    since = (TODAY - dt.timedelta(days=1)).isoformat()
    rows = rows_of(sm_client.get(f"/app/lms-certificate/export/csv?issue_date__gte={since}"))
    assert [row[0] for row in rows[1:]] == ["C-2"]


def test_course_enrollment_export_follows_the_cohort_filter(sm_client, evidence):
    rows = rows_of(sm_client.get("/app/lms-enrollment/export/csv?batch=safety"))
    assert sorted(row[2] for row in rows[1:]) == ["fire", "first-aid"] and emails(rows, 0) == ["asha@example.com"] * 2


def test_quiz_submissions_filter_by_the_day_they_were_submitted(sm_client, evidence):
    until = (TODAY - dt.timedelta(days=5)).isoformat()
    response = sm_client.get(f"/app/lms-quiz-submission?submitted_at__date__lte={until}")
    assert [s.quiz_title for s in response.context["cl"].result_list] == ["Aid quiz"]


def test_an_unknown_format_is_404(sm_client, evidence):
    assert sm_client.get("/app/lms-certificate/export/pdf").status_code == 404


def test_exports_are_refused_to_roles_without_the_list(client, evidence):
    client.force_login(UserFactory(email="cc@example.com", roles=[Role.COURSE_CREATOR]))
    for address in LISTS:
        assert client.get(f"{address}/export/csv").status_code == 403, address
    client.force_login(UserFactory(email="student@example.com"))
    assert client.get("/app/lms-quiz-submission/export/csv").status_code == 403
