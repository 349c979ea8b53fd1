"""Quizzes at the service level: authoring rules, grading of each kind, attempts, time limit,
access, shuffling, and immutability of what a submission records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from smoothlms.assessments.errors import (
    AttemptNotOpen,
    AttemptNotStarted,
    CannotEditAssessments,
    InvalidAnswer,
    InvalidQuiz,
    MaxAttemptsReached,
    NotEnrolledInCohort,
    NotEnrolledInCourse,
    QuizHasNoQuestions,
    TimeLimitExceeded,
)
from smoothlms.assessments.grading import AnswerIn
from smoothlms.assessments.models import QuizAnswer, QuizAttempt, QuizSubmission
from smoothlms.assessments.selectors import list_questions
from smoothlms.assessments.services import (
    SUBMIT_GRACE,
    OptionSpec,
    QuestionSpec,
    QuizFields,
    create_quiz,
    save_question,
    start_attempt,
    submit_quiz,
    update_quiz,
)
from smoothlms.assessments.tests.conftest import answers_for
from smoothlms.assessments.tests.factories import link, make_quiz, multiple, single, text
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.enrollment.models import Source
from smoothlms.enrollment.services import cancel_enrollment, enroll
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _submit(quiz, learner, answers, **kwargs):
    return submit_quiz(quiz=quiz, member=learner, answers=answers, actor=learner, **kwargs)


def _one_question_quiz(cohort, question, **fields):
    quiz = make_quiz(questions=[question], passing_percentage=100, **fields)
    link(cohort, quiz)
    return quiz, list_questions(quiz=quiz)[0]


def _ids(question, *texts):
    return [o.pk for o in question.options.all() if o.text in texts]


# Authoring --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec, problem",
    [
        (
            QuestionSpec(text="Pick one", kind="single", options=[OptionSpec("a", True), OptionSpec("b", True)]),
            "exactly one must be correct",
        ),
        (QuestionSpec(text="Pick", kind="multiple", options=[OptionSpec("a"), OptionSpec("b")]), "at least one option"),
        (QuestionSpec(text="Pick", kind="single", options=[OptionSpec("a", True)]), "at least two options"),
        (QuestionSpec(text="Type", kind="text", answers=["  "]), "accepted answer"),
        (QuestionSpec(text="Type", kind="text", answers=["x"], options=[OptionSpec("a")]), "no options"),
        (QuestionSpec(text=" ", kind="text", answers=["x"]), "no text"),
        (QuestionSpec(text="Q", kind="essay", answers=["x"]), "kind must be"),
        (QuestionSpec(text="Q", kind="text", answers=["x"], marks=Decimal(0)), "marks must be above 0"),
    ],
)
def test_create_quiz_refuses_an_invalid_question_and_creates_nothing(spec, problem):
    with pytest.raises(InvalidQuiz) as refused:
        make_quiz(questions=[single("Fine?", "yes", "no"), spec])
    assert problem in refused.value.user_message() and "Question 2" in refused.value.user_message()
    assert refused.value.params["fields"] == ["questions"]
    from smoothlms.assessments.models import Question, Quiz

    assert not Quiz.objects.exists() and not Question.objects.exists()


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"passing_percentage": 101}, "passing_percentage"),
        ({"max_attempts": -1}, "max_attempts"),
        ({"time_limit_minutes": 0}, "time_limit_minutes"),
    ],
)
def test_create_quiz_refuses_bad_settings(fields, field):
    with pytest.raises(InvalidQuiz) as refused:
        make_quiz(**fields)
    assert refused.value.params["fields"] == [field]


def test_only_course_creators_and_moderators_write_quizzes():
    author = UserFactory(roles=[Role.COURSE_CREATOR])
    quiz = create_quiz(
        values=QuizFields(title="Ladders", passing_percentage=50), questions=[text("Max height?", "2 m")], actor=author
    )
    assert quiz.created_by == author and quiz.questions.count() == 1
    learner = UserFactory()
    with pytest.raises(CannotEditAssessments):
        create_quiz(values=QuizFields(title="Mine", passing_percentage=0), questions=[], actor=learner)
    with pytest.raises(CannotEditAssessments):
        update_quiz(quiz=quiz, actor=learner, passing_percentage=0)
    quiz.refresh_from_db()
    assert quiz.passing_percentage == 50 and quiz.title == "Ladders"


def test_save_question_keeps_the_ids_of_options_it_is_given():
    quiz = make_quiz(questions=[single("Colour of a fire exit sign?", "Green", "Red")])
    question = list_questions(quiz=quiz)[0]
    green = next(o for o in question.options.all() if o.text == "Green")
    save_question(
        quiz=quiz,
        question=question,
        position=0,
        actor=None,
        spec=QuestionSpec(
            text="Colour of exit signs?",
            kind="single",
            options=[OptionSpec("Green", True, id=green.pk), OptionSpec("Blue")],
        ),
    )
    question.refresh_from_db()
    assert question.text == "Colour of exit signs?"
    assert [(o.pk == green.pk, o.text) for o in question.options.all()] == [(True, "Green"), (False, "Blue")]


# Grading ----------------------------------------------------------------------------------------


def test_single_gives_its_marks_for_the_correct_option_only(cohort, learner):
    quiz, question = _one_question_quiz(cohort, single("Exit colour?", "Green", "Red", marks="2"))
    wrong = _submit(quiz, learner, [AnswerIn(question.pk, options=_ids(question, "Red"))])
    right = _submit(quiz, learner, [AnswerIn(question.pk, options=_ids(question, "Green"))])
    assert (wrong.score, wrong.passed, right.score, right.passed) == (0, False, 2, True)
    assert right.percentage == 100 and right.score_out_of == 2


def test_single_refuses_two_options_and_records_nothing(cohort, learner):
    quiz, question = _one_question_quiz(cohort, single("Exit colour?", "Green", "Red"))
    with pytest.raises(InvalidAnswer) as refused:
        _submit(quiz, learner, [AnswerIn(question.pk, options=_ids(question, "Green", "Red"))])
    assert refused.value.user_message() == f"Question {question.pk} takes one option."
    assert not QuizSubmission.objects.exists() and not QuizAttempt.objects.exists()


def test_multiple_is_all_or_nothing(cohort, learner):
    quiz, question = _one_question_quiz(cohort, multiple("PPE?", ["Gloves", "Goggles"], ["Mug"], marks="3"))
    partial = _submit(quiz, learner, [AnswerIn(question.pk, options=_ids(question, "Gloves"))])
    extra = _submit(quiz, learner, [AnswerIn(question.pk, options=_ids(question, "Gloves", "Goggles", "Mug"))])
    exact = _submit(quiz, learner, [AnswerIn(question.pk, options=_ids(question, "Goggles", "Gloves"))])
    assert [partial.score, extra.score, exact.score] == [0, 0, 3]
    assert exact.answers.get().answer == "Goggles; Gloves" or exact.answers.get().answer == "Gloves; Goggles"
    assert exact.answers.get().correct_answer == "Gloves; Goggles"


@pytest.mark.parametrize(
    "given, right",
    [("112", True), ("  911 ", True), ("Nine-one-one", True), ("nine-one-one.", False), ("", False), ("1 12", False)],
)
def test_text_matches_any_accepted_answer_after_trimming_and_case_folding(cohort, learner, given, right):
    quiz, question = _one_question_quiz(cohort, text("Emergency number?", "112", "911", "NINE-ONE-ONE"))
    submission = _submit(quiz, learner, [AnswerIn(question.pk, text=given)])
    assert submission.passed is right and submission.score == (1 if right else 0)
    assert (
        submission.answers.get().answer == given
        and submission.answers.get().correct_answer == "112 | 911 | NINE-ONE-ONE"
    )


def test_totals_percentage_and_passing_use_every_question(cohort, learner, quiz):
    q1, q2, q3 = list_questions(quiz=quiz)
    # q1 right (1), q2 wrong (0 of 2), q3 right (1): 2 of 4 = 50% < 75%
    submission = _submit(
        quiz,
        learner,
        [
            AnswerIn(q1.pk, options=_ids(q1, "CO2")),
            AnswerIn(q2.pk, options=_ids(q2, "Gloves")),
            AnswerIn(q3.pk, text="112"),
        ],
    )
    assert (submission.score, submission.score_out_of, submission.percentage, submission.passed) == (
        2,
        4,
        Decimal("50.00"),
        False,
    )
    assert [a.marks_awarded for a in submission.answers.order_by("position")] == [1, 0, 1]


def test_unanswered_questions_give_no_marks_and_are_recorded(cohort, learner, quiz):
    submission = _submit(quiz, learner, [])
    assert submission.score == 0 and submission.answers.count() == 3
    assert all(a.answer == "" and a.selected == [] for a in submission.answers.all())


def test_answers_naming_other_questions_or_options_are_refused(cohort, learner, quiz):
    other = make_quiz(title="Other")
    stranger = list_questions(quiz=other)[0]
    q1 = list_questions(quiz=quiz)[0]
    for answers, message in [
        ([AnswerIn(stranger.pk, options=[])], f"Question {stranger.pk} is not a question of this quiz."),
        ([AnswerIn(q1.pk, options=[stranger.options.first().pk])], "is not an option of question"),
        ([AnswerIn(q1.pk, text="CO2")], "takes options, not a text answer"),
        ([AnswerIn(q1.pk, options=[]), AnswerIn(q1.pk, options=[])], "answered twice"),
    ]:
        with pytest.raises(InvalidAnswer) as refused:
            _submit(quiz, learner, answers)
        assert message in refused.value.user_message()
    assert not QuizSubmission.objects.exists() and not QuizAttempt.objects.exists()


def test_the_submission_records_each_question_as_shown(cohort, learner, quiz):
    submission = _submit(quiz, learner, answers_for(quiz))
    first = submission.answers.get(position=1)
    assert first.question_text == "Which extinguisher is for electrical fires?" and first.kind == "single"
    assert [(o["text"], o["correct"]) for o in first.options] == [("CO2", True), ("Water", False), ("Foam", False)]
    assert first.answer == "CO2" and first.correct_answer == "CO2" and first.marks == first.marks_awarded == 1
    assert submission.question_order == [q.pk for q in list_questions(quiz=quiz)]
    assert submission.quiz_title == "Fire safety" and submission.batch == cohort
    assert submission.time_zone == "Europe/Berlin" and submission.passing_percentage == 75
    event = EnrollmentEvent.objects.get(kind=EventType.QUIZ_SUBMITTED)
    assert event.member == learner and event.after["submission"] == submission.pk and event.after["passed"] is True


def test_editing_the_quiz_later_leaves_submissions_as_they_were(cohort, learner, quiz):
    submission = _submit(quiz, learner, answers_for(quiz))
    q1 = list_questions(quiz=quiz)[0]
    save_question(
        quiz=quiz,
        question=q1,
        position=0,
        actor=None,
        spec=QuestionSpec(text="Changed?", kind="single", options=[OptionSpec("Yes", True), OptionSpec("No")]),
    )
    q1.delete()
    update_quiz(quiz=quiz, actor=None, title="Renamed", passing_percentage=10)
    first = QuizAnswer.objects.get(submission=submission, position=1)
    assert first.question_text == "Which extinguisher is for electrical fires?" and first.answer == "CO2"
    submission = QuizSubmission.objects.get(pk=submission.pk)
    assert submission.quiz_title == "Fire safety" and submission.passing_percentage == 75


# Attempts ---------------------------------------------------------------------------------------


def test_max_attempts_counts_every_attempt_and_then_refuses(cohort, learner):
    quiz = make_quiz(max_attempts=2)
    link(cohort, quiz)
    first = _submit(quiz, learner, answers_for(quiz, right=False))
    second = _submit(quiz, learner, answers_for(quiz, right=False))
    assert (first.attempt, second.attempt) == (1, 2)
    with pytest.raises(MaxAttemptsReached) as refused:
        _submit(quiz, learner, answers_for(quiz))
    assert refused.value.code == "max_attempts_reached"
    assert refused.value.user_message() == "You have no attempts left for this quiz."
    with pytest.raises(MaxAttemptsReached):
        start_attempt(quiz=quiz, member=learner, actor=learner)
    assert QuizSubmission.objects.count() == 2 and QuizAttempt.objects.count() == 2


def test_zero_max_attempts_is_unlimited(cohort, learner, quiz):
    numbers = [_submit(quiz, learner, answers_for(quiz, right=False)).attempt for _ in range(5)]
    assert numbers == [1, 2, 3, 4, 5]


def test_start_attempt_returns_the_open_attempt_until_it_is_submitted(cohort, learner, quiz):
    attempt = start_attempt(quiz=quiz, member=learner, actor=learner)
    assert start_attempt(quiz=quiz, member=learner, actor=learner) == attempt
    submission = _submit(quiz, learner, answers_for(quiz), attempt=attempt.number)
    assert submission.started_attempt == attempt and submission.attempt == 1
    with pytest.raises(AttemptNotOpen):
        _submit(quiz, learner, answers_for(quiz), attempt=attempt.number)
    assert start_attempt(quiz=quiz, member=learner, actor=learner).number == 2
    assert QuizSubmission.objects.count() == 1


def test_a_submitted_attempt_resubmitted_when_none_are_left_is_max_attempts_reached(cohort, learner):
    quiz = make_quiz(max_attempts=1)
    link(cohort, quiz)
    _submit(quiz, learner, answers_for(quiz))
    with pytest.raises(MaxAttemptsReached):
        _submit(quiz, learner, answers_for(quiz), attempt=1)


def test_shuffled_orders_are_stored_and_graded_as_shown(cohort, learner):
    questions = [single(f"Question {n}?", f"right {n}", f"wrong {n}a", f"wrong {n}b") for n in range(8)]
    quiz = make_quiz(questions=questions, shuffle_questions=True, shuffle_options=True)
    link(cohort, quiz)
    orders = set()
    for _ in range(6):
        attempt = start_attempt(quiz=quiz, member=learner, actor=learner)
        orders.add(tuple(entry["question"] for entry in attempt.order))
        picks = [
            AnswerIn(q.pk, options=_ids(q, q.text.replace("Question ", "right ").rstrip("?")))
            for q in list_questions(quiz=quiz)
        ]
        submission = _submit(quiz, learner, picks, attempt=attempt.number)
        assert submission.question_order == [entry["question"] for entry in attempt.order]
        shown = [[o["id"] for o in a.options] for a in submission.answers.order_by("position")]
        assert shown == [entry["options"] for entry in attempt.order]
        assert submission.score == 8
    assert len(orders) > 1  # 8! orders: six attempts in the same order would be a broken shuffle


# Time limit -------------------------------------------------------------------------------------


def test_a_timed_quiz_needs_a_started_attempt(cohort, learner):
    quiz = make_quiz(time_limit_minutes=10)
    link(cohort, quiz)
    with pytest.raises(AttemptNotStarted):
        _submit(quiz, learner, answers_for(quiz))
    attempt = start_attempt(quiz=quiz, member=learner, actor=learner)
    assert attempt.deadline == attempt.started_at + dt.timedelta(minutes=10)
    submission = _submit(quiz, learner, answers_for(quiz))
    assert submission.started_attempt == attempt and submission.time_limit_minutes == 10


def test_a_submission_after_the_deadline_is_refused_and_the_attempt_stays_used(cohort, learner):
    quiz = make_quiz(time_limit_minutes=5, max_attempts=2)
    link(cohort, quiz)
    attempt = start_attempt(quiz=quiz, member=learner, actor=learner)
    late = attempt.started_at - dt.timedelta(minutes=5) - SUBMIT_GRACE - dt.timedelta(seconds=1)
    QuizAttempt.objects.filter(pk=attempt.pk).update(started_at=late, deadline=late + dt.timedelta(minutes=5))
    with pytest.raises(TimeLimitExceeded) as refused:
        _submit(quiz, learner, answers_for(quiz))
    assert refused.value.user_message() == "The time limit of 5 minutes for this attempt has passed."
    assert not QuizSubmission.objects.exists()
    second = start_attempt(quiz=quiz, member=learner, actor=learner)
    assert second.number == 2
    assert _submit(quiz, learner, answers_for(quiz)).attempt == 2


def test_a_submission_within_the_grace_after_the_deadline_counts(cohort, learner):
    quiz = make_quiz(time_limit_minutes=5)
    link(cohort, quiz)
    attempt = start_attempt(quiz=quiz, member=learner, actor=learner)
    now = timezone.now()
    QuizAttempt.objects.filter(pk=attempt.pk).update(
        started_at=now - dt.timedelta(minutes=5, seconds=10), deadline=now - dt.timedelta(seconds=10)
    )
    assert _submit(quiz, learner, answers_for(quiz)).passed


# Access -----------------------------------------------------------------------------------------


def test_a_course_quiz_needs_an_active_course_enrollment(cohort, learner):
    course = cohort.courses.get()
    quiz = make_quiz(course=course)
    assert _submit(quiz, learner, answers_for(quiz)).course == course
    outsider = UserFactory()
    with pytest.raises(NotEnrolledInCourse) as refused:
        _submit(quiz, outsider, answers_for(quiz))
    assert (refused.value.code, refused.value.user_message()) == (
        "not_enrolled_in_course",
        "You are not enrolled in this course.",
    )
    cancel_enrollment(batch=cohort, member=learner, actor=None)
    with pytest.raises(NotEnrolledInCourse):
        start_attempt(quiz=quiz, member=learner, actor=learner)
    assert QuizSubmission.objects.count() == 1 and QuizAttempt.objects.count() == 1


def test_a_cohort_quiz_needs_an_active_enrollment_in_a_cohort_that_lists_it(cohort, learner, quiz):
    other = BatchFactory()
    stranger = UserFactory()
    enroll(batch=other, member=stranger, actor=None, source=Source.DESK, notify=False)
    with pytest.raises(NotEnrolledInCohort):
        _submit(quiz, stranger, answers_for(quiz))
    cancel_enrollment(batch=cohort, member=learner, actor=None)
    with pytest.raises(NotEnrolledInCohort):
        _submit(quiz, learner, answers_for(quiz))
    assert not QuizSubmission.objects.exists()


def test_a_quiz_without_questions_cannot_be_started(cohort, learner):
    quiz = make_quiz(questions=[])
    link(cohort, quiz)
    with pytest.raises(QuizHasNoQuestions):
        start_attempt(quiz=quiz, member=learner, actor=learner)
    assert not QuizAttempt.objects.exists()


def test_course_quiz_taken_in_a_cohort_names_that_cohort(cohort, learner):
    quiz = make_quiz(course=CourseFactory())
    link(cohort, quiz)
    assert _submit(quiz, learner, answers_for(quiz)).batch == cohort


# Immutability -----------------------------------------------------------------------------------


def test_no_path_changes_or_deletes_a_submission(cohort, learner, quiz):
    submission = _submit(quiz, learner, answers_for(quiz))
    answer = submission.answers.first()
    submission.score = 0
    for attempt in (
        submission.save,
        submission.delete,
        answer.save,
        answer.delete,
        lambda: QuizSubmission.objects.filter(pk=submission.pk).update(score=0),
        lambda: QuizSubmission.objects.filter(pk=submission.pk).delete(),
        lambda: QuizAnswer.objects.filter(submission=submission).update(marks_awarded=0),
        lambda: QuizAnswer.objects.all().delete(),
        lambda: learner.quiz_submissions.update(passed=False),
    ):
        with pytest.raises(ValueError, match="immutable"):
            attempt()
    stored = QuizSubmission.objects.get(pk=submission.pk)
    assert stored.score == 4 and stored.passed and stored.answers.count() == 3
    from smoothlms.assessments import services

    assert not [
        name
        for name in dir(services)
        if name.startswith(("update_submission", "delete_submission", "change_submission", "edit_submission"))
    ]
    with pytest.raises(ValueError, match="immutable"):  # last: it breaks the test's transaction
        QuizSubmission.objects.bulk_update([submission], ["score"])
