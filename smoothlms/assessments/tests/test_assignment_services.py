"""Assignments at the service level: text and file answers (type and size checked), one grade by a
Batch Evaluator or Moderator with a comment, the result emailed after commit; cohort assessments."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from smoothlms.assessments.errors import (
    AlreadyGraded,
    AlreadyInCohort,
    AlreadyPassed,
    AnswerRequired,
    AwaitingGrade,
    CannotGrade,
    CannotManageCohortAssessments,
    FileTooLarge,
    FileTypeNotAllowed,
    InvalidAssignment,
    NotEnrolledInCohort,
)
from smoothlms.assessments.models import AssignmentSubmission, BatchAssessment, GradeStatus, ResultEmailStatus
from smoothlms.assessments.services import (
    add_batch_assessment,
    grade_assignment_submission,
    resend_assignment_result,
    submit_assignment,
)
from smoothlms.assessments.tests.factories import link, make_assignment, make_quiz
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def evaluator(db):
    return UserFactory(email="eva@example.com", full_name="Eva Evaluator", roles=[Role.BATCH_EVALUATOR])


@pytest.fixture
def file_assignment(cohort):
    assignment = make_assignment(title="Site photo", kind="file", allowed_extensions="pdf, PNG", max_file_mb=1)
    link(cohort, assignment)
    return assignment


def _hand_in(assignment, learner, **kwargs):
    return submit_assignment(assignment=assignment, member=learner, actor=learner, **kwargs)


def test_a_text_answer_is_recorded_with_its_cohort(cohort, learner, assignment):
    submission = _hand_in(assignment, learner, text="  Loose cables by the stairs.  ")
    assert (submission.text, submission.status, submission.batch) == (
        "Loose cables by the stairs.",
        GradeStatus.SUBMITTED,
        cohort,
    )
    event = EnrollmentEvent.objects.get(kind=EventType.ASSIGNMENT_SUBMITTED)
    assert event.member == learner and event.after["submission"] == submission.pk


def test_a_text_assignment_refuses_an_empty_answer(learner, assignment):
    with pytest.raises(AnswerRequired) as refused:
        _hand_in(assignment, learner, text="   ")
    assert refused.value.user_message() == "This assignment needs a text answer."
    assert not AssignmentSubmission.objects.exists()


def test_a_file_answer_is_stored_with_its_name_and_size(learner, file_assignment):
    submission = _hand_in(file_assignment, learner, upload=SimpleUploadedFile("photo.PDF", PDF))
    assert submission.file_name == "photo.PDF" and submission.file_size == len(PDF)
    with submission.file.open("rb") as stored:
        assert stored.read() == PDF


@pytest.mark.parametrize(
    "name, content, error",
    [
        ("notes.docx", b"PK\x03\x04rest", FileTypeNotAllowed),  # a type the assignment does not take
        ("fake.pdf", b"MZ\x90\x00 an executable", FileTypeNotAllowed),  # the name says pdf, the bytes do not
        ("noextension", PDF, FileTypeNotAllowed),
        ("big.pdf", b"%PDF-" + b"0" * (1024 * 1024), FileTooLarge),
    ],
)
def test_a_file_of_the_wrong_type_or_too_large_is_refused(learner, file_assignment, name, content, error):
    with pytest.raises(error) as refused:
        _hand_in(file_assignment, learner, upload=SimpleUploadedFile(name, content))
    assert name in refused.value.user_message()
    assert not AssignmentSubmission.objects.exists()


def test_a_file_assignment_needs_a_file(learner, file_assignment):
    with pytest.raises(AnswerRequired):
        _hand_in(file_assignment, learner, text="I will send it by email")
    assert not AssignmentSubmission.objects.exists()


def test_no_second_hand_in_while_awaiting_a_grade_or_after_passing(learner, assignment, evaluator):
    first = _hand_in(assignment, learner, text="first")
    with pytest.raises(AwaitingGrade):
        _hand_in(assignment, learner, text="second")
    grade_assignment_submission(submission=first, passed=False, comment="Name the hazards.", actor=evaluator)
    second = _hand_in(assignment, learner, text="Cables, wet floor")
    grade_assignment_submission(submission=second, passed=True, comment="Good.", actor=evaluator)
    with pytest.raises(AlreadyPassed):
        _hand_in(assignment, learner, text="third")
    assert AssignmentSubmission.objects.count() == 2


def test_only_members_of_a_cohort_that_lists_it_hand_in(assignment):
    with pytest.raises(NotEnrolledInCohort):
        _hand_in(assignment, UserFactory(), text="hello")
    assert not AssignmentSubmission.objects.exists()


def test_an_evaluator_grades_once_and_the_learner_is_emailed_after_commit(
    learner, assignment, evaluator, mailoutbox, django_capture_on_commit_callbacks
):
    submission = _hand_in(assignment, learner, text="Cables")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        graded = grade_assignment_submission(
            submission=submission, passed=False, comment="Add the wet floor.", actor=evaluator
        )
    assert len(callbacks) == 1
    assert (graded.status, graded.comment, graded.graded_by) == (GradeStatus.FAILED, "Add the wet floor.", evaluator)
    [message] = mailoutbox
    assert message.to == ["rosa@example.com"] and message.subject == "Risk assessment: not passed"
    assert "Add the wet floor." in message.body and "Eva Evaluator" in message.body and "Safety week" in message.body
    submission.refresh_from_db()
    assert submission.result_email_status == ResultEmailStatus.SENT and submission.result_email_sent_at
    assert EnrollmentEvent.objects.filter(kind=EventType.ASSIGNMENT_GRADED, member=learner).count() == 1

    with pytest.raises(AlreadyGraded):
        grade_assignment_submission(submission=submission, passed=True, comment="Changed my mind", actor=evaluator)
    submission.refresh_from_db()
    assert submission.status == GradeStatus.FAILED and submission.comment == "Add the wet floor."
    assert len(mailoutbox) == 1


def test_a_moderator_grades_and_a_learner_cannot(learner, assignment, mailoutbox, django_capture_on_commit_callbacks):
    submission = _hand_in(assignment, learner, text="Cables")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(CannotGrade):
        grade_assignment_submission(submission=submission, passed=True, comment="", actor=learner)
    submission.refresh_from_db()
    assert submission.status == GradeStatus.SUBMITTED and not mailoutbox
    moderator = UserFactory(roles=[Role.MODERATOR])
    assert (
        grade_assignment_submission(submission=submission, passed=True, comment="", actor=moderator).status
        == GradeStatus.PASSED
    )


def test_the_result_email_is_sent_once_even_when_its_task_runs_twice(
    learner, assignment, evaluator, mailoutbox, django_capture_on_commit_callbacks
):
    from smoothlms.assessments.delivery import deliver_assignment_result

    submission = _hand_in(assignment, learner, text="Cables")
    with django_capture_on_commit_callbacks(execute=True):
        grade_assignment_submission(submission=submission, passed=True, comment="", actor=evaluator)
    assert deliver_assignment_result(submission_id=submission.pk) == "not pending"
    assert len(mailoutbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        resend_assignment_result(submission=submission, actor=evaluator)
    assert len(mailoutbox) == 2 and mailoutbox[1].subject == "Risk assessment: passed"


def test_an_email_the_server_refuses_is_recorded_as_failed(
    learner, assignment, evaluator, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens there
    submission = _hand_in(assignment, learner, text="Cables")
    with django_capture_on_commit_callbacks(execute=True):
        grade_assignment_submission(submission=submission, passed=True, comment="", actor=evaluator)
    submission.refresh_from_db()
    assert submission.status == GradeStatus.PASSED  # the grade stands
    assert submission.result_email_status == ResultEmailStatus.FAILED and submission.result_email_error


def test_assignment_settings_are_checked():
    with pytest.raises(InvalidAssignment) as refused:
        make_assignment(kind="file", allowed_extensions=" , ", max_file_mb=500)
    assert set(refused.value.params["fields"]) == {"max_file_mb", "allowed_extensions"}


# Cohort assessments ---------------------------------------------------------------------------


def test_a_cohort_lists_an_assessment_once_and_only_moderators_add_them(cohort):
    quiz = make_quiz()
    moderator = UserFactory(roles=[Role.MODERATOR])
    first = add_batch_assessment(batch=cohort, quiz=quiz, actor=moderator)
    with pytest.raises(AlreadyInCohort):
        add_batch_assessment(batch=cohort, quiz=quiz, actor=moderator)
    with pytest.raises(CannotManageCohortAssessments):
        add_batch_assessment(batch=cohort, assignment=make_assignment(), actor=UserFactory())
    assert list(BatchAssessment.objects.all()) == [first]
