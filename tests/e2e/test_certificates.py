"""The compliance loop end to end, in a real browser: a learner completes a course that gives a
certificate; it shows on their portal page, opens as a PDF whose QR code leads to the public
check, appears in the HR Manager's Employee Compliance ledger with the quiz PDF, and in the
export; moving the clock to `expiry - recertify_days_before` opens the recertification and sends
one email."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from smoothlms.assessments.evidence import list_quiz_evidence
from smoothlms.assessments.tests.factories import recorded_submission
from smoothlms.csvio.writer import csv_text
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import EmployeeFactory, UserFactory
from smoothlms.training import tasks
from smoothlms.training.compliance import EMPLOYEE_COMPLIANCE_HEADER, employee_compliance_rows
from smoothlms.training.models import RECERTIFICATION_RULE, TrainingAssignment
from smoothlms.training.services import record_course_completion
from smoothlms.training.tests.factories import certificate_course, complete

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.browser,
]
PASSWORD = "learner-pass-123"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_certificate_portal_ledger_export_and_recertification(
    page, sign_in, live_server, artifacts_dir, chromium, mailoutbox, settings
):
    settings.SITE_URL = live_server.url
    today = timezone.localdate()
    learner = UserFactory(email="ada@example.com", full_name="Ada Lovelace", password=PASSWORD)
    EmployeeFactory(employee="HR-EMP-0042", employee_name="Ada Lovelace", department="Warehouse", user=learner)
    UserFactory(email="hr@example.com", full_name="Hana HR", password=PASSWORD, roles=[Role.HR_MANAGER])
    course = certificate_course(title="Forklift Safety", validity_months=12, control_id="OSHA-1910.178")
    TrainingAssignment.objects.create(user=learner, course=course, due_date=today + dt.timedelta(days=14))
    quiz = recorded_submission(
        member=learner,
        course=course,
        quiz="Forklift final check",
        score=18,
        score_out_of=20,
        percentage=Decimal("90"),
        passed=True,
    )

    # The learner completes the course (learning's completion calls this in its transaction).
    complete(learner, course)
    (certificate,) = record_course_completion(member=learner, course=course, actor=learner).certificates
    certificate.refresh_from_db()
    assert certificate.pdf, "the worker renders the PDF after commit"

    # Portal: the certificate with its expiry, the completed assignment.
    sign_in("ada@example.com", PASSWORD)
    page.goto("/lms/courses")
    row = page.locator(f'[data-certificate="{certificate.name}"]')
    assert "Forklift Safety" in row.inner_text() and "Valid until" in row.inner_text()
    assert page.locator("[data-assignment] .badge").first.inner_text() == "Completed"
    page.screenshot(path=str(artifacts_dir / "portal-courses-certificates.png"), full_page=True)
    pdf = page.request.get(f"/lms/certificates/{certificate.name}.pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(PdfReader(io.BytesIO(pdf.body())).pages[0].extract_text().split())
    assert "Ada Lovelace" in text and "Forklift Safety" in text and certificate.name in text
    (artifacts_dir / "certificate.pdf").write_bytes(pdf.body())
    if shutil.which("pdftoppm"):
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "80",
                "-singlefile",
                str(artifacts_dir / "certificate.pdf"),
                str(artifacts_dir / "certificate-pdf"),
            ],
            check=True,
        )

    # The public check, as a phone that scanned the QR code would open it: no session.
    anonymous = chromium.new_context(base_url=live_server.url)
    check = anonymous.new_page()
    check.goto(f"/verify/{certificate.name}")
    assert check.inner_text("[data-verify-status]") == "Valid"
    assert "ada@example.com" not in check.inner_text("main") and "HR-EMP-0042" not in check.inner_text("main")
    check.screenshot(path=str(artifacts_dir / "verify-certificate.png"), full_page=True)
    assert check.goto("/verify/NOSUCHCERT").status == 404
    anonymous.close()

    # HR: the ledger and the employee's page, with the certificate and quiz PDFs.
    page.context.clear_cookies()
    sign_in("hr@example.com", PASSWORD)
    page.goto("/app/employee-compliance")
    assert page.locator("[data-employee=HR-EMP-0042]").get_attribute("data-status") == "compliant"
    page.screenshot(path=str(artifacts_dir / "employee-compliance.png"), full_page=True)
    page.click("text=Ada Lovelace")
    page.wait_for_url("**/app/employee-compliance/HR-EMP-0042")
    row = page.locator(f'[data-course="{course.name}"]')
    assert "OSHA-1910.178" in row.inner_text()
    evidence = row.locator("[data-evidence=certificate]")
    assert evidence.get_attribute("href") == f"/lms/certificates/{certificate.name}.pdf"
    assert row.locator("[data-evidence=quiz]").get_attribute("href") == f"/api/v1/quiz-submissions/{quiz.pk}.pdf"
    page.screenshot(path=str(artifacts_dir / "employee-compliance-detail.png"), full_page=True)
    assert page.request.get(f"/lms/certificates/{certificate.name}.pdf").status == 200  # HR may open the evidence

    # The export (the rows `smoothlms export employee-compliance` writes).
    export = csv_text(EMPLOYEE_COMPLIANCE_HEADER, employee_compliance_rows(quiz_evidence=list_quiz_evidence))
    assert (
        f"HR-EMP-0042,Ada Lovelace,Warehouse,Active,ada@example.com,{course.name},Forklift Safety,"
        f"OSHA-1910.178,compliant" in export
    )
    assert certificate.name in export and f"/api/v1/quiz-submissions/{quiz.pk}.pdf" in export

    # The clock moves to 30 days before expiry: the worker's daily job recertifies, and says so once.
    window = timezone.make_aware(dt.datetime.combine(certificate.expiry_date - dt.timedelta(days=30), dt.time(6)))
    assert tasks.recertify_expiring(now=window) == 1
    assert tasks.recertify_expiring(now=window + dt.timedelta(days=1)) == 0
    renewal = TrainingAssignment.objects.get(assigned_by_rule=RECERTIFICATION_RULE)
    assert (renewal.user, renewal.due_date, renewal.renews) == (learner, certificate.expiry_date, certificate)
    assert [message.to for message in mailoutbox] == [["ada@example.com"]]
    assert "Recertify Forklift Safety" in mailoutbox[0].subject
