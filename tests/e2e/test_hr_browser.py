"""A provisioned employee in a real browser: the invitation link, choosing a password, signing in;
and "Forgot password?" from /login."""

from __future__ import annotations

import re

import pytest

from smoothlms.hr.records import EmployeeRecord
from smoothlms.hr.services import provision_employee
from smoothlms.people.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
LINK = re.compile(r"https?://[^/\s]+(/login/set-password/\S+)")
PASSWORD = "a sturdy passphrase 42"


def test_new_employee_sets_a_password_from_the_invitation_and_signs_in(page, sign_in, mailoutbox, artifacts_dir):
    provision_employee(
        record=EmployeeRecord(
            employee="HR-1", employee_name="Ana Lima", status="Active", company_email="ana@example.com"
        ),
        actor=None,
        source="api",
    )
    assert [m.to for m in mailoutbox] == [["ana@example.com"]]
    page.goto(LINK.search(mailoutbox[0].body).group(1))
    assert page.inner_text("h1") == "Choose your password"
    page.fill("#id_new_password1", PASSWORD)
    page.fill("#id_new_password2", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/lms/courses")
    page.screenshot(path=str(artifacts_dir / "hr-set-password-done.png"))
    page.click("text=Sign out")
    sign_in("ANA@example.com", PASSWORD)
    assert "/login" not in page.url


def test_forgot_password_from_the_sign_in_page(page, mailoutbox):
    UserFactory(email="bo@example.com")
    page.goto("/login")
    page.click("text=Forgot password?")
    page.fill("#id_email", "bo@example.com")
    page.click("button[type=submit]")
    assert "If an account exists for that address" in page.inner_text("[role=status]")
    assert [m.to for m in mailoutbox] == [["bo@example.com"]]
