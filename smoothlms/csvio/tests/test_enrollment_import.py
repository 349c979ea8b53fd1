"""The enrollment importer shared by the desk and the command line: rows go through the engine."""

import datetime as dt
import time

import pytest
from django.utils import timezone

from smoothlms.catalog.models import Batch
from smoothlms.catalog.selectors import find_batch
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.core.models import EnrollmentEvent
from smoothlms.csvio import enrollments as importer
from smoothlms.csvio.enrollments import import_enrollments, read_enrollment_file
from smoothlms.csvio.errors import MissingColumn
from smoothlms.enrollment.errors import BatchNotFound, CannotEnrollOthers, OverrideReasonRequired
from smoothlms.enrollment.models import BatchEnrollment, EmailStatus, EnrollmentStatus, Source
from smoothlms.enrollment.services import enroll
from smoothlms.people.tests.factories import UserFactory, moderator

pytestmark = pytest.mark.django_db


def table(text: str, name: str = "roster.csv"):
    return read_enrollment_file(text.encode(), filename=name)


@pytest.fixture
def cohort():
    return BatchFactory(name="new-hires", title="New Hires — Week 12", seat_count=10, courses=[CourseFactory()])


@pytest.fixture
def people():
    return [UserFactory(email=f"p{i}@example.com") for i in range(4)]


def outcome(report):
    return [(r.row, r.member, r.batch, r.status, r.code) for r in report.rows]


def test_import_creates_skips_and_fails_per_row_with_contract_messages(cohort, people):
    enroll(batch=cohort, member=people[1], actor=None, source=Source.DESK)
    report = import_enrollments(
        table(
            "member,batch\np0@example.com,new-hires\nP1@Example.com,new-hires\nnobody@example.com,new-hires\n"
            "p2@example.com,no-such-cohort\n"
        ),
        actor=None,
    )
    assert outcome(report) == [
        (2, "p0@example.com", "new-hires", "created", ""),
        (3, "p1@example.com", "new-hires", "skipped", "already_enrolled"),
        (4, "nobody@example.com", "new-hires", "failed", "user_not_found"),
        (5, "p2@example.com", "no-such-cohort", "failed", "not_found"),
    ]
    assert report.rows[1].message == "p1@example.com is already enrolled for this cohort."
    assert report.rows[2].message == "No user with email nobody@example.com."
    assert report.rows[3].message == "No cohort named no-such-cohort."
    assert report.summary() == "created=1 skipped=1 failed=2"
    created = BatchEnrollment.objects.get(batch=cohort, member=people[0])
    assert created.source == Source.IMPORT and created.status == EnrollmentStatus.ACTIVE


def test_reimporting_the_same_file_creates_nothing_and_sends_nothing(
    cohort, people, mailoutbox, django_capture_on_commit_callbacks
):
    data = table("member,batch\np0@example.com,new-hires\np2@example.com,new-hires\n")
    with django_capture_on_commit_callbacks(execute=True):
        first = import_enrollments(data, actor=None)
    sent = len(mailoutbox)
    events = EnrollmentEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        second = import_enrollments(data, actor=None)
    assert (first.created, second.created, second.skipped, second.failed) == (2, 0, 2, 0)
    assert len(mailoutbox) == sent and EnrollmentEvent.objects.count() == events


def test_batch_cell_matches_name_or_title_in_any_case_and_the_chosen_batch_fills_blanks(cohort, people):
    other = BatchFactory(name="leaders", title="Leading Teams")
    report = import_enrollments(
        table("Member,Batch\np0@example.com,NEW HIRES — week 12\np1@example.com,\np2@example.com,leaders\n"),
        actor=None,
        batch=other,
    )
    assert [(r.member, r.batch, r.status) for r in report.rows] == [
        ("p0@example.com", "new-hires", "created"),
        ("p1@example.com", "leaders", "created"),
        ("p2@example.com", "leaders", "created"),
    ]


def test_a_title_shared_by_two_cohorts_names_none(cohort, people):
    BatchFactory(title="Twin"), BatchFactory(title="Twin")
    report = import_enrollments(table("member,batch\np0@example.com,Twin\n"), actor=None)
    assert (report.rows[0].status, report.rows[0].code) == ("failed", "not_found")


def test_rows_without_a_cohort_fail_when_none_is_chosen(cohort, people):
    report = import_enrollments(table("member,batch\np0@example.com,\n"), actor=None)
    assert (report.rows[0].status, report.rows[0].code) == ("failed", "batch_required")


def test_no_batch_column_and_no_chosen_cohort_is_refused_before_writing(people):
    with pytest.raises(MissingColumn) as err:
        import_enrollments(table("member\np0@example.com\n"), actor=None)
    assert "no batch column" in err.value.user_message()
    assert not BatchEnrollment.objects.exists()


def test_a_student_cannot_import_and_nothing_is_written(cohort, people):
    with pytest.raises(CannotEnrollOthers):
        import_enrollments(table("member,batch\np0@example.com,new-hires\n"), actor=people[3])
    assert not BatchEnrollment.objects.exists()


def test_a_moderator_imports_and_is_recorded_as_creator(cohort, people):
    mod = moderator()
    report = import_enrollments(table("member,batch\np0@example.com,new-hires\n"), actor=mod, source=Source.DESK)
    assert report.created == 1
    assert BatchEnrollment.objects.get(member=people[0]).created_by == mod


def test_dry_run_writes_nothing_and_answers_what_the_real_run_does(cohort, people):
    data = table("member,batch\np0@example.com,new-hires\np0@example.com,new-hires\nzz@example.com,new-hires\n")
    dry = import_enrollments(data, actor=None, dry_run=True)
    assert not BatchEnrollment.objects.exists() and not EnrollmentEvent.objects.filter(kind="enrolled").exists()
    real = import_enrollments(data, actor=None)
    assert outcome(dry) == outcome(real)
    assert [r.status for r in real.rows] == ["created", "skipped", "failed"]


def test_dry_run_counts_seats_and_duplicates_across_chunks(monkeypatch, people):
    # Every chunk of a dry run is rolled back; the preview must still fill the seats in order.
    monkeypatch.setattr(importer, "IMPORT_CHUNK", 2)
    small = BatchFactory(name="small", seat_count=3)
    data = table("member,batch\n" + "".join(f"p{i}@example.com,small\n" for i in (0, 1, 0, 2, 3)))
    dry = import_enrollments(data, actor=None, dry_run=True)
    real = import_enrollments(data, actor=None)
    assert (
        [(r.status, r.code) for r in dry.rows]
        == [(r.status, r.code) for r in real.rows]
        == [("created", ""), ("created", ""), ("skipped", "duplicate_row"), ("created", ""), ("failed", "cohort_full")]
    )
    small.refresh_from_db()
    assert small.seats_taken == 3


def test_override_start_takes_the_rows_reason_then_the_given_one(people):
    started = BatchFactory(name="running", start_date=timezone.localdate() - dt.timedelta(days=2))
    data = table("member,batch,reason\np0@example.com,running,joined late\np1@example.com,running,\n")
    refused = import_enrollments(data, actor=None, dry_run=True)
    assert [r.code for r in refused.rows] == ["cohort_started", "cohort_started"]
    report = import_enrollments(data, actor=None, override_start=True, reason="manager approved")
    assert report.created == 2
    reasons = dict(BatchEnrollment.objects.filter(batch=started).values_list("member__email", "override_reason"))
    assert reasons == {"p0@example.com": "joined late", "p1@example.com": "manager approved"}


def test_override_without_any_reason_is_refused_or_fails_the_row(people):
    BatchFactory(name="running", start_date=timezone.localdate() - dt.timedelta(days=2))
    with pytest.raises(OverrideReasonRequired):
        import_enrollments(table("member,batch\np0@example.com,running\n"), actor=None, override_start=True)
    report = import_enrollments(
        table("member,batch,reason\np0@example.com,running,\np1@example.com,running,ok\n"),
        actor=None,
        override_start=True,
    )
    assert [(r.status, r.code) for r in report.rows] == [("failed", "override_reason_required"), ("created", "")]
    assert report.rows[0].message == "A reason is required to override the start date."


def test_no_notify_marks_emails_skipped(cohort, people, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        import_enrollments(table("member,batch\np0@example.com,new-hires\n"), actor=None, notify=False)
    assert mailoutbox == []
    assert BatchEnrollment.objects.get().confirmation_email_status == EmailStatus.SKIPPED


def test_json_report_has_the_contract_keys(cohort, people):
    report = import_enrollments(table("member,batch\np0@example.com,new-hires\n"), actor=None)
    assert report.as_json() == {
        "created": 1,
        "skipped": 0,
        "failed": 0,
        "rows": [
            {"row": 2, "member": "p0@example.com", "batch": "new-hires", "status": "created", "code": "", "message": ""}
        ],
    }


def test_find_batch_by_name_or_title(cohort):
    assert find_batch("new-hires", actor=None) == cohort
    assert find_batch("new hires — WEEK 12", actor=None) == cohort
    with pytest.raises(BatchNotFound):
        find_batch("nope", actor=None)


def test_fifty_thousand_rows_go_through_the_bulk_path(cohort, django_assert_max_num_queries):
    BatchFactory(name="big", seat_count=None)
    students = [UserFactory(email=f"s{i}@example.com") for i in range(60)]
    lines = ["member,batch"] + [f"unknown{i}@example.com,big" for i in range(50_000 - len(students))]
    lines[1:1] = [f"{user.email},big" for user in students]
    started = time.perf_counter()
    data = read_enrollment_file(("\n".join(lines) + "\n").encode(), filename="big.csv")
    with django_assert_max_num_queries(50 * 20):  # a few queries per chunk of 1,000 rows, never one per row
        report = import_enrollments(data, actor=None, notify=False)
    elapsed = time.perf_counter() - started
    assert (report.created, report.failed, len(report.rows)) == (60, 49_940, 50_000)
    assert elapsed < 60


def test_members_are_compared_after_normalisation_and_a_look_alike_is_no_user(cohort, people):
    report = import_enrollments(
        table("member\n\uff30\uff10@Example.com\np1@example.com\u200b\n"), actor=moderator(), batch=cohort
    )
    assert [(r.row, r.status, r.code) for r in report.rows] == [(2, "created", ""), (3, "failed", "user_not_found")]
    assert [e.member.email for e in BatchEnrollment.objects.all()] == ["p0@example.com"]


def test_an_hr_employee_export_is_a_roster_as_it_is(people):
    """CONTRACT.md section 7: the member is `User ID`, else `Company Email`, else `Personal Email`."""
    BatchFactory(name="new-hires", seat_count=10)
    data = table(
        "ID,Full Name,Company Email,Personal Email,User ID,Status,Date of Joining\n"
        "HR-1,P Zero,other@example.com,,p0@example.com,Active,2026-12-07\n"
        "HR-2,P One,p1@example.com,home1@example.net,,Active,2026-12-07\n"
        "HR-3,P Two,,p2@example.com,,Active,2026-12-07\n"
        "HR-4,Nobody,,,,Active,2026-12-07\n"
    )
    report = import_enrollments(data, actor=None, batch=Batch.objects.get(name="new-hires"))
    assert [(r.member, r.status, r.code) for r in report.rows] == [
        ("p0@example.com", "created", ""),
        ("p1@example.com", "created", ""),
        ("p2@example.com", "created", ""),
        ("", "failed", "member_required"),
    ]
    assert set(BatchEnrollment.objects.values_list("member__email", flat=True)) == {
        "p0@example.com",
        "p1@example.com",
        "p2@example.com",
    }


def test_a_row_repeated_in_one_file_is_a_duplicate_row_not_already_enrolled(people):
    BatchFactory(name="small", seat_count=5)
    data = table("member,batch\np0@example.com,small\nP0@Example.com ,small\n")
    report = import_enrollments(data, actor=None)
    assert [(r.status, r.code) for r in report.rows] == [("created", ""), ("skipped", "duplicate_row")]
    again = import_enrollments(data, actor=None)
    assert [(r.status, r.code) for r in again.rows] == [("skipped", "already_enrolled"), ("skipped", "duplicate_row")]
