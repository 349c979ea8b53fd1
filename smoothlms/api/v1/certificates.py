"""Certificates and compliance: the caller's certificates, and an employee's compliance ledger
(HR Manager, System Manager)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router
from pydantic import BaseModel, Field

from smoothlms.api.v1.auth import HR, require_roles
from smoothlms.api.v1.errors import AUTH, VALIDATION, responses
from smoothlms.api.v1.schemas import Page, envelope, list_envelope, paginate, text
from smoothlms.assessments.evidence import list_quiz_evidence
from smoothlms.hr.selectors import get_employee
from smoothlms.training.compliance import STATUSES, ComplianceRow, get_employee_compliance
from smoothlms.training.models import Certificate
from smoothlms.training.selectors import list_member_certificates

router = Router(tags=["certificates"])
HRId = text(140, min_length=1, description="The HR id, e.g. HR-EMP-00001.")


class CertificateOut(BaseModel):
    name: str = Field(description="The certificate number, as in /verify/<name>.")
    member: str = Field(description="The holder's email.")
    course: str | None = Field(description="The course's name; null for a cohort certificate.")
    batch: str | None = Field(description="The cohort's name, when it came through one.")
    issue_date: dt.date
    expiry_date: dt.date | None = Field(description="null: no expiry.")
    valid: bool = Field(description="Not expired today (valid up to and including the expiry date).")


def certificate_data(certificate: Certificate, *, today: dt.date) -> dict[str, Any]:
    return {
        "name": certificate.name,
        "member": certificate.member.email,
        "course": certificate.course.name if certificate.course_id else None,
        "batch": certificate.batch.name if certificate.batch_id else None,
        "issue_date": certificate.issue_date,
        "expiry_date": certificate.expiry_date,
        "valid": certificate.is_valid_on(today),
    }


@router.get(
    "/me/certificates",
    summary="My certificates",
    **responses(200, list_envelope(CertificateOut), {**AUTH, **VALIDATION}),
)
def my_certificates(request: HttpRequest, page: Query[Page]):
    """The caller's certificates, newest first."""
    today = timezone.localdate()
    return paginate(
        list_member_certificates(member=request.auth),
        page,
        lambda certificate: certificate_data(certificate, today=today),
    )


class EvidenceCertificateOut(BaseModel):
    name: str
    issue_date: dt.date
    expiry_date: dt.date | None
    valid: bool
    pdf_url: str


class EvidenceQuizOut(BaseModel):
    id: int
    quiz: str
    percentage: float
    submitted_at: dt.datetime
    pdf_url: str


class ComplianceItemOut(BaseModel):
    course: str = Field(description="The course's name.")
    course_title: str
    control_id: str = Field(description="The compliance control ID of the course (blank when none).")
    status: str = Field(description="One of " + ", ".join(STATUSES) + ".")
    due_date: dt.date | None = Field(description="Of the open assignment, else of the latest completed one.")
    completed_at: dt.datetime | None
    certificate: EvidenceCertificateOut | None = Field(description="The latest certificate of the course.")
    quiz_submissions: list[EvidenceQuizOut] = Field(description="Passing quiz submissions of the course.")


class ComplianceOut(BaseModel):
    employee: str
    employee_name: str
    status: str = Field(description="The worst status of the items (compliant when there are none).")
    items: list[ComplianceItemOut] = Field(description="One per required course (from training assignments).")


def _item(row: ComplianceRow) -> dict[str, Any]:
    site, certificate = settings.SITE_URL, row.certificate
    return {
        "course": row.course.name,
        "course_title": row.course.title,
        "control_id": row.control_id,
        "status": row.status,
        "due_date": row.due_date,
        "completed_at": row.completed_at,
        "certificate": None
        if certificate is None
        else {
            "name": certificate.name,
            "issue_date": certificate.issue_date,
            "expiry_date": certificate.expiry_date,
            "valid": row.certificate_valid,
            "pdf_url": site + row.certificate_pdf_path,
        },
        "quiz_submissions": [
            {
                "id": quiz.id,
                "quiz": quiz.quiz,
                "percentage": float(quiz.percentage),
                "submitted_at": quiz.submitted_at,
                "pdf_url": site + quiz.pdf_path,
            }
            for quiz in row.quiz_submissions
        ],
    }


@router.get(
    "/employees/{employee}/compliance",
    summary="An employee's compliance",
    **responses(
        200,
        envelope(ComplianceOut),
        {
            **AUTH,
            403: "`permission_denied`: only HR Managers and System Managers read compliance.",
            404: "`not_found`: No employee with HR id {employee}.",
            **VALIDATION,
        },
    ),
)
def employee_compliance(request: HttpRequest, employee: HRId):
    """Per required course: status, control ID and the evidence (certificate and quiz-submission
    PDFs). Leavers keep their ledger."""
    require_roles(request.auth, *HR)
    ledger = get_employee_compliance(employee=get_employee(employee=employee), quiz_evidence=list_quiz_evidence)
    return {
        "data": {
            "employee": ledger.employee.employee,
            "employee_name": ledger.employee.employee_name,
            "status": ledger.status,
            "items": [_item(row) for row in ledger.rows],
        }
    }
