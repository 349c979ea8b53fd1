"""Employee Compliance (CONTRACT.md section 13): per employee, one row per required course (a course
they have a training assignment of), with its status, the compliance control ID of the course and
the evidence attached automatically (the latest certificate, the passing quiz submissions).

Status of a row, on a day:
- `expired`: the latest certificate of the course has expired (and no newer one replaced it);
- `overdue`: an open assignment is past its due date;
- `due`: an open assignment is not yet due (a recertification opened before expiry, a new joiner);
- `compliant`: nothing open, and any certificate is valid.

Reads are made for whole pages of employees at once: a fixed number of queries per page (or per
chunk of an export), whatever the number of employees, courses and submissions."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from smoothlms.catalog.models import Course
from smoothlms.people.models import Employee
from smoothlms.training.models import AssignmentStatus, Certificate, TrainingAssignment
from smoothlms.training.selectors import newer_certificate_exists, overdue_q

COMPLIANT, DUE, OVERDUE, EXPIRED = "compliant", "due", "overdue", "expired"
STATUSES = (COMPLIANT, DUE, OVERDUE, EXPIRED)
SEVERITY = {COMPLIANT: 0, DUE: 1, OVERDUE: 2, EXPIRED: 3}
EXPORT_CHUNK = 500
EARLIEST = dt.datetime.min.replace(tzinfo=dt.UTC)


def certificate_pdf_path(name: str) -> str:
    return f"/lms/certificates/{name}.pdf"


def quiz_submission_pdf_path(submission_id: int) -> str:
    return f"/api/v1/quiz-submissions/{submission_id}.pdf"  # CONTRACT.md section 12


@dataclass(frozen=True)
class QuizEvidence:
    id: int
    quiz: str
    percentage: Any
    submitted_at: dt.datetime

    @property
    def pdf_path(self) -> str:
        return quiz_submission_pdf_path(self.id)


# Reads the passing quiz submissions of these users in these courses, oldest first, per (user,
# course), in one query. Quizzes live above training (assessments.evidence.list_quiz_evidence), so
# the interfaces pass the reader in; without one, rows carry no quiz evidence.
QuizEvidenceReader = Callable[..., "dict[tuple[int, int], list[QuizEvidence]]"]


def no_quiz_evidence(*, user_ids: Sequence[int], course_ids: Sequence[int]) -> dict:
    return {}


@dataclass(frozen=True)
class ComplianceRow:
    course: Course
    status: str
    due_date: dt.date | None  # of the open assignment, else of the latest completed one
    completed_at: dt.datetime | None  # of the latest completed assignment
    certificate: Certificate | None  # the latest certificate of the course
    quiz_submissions: list[QuizEvidence]
    today: dt.date

    @property
    def control_id(self) -> str:
        return self.course.control_id

    @property
    def certificate_valid(self) -> bool:
        return self.certificate is not None and self.certificate.is_valid_on(self.today)

    @property
    def certificate_pdf_path(self) -> str:
        return certificate_pdf_path(self.certificate.name) if self.certificate else ""


@dataclass
class EmployeeCompliance:
    employee: Employee
    rows: list[ComplianceRow] = field(default_factory=list)

    @property
    def status(self) -> str:
        """The worst status of the employee's rows (compliant when nothing is required)."""
        return max((row.status for row in self.rows), key=SEVERITY.__getitem__, default=COMPLIANT)

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)


def row_status(*, open_due: dt.date | None, certificate: Certificate | None, today: dt.date) -> str:
    if certificate is not None and not certificate.is_valid_on(today):
        return EXPIRED
    if open_due is not None:
        return OVERDUE if open_due < today else DUE
    return COMPLIANT


def _rows_for(
    user_id: int, assignments: list[TrainingAssignment], certificates: dict, quizzes: dict, today: dt.date
) -> list[ComplianceRow]:
    by_course: dict[int, list[TrainingAssignment]] = defaultdict(list)
    for assignment in assignments:
        by_course[assignment.course_id].append(assignment)
    rows = []
    for course_id, items in by_course.items():
        open_dues = [a.due_date for a in items if a.status == AssignmentStatus.ASSIGNED]
        completed = [a for a in items if a.status == AssignmentStatus.COMPLETED]
        last_done = max(completed, key=lambda a: (a.completed_at or EARLIEST, a.pk), default=None)
        certificate = certificates.get((user_id, course_id))
        open_due = min(open_dues, default=None)
        rows.append(
            ComplianceRow(
                course=items[0].course,
                status=row_status(open_due=open_due, certificate=certificate, today=today),
                due_date=open_due or (last_done.due_date if last_done else None),
                completed_at=last_done.completed_at if last_done else None,
                certificate=certificate,
                quiz_submissions=quizzes.get((user_id, course_id), []),
                today=today,
            )
        )
    rows.sort(key=lambda row: (-SEVERITY[row.status], row.due_date or dt.date.max, row.course.title))
    return rows


def list_employee_compliance(
    employees: Sequence[Employee], *, today: dt.date | None = None, quiz_evidence: QuizEvidenceReader = no_quiz_evidence
) -> list[EmployeeCompliance]:
    """The compliance of each employee (in the order given). Three queries for all of them:
    assignments with courses, latest certificates, passing quiz submissions."""
    today = today or timezone.localdate()
    user_ids = sorted({e.user_id for e in employees if e.user_id})
    per_user: dict[int, list[TrainingAssignment]] = defaultdict(list)
    if user_ids:
        for assignment in (
            TrainingAssignment.objects.filter(user_id__in=user_ids)
            .exclude(status=AssignmentStatus.CANCELLED)
            .select_related("course")
            .order_by("pk")
        ):
            per_user[assignment.user_id].append(assignment)
    course_ids = sorted({a.course_id for items in per_user.values() for a in items})
    certificates: dict[tuple[int, int], Certificate] = {}
    quizzes: dict[tuple[int, int], list[QuizEvidence]] = {}
    if course_ids:
        latest = (
            Certificate.objects.filter(member_id__in=user_ids, course_id__in=course_ids)
            .annotate(superseded=newer_certificate_exists())
            .filter(superseded=False)
        )
        certificates = {(c.member_id, c.course_id): c for c in latest}
        quizzes = quiz_evidence(user_ids=user_ids, course_ids=course_ids)
    return [
        EmployeeCompliance(
            e, _rows_for(e.user_id, per_user.get(e.user_id, []), certificates, quizzes, today) if e.user_id else []
        )
        for e in employees
    ]


def get_employee_compliance(
    *, employee: Employee, today: dt.date | None = None, quiz_evidence: QuizEvidenceReader = no_quiz_evidence
) -> EmployeeCompliance:
    return list_employee_compliance([employee], today=today, quiz_evidence=quiz_evidence)[0]


def list_ledger_employees(
    *, search: str = "", department: str = "", attention: bool = False, today: dt.date | None = None
) -> QuerySet[Employee]:
    """Employees with at least one required course (any HR status: leavers keep their history),
    by name. `attention`: only those with an overdue assignment or an expired latest certificate."""
    today = today or timezone.localdate()
    required = TrainingAssignment.objects.filter(user_id=OuterRef("user_id")).exclude(status=AssignmentStatus.CANCELLED)
    queryset = Employee.objects.filter(user__isnull=False).filter(Exists(required)).select_related("user")
    if search.strip():
        text = search.strip()
        queryset = queryset.filter(
            Q(employee__icontains=text) | Q(employee_name__icontains=text) | Q(user__email__icontains=text)
        )
    if department.strip():
        queryset = queryset.filter(department__iexact=department.strip())
    if attention:
        overdue = TrainingAssignment.objects.filter(overdue_q(today=today), user_id=OuterRef("user_id"))
        expired = (
            Certificate.objects.filter(member_id=OuterRef("user_id"), course__isnull=False, expiry_date__lt=today)
            .annotate(superseded=newer_certificate_exists())
            .filter(superseded=False)
        )
        queryset = queryset.filter(Q(Exists(overdue)) | Q(Exists(expired)))
    return queryset.order_by("employee_name", "employee")


# Export (`smoothlms export employee-compliance`) -----------------------------------------------------

EMPLOYEE_COMPLIANCE_HEADER = (
    "employee",
    "employee_name",
    "department",
    "hr_status",
    "user",
    "course",
    "course_title",
    "control_id",
    "status",
    "due_date",
    "completed_at",
    "certificate",
    "issue_date",
    "expiry_date",
    "certificate_pdf",
    "quiz_submission_pdfs",
)


def _export_row(entry: EmployeeCompliance, row: ComplianceRow) -> tuple:
    employee, certificate = entry.employee, row.certificate
    site = settings.SITE_URL
    return (
        employee.employee,
        employee.employee_name,
        employee.department,
        employee.status,
        employee.user.email,
        row.course.name,
        row.course.title,
        row.control_id,
        row.status,
        row.due_date,
        row.completed_at.isoformat(timespec="seconds") if row.completed_at else "",
        certificate.name if certificate else "",
        certificate.issue_date if certificate else "",
        (certificate.expiry_date or "") if certificate else "",
        site + row.certificate_pdf_path if certificate else "",
        " ".join(site + quiz.pdf_path for quiz in row.quiz_submissions),
    )


def employee_compliance_rows(
    filters: Any = None,
    *,
    today: dt.date | None = None,
    chunk_size: int = EXPORT_CHUNK,
    quiz_evidence: QuizEvidenceReader = no_quiz_evidence,
) -> Iterator[tuple]:
    """The ledger as export rows (EMPLOYEE_COMPLIANCE_HEADER), one per employee and required
    course, employees in the order they were recorded, read `chunk_size` employees at a time (keyset), so memory
    stays flat. `filters.member` (an email), when given, keeps that user's rows. Values are plain:
    the export writer defuses formula-like text (CONTRACT.md section 7)."""
    today = today or timezone.localdate()
    required = TrainingAssignment.objects.filter(user_id=OuterRef("user_id")).exclude(status=AssignmentStatus.CANCELLED)
    employees = Employee.objects.filter(user__isnull=False).filter(Exists(required)).select_related("user")
    member = getattr(filters, "member", "") if filters is not None else ""
    if member:
        employees = employees.filter(user__email=member)
    last = None
    while True:
        page = employees.order_by("pk")
        chunk = list((page if last is None else page.filter(pk__gt=last))[:chunk_size])
        for entry in list_employee_compliance(chunk, today=today, quiz_evidence=quiz_evidence):
            for row in entry.rows:
                yield _export_row(entry, row)
        if len(chunk) < chunk_size:
            return
        last = chunk[-1].pk
