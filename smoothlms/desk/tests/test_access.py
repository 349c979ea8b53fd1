"""Students and anonymous users reach no desk page; view-only roles cannot write."""

import pytest

from smoothlms.enrollment.services import enroll

pytestmark = pytest.mark.django_db


def desk_paths(cohort, enrollment):
    return [
        "/desk/learning",
        "/app/lms-batch/new-hires",
        f"/app/catalog/batch/{cohort.pk}/change/",
        f"/app/catalog/batch/{cohort.pk}/enroll/",
        "/app/lms-batch-enrollment/import",
        "/app/enrollment/batchenrollment/import/",
        "/app/enrollment/batchenrollment/export/csv/",
        "/app/enrollment/batchenrollment/export/xlsx/",
        f"/app/enrollment/batchenrollment/{enrollment.pk}/cancel/",
        "/app/lms-batch/new",
        "/app/lms-course",
        "/app/core/enrollmentevent/",
        "/app/enrollment/payment/",
    ]


@pytest.fixture
def enrollment(cohort, learners):
    return enroll(batch=cohort, member=learners[0], actor=None, source="desk")


def test_anonymous_users_are_sent_to_login_from_every_desk_page(client, cohort, enrollment):
    for path in desk_paths(cohort, enrollment):
        response = client.get(path, follow=True)
        assert response.redirect_chain and response.redirect_chain[-1][0].startswith("/login"), path


def test_anonymous_posts_write_nothing(client, cohort, enrollment, learners):
    client.post(f"/app/catalog/batch/{cohort.pk}/enroll/", {"emails": learners[1].email, "notify": "on"})
    client.post(f"/app/enrollment/batchenrollment/{enrollment.pk}/cancel/", {})
    cohort.refresh_from_db()
    assert cohort.seats_taken == 1


def test_students_get_403_on_every_desk_page(student_client, cohort, enrollment):
    for path in desk_paths(cohort, enrollment):
        assert student_client.get(path, follow=True).status_code == 403, path


def test_an_unknown_cohort_name_does_not_leak_to_students(student_client):
    assert student_client.get("/app/lms-batch/no-such-cohort", follow=True).status_code == 403


def test_batch_evaluator_reads_but_cannot_enroll_import_or_cancel(evaluator_client, cohort, enrollment, learners):
    for path in [
        "/desk/learning",
        f"/app/catalog/batch/{cohort.pk}/change/",
        "/app/lms-batch-enrollment",
        "/app/enrollment/batchenrollment/export/csv/?batch=new-hires",
    ]:
        assert evaluator_client.get(path, follow=True).status_code == 200, path
    for path in [
        f"/app/catalog/batch/{cohort.pk}/enroll/",
        "/app/enrollment/batchenrollment/import/",
        "/app/enrollment/batchenrollment/add/",
        f"/app/enrollment/batchenrollment/{enrollment.pk}/cancel/",
    ]:
        assert evaluator_client.get(path).status_code == 403, path
    response = evaluator_client.post(f"/app/catalog/batch/{cohort.pk}/enroll/", {"emails": learners[1].email})
    assert response.status_code == 403
    page = evaluator_client.get(f"/app/catalog/batch/{cohort.pk}/change/").content.decode()
    assert "Enroll members" not in page and "enroll-dialog" not in page
    cohort.refresh_from_db()
    assert cohort.seats_taken == 1
