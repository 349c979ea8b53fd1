"""Refusals of course content and progress (CONTRACT.md section 11)."""

from smoothlms.catalog.errors import CourseNotFound
from smoothlms.core.errors import Conflict, Forbidden, Invalid, NotFound

__all__ = [
    "CourseNotFound",
    "NotEnrolledInCourse",
    "ChapterNotFound",
    "LessonNotFound",
    "InvalidContent",
    "ScormPackageInvalid",
    "ScormDataInvalid",
    "NotAScormLesson",
    "NotAFileLesson",
    "CompletesByItself",
    "LessonHasProgress",
    "ChapterNotEmpty",
    "CannotMove",
]


class NotEnrolledInCourse(Forbidden):
    code = "not_enrolled_in_course"
    message = "You are not enrolled in this course."


class ChapterNotFound(NotFound):
    message = "No chapter {chapter} in course {course}."


class LessonNotFound(NotFound):
    message = "No lesson {lesson} in course {course}."


class InvalidContent(Invalid):
    """A chapter or lesson that fails validation; params["fields"] names the fields."""

    code = "validation_error"
    message = "{detail}"


class ScormPackageInvalid(Invalid):
    code = "scorm_package_invalid"
    message = "This SCORM package cannot be used: {reason}"


class ScormDataInvalid(Invalid):
    code = "validation_error"
    message = "The SCORM runtime data is not valid: {detail}"


class NotAScormLesson(Conflict):
    code = "not_a_scorm_lesson"
    message = "Lesson {lesson} is a {kind} lesson, not a SCORM lesson."


class NotAFileLesson(Conflict):
    code = "not_a_file_lesson"
    message = "Lesson {lesson} is a {kind} lesson, not a file lesson."


class CompletesByItself(Conflict):
    """Only text, video and file lessons are marked complete by the learner."""

    code = "lesson_completes_by_itself"
    message = "A {kind} lesson cannot be marked complete: it completes {how}."

    HOW = {"scorm": "when its package reports completed or passed", "quiz": "on a passing quiz submission"}

    @classmethod
    def for_kind(cls, kind: str) -> "CompletesByItself":
        return cls(kind=kind, how=cls.HOW.get(kind, "by itself"))


class LessonHasProgress(Conflict):
    code = "lesson_has_progress"
    message = "Learners have started the lesson {title}: it cannot be deleted."


class ChapterNotEmpty(Conflict):
    code = "chapter_not_empty"
    message = "The chapter {title} still has lessons: delete or move them first."


class CannotMove(Conflict):
    code = "cannot_move"
    message = "{title} is already {where}."
