"""Copy the quiz submissions typed into the desk (training.QuizSubmission: a quiz named by its
title, answers as raw JSON) into assessments, keeping every value as evidence: one quiz per
(course, title) without questions holds them, each row becomes a `recorded` submission numbered
per learner and quiz in the order submitted, with its raw answers in `recorded_answers`. The old
table is removed by training 0002, after this."""

from django.db import migrations


def copy_rows(apps, schema_editor):
    Old = apps.get_model("training", "QuizSubmission")
    Quiz = apps.get_model("assessments", "Quiz")
    Submission = apps.get_model("assessments", "QuizSubmission")
    quizzes = {}
    attempts = {}
    batch = []
    for row in Old.objects.order_by("submitted_at", "id").iterator(chunk_size=2000):
        key = (row.course_id, row.quiz)
        if key not in quizzes:
            quizzes[key] = Quiz.objects.create(title=row.quiz[:200] or "(untitled)", course_id=row.course_id,
                                               passing_percentage=0, max_attempts=0).pk
        number = attempts[(key, row.member_id)] = attempts.get((key, row.member_id), 0) + 1
        batch.append(Submission(
            quiz_id=quizzes[key], member_id=row.member_id, attempt=number, source="recorded",
            quiz_title=row.quiz[:200], course_id=row.course_id, score=row.score, score_out_of=row.score_out_of,
            percentage=row.percentage, passed=row.passed, question_order=[], submitted_at=row.submitted_at,
            time_zone="UTC", recorded_answers=row.answers if row.answers not in (None, "") else None))
        if len(batch) >= 2000:
            Submission.objects.bulk_create(batch)
            batch = []
    Submission.objects.bulk_create(batch)


def copy_back(apps, schema_editor):
    Old = apps.get_model("training", "QuizSubmission")
    Submission = apps.get_model("assessments", "QuizSubmission")
    Old.objects.bulk_create([
        Old(member_id=row.member_id, course_id=row.course_id, quiz=row.quiz_title, score=row.score,
            score_out_of=row.score_out_of, percentage=row.percentage, passed=row.passed,
            answers=row.recorded_answers or [], submitted_at=row.submitted_at)
        for row in Submission.objects.filter(source="recorded", course__isnull=False).order_by("id")])


class Migration(migrations.Migration):

    dependencies = [
        ("assessments", "0001_initial"),
        ("training", "0001_initial"),
    ]

    operations = [migrations.RunPython(copy_rows, copy_back)]
