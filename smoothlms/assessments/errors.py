"""Assessment refusals: stable codes and one message each (CONTRACT.md section 12)."""

from smoothlms.core.errors import Conflict, Forbidden, Invalid, NotFound


class QuizNotFound(NotFound):
    message = "No quiz with id {id}."


class AssignmentNotFound(NotFound):
    message = "No assignment with id {id}."


class QuizSubmissionNotFound(NotFound):
    message = "No quiz submission with id {id}."


class AssignmentSubmissionNotFound(NotFound):
    message = "No assignment submission with id {id}."


class NotEnrolledInCourse(Forbidden):
    code = "not_enrolled_in_course"
    message = "You are not enrolled in this course."


class NotEnrolledInCohort(Forbidden):
    code = "not_enrolled_in_cohort"
    message = "You are not enrolled in a cohort that has this assessment."


class CannotEditAssessments(Forbidden):
    message = "Only Course Creators and Moderators create and change quizzes and assignments."


class CannotManageCohortAssessments(Forbidden):
    message = "Only Moderators add assessments to cohorts."


class CannotGrade(Forbidden):
    message = "Only Batch Evaluators and Moderators grade assignments."


class MaxAttemptsReached(Conflict):
    code = "max_attempts_reached"
    message = "You have no attempts left for this quiz."


class AttemptNotStarted(Conflict):
    code = "attempt_not_started"
    message = "Start an attempt first: this quiz has a time limit of {minutes} minutes."


class AttemptNotOpen(Conflict):
    code = "attempt_not_open"
    message = "Attempt {attempt} of this quiz is not open: it has been submitted or has expired."


class TimeLimitExceeded(Conflict):
    code = "time_limit_exceeded"
    message = "The time limit of {minutes} minutes for this attempt has passed."


class QuizHasNoQuestions(Conflict):
    code = "quiz_has_no_questions"
    message = "This quiz has no questions yet."


class InvalidAnswer(Invalid):
    code = "invalid_answer"
    message = "{detail}"


class InvalidQuiz(Invalid):
    """params["fields"] names the fields at fault."""

    code = "validation_error"
    message = "{detail}"


class InvalidAssignment(Invalid):
    code = "validation_error"
    message = "{detail}"


class AnswerRequired(Invalid):
    code = "answer_required"
    message = "This assignment needs {what}."


class FileTypeNotAllowed(Invalid):
    code = "file_type_not_allowed"
    message = "{name} is not accepted: this assignment takes {allowed} files."


class FileTooLarge(Invalid):
    code = "file_too_large"
    message = "{name} is larger than the limit of {limit} MB."


class AwaitingGrade(Conflict):
    code = "assignment_awaiting_grade"
    message = "Your previous submission of this assignment is waiting for its grade."


class AlreadyPassed(Conflict):
    code = "assignment_already_passed"
    message = "You have already passed this assignment."


class AlreadyGraded(Conflict):
    code = "already_graded"
    message = "This submission has already been graded."


class AlreadyInCohort(Conflict):
    code = "assessment_already_in_cohort"
    message = "This cohort already has {title}."


class NotGraded(Conflict):
    code = "not_graded"
    message = "This submission has not been graded yet."


class QuizNotOfCourse(Conflict):
    code = "quiz_not_of_course"
    message = "Quiz {quiz} is not a quiz of course {course}: only a course's own quizzes are its lessons."


class QuizAlreadyALesson(Conflict):
    code = "quiz_already_a_lesson"
    message = "Quiz {quiz} is already lesson {lesson}."
