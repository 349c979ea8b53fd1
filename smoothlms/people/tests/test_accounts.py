"""Set-password pages and emails: the invitation of a provisioned user, "Forgot password?"."""

from __future__ import annotations

import re

import pytest

from smoothlms.catalog.models import LMSSettings
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.enrollment.models import Source
from smoothlms.enrollment.services import enroll
from smoothlms.hr.services import provision_employee
from smoothlms.hr.tests.factories import record
from smoothlms.people.accounts import request_password_reset
from smoothlms.people.models import User
from smoothlms.people.services import set_user_enabled
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
LINK = re.compile(r"http://testserver(/login/set-password/[^/\s]+/[^/\s]+)")
PASSWORD = "a sturdy passphrase 42"


def provisioned(django_capture_on_commit_callbacks, email="ana@example.com") -> User:
    with django_capture_on_commit_callbacks(execute=True):
        employee, _ = provision_employee(record=record("HR-1", company_email=email), actor=None, source="api")
    return employee.user


def link_in(message) -> str:
    return LINK.search(message.body).group(1)


def test_invitation_link_lets_the_user_choose_a_password_and_signs_them_in(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    user = provisioned(django_capture_on_commit_callbacks)
    assert mailoutbox[0].subject == "Set your password for Smooth LMS"
    url = link_in(mailoutbox[0])
    page = client.get(url)  # the token moves into the session, out of the URL (no Referer leak)
    assert page.status_code == 302 and page["Location"].endswith("/set-password")
    form = client.get(page["Location"])
    assert b"Choose your password" in form.content and b"ana@example.com" in form.content
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(page["Location"], {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/lms/courses"
    user.refresh_from_db()
    assert user.password_set and user.check_password(PASSWORD)
    assert client.get("/lms/courses").wsgi_request.user == user
    client.logout()
    assert b"This link no longer works" in client.get(url).content  # used once


def test_setting_the_password_releases_held_cohort_confirmations(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    lms = LMSSettings.load()
    lms.hold_emails_until_password_set = True
    lms.save()
    user = provisioned(django_capture_on_commit_callbacks)
    batch = BatchFactory(courses=[CourseFactory()])
    with django_capture_on_commit_callbacks(execute=True):
        enroll(batch=batch, member=user, actor=None, source=Source.HR_RULE)
    assert [m.to for m in mailoutbox] == [["ana@example.com"]]  # the invitation only: the confirmation is held
    page = client.get(link_in(mailoutbox[0]))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(page["Location"], {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert len(mailoutbox) == 2
    assert batch.title in mailoutbox[1].subject + mailoutbox[1].body


def test_mismatched_or_weak_passwords_are_refused(client, django_capture_on_commit_callbacks, mailoutbox):
    user = provisioned(django_capture_on_commit_callbacks)
    page = client.get(link_in(mailoutbox[0]))
    answer = client.post(page["Location"], {"new_password1": PASSWORD, "new_password2": PASSWORD + "x"})
    assert answer.status_code == 200 and "didn’t match" in answer.content.decode()
    answer = client.post(page["Location"], {"new_password1": "short", "new_password2": "short"})
    assert answer.status_code == 200 and b"too short" in answer.content
    user.refresh_from_db()
    assert not user.password_set and not user.has_usable_password()


def test_bad_or_disabled_links_do_not_work(client, django_capture_on_commit_callbacks, mailoutbox):
    user = provisioned(django_capture_on_commit_callbacks)
    url = link_in(mailoutbox[0])
    assert b"This link no longer works" in client.get(url[:-3] + "abc").content
    set_user_enabled(user=user, enabled=False, actor=None)
    assert b"This link no longer works" in client.get(url).content


def test_forgot_password_sends_a_link_to_known_enabled_users_only(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    UserFactory(email="bo@example.com")
    gone = UserFactory(email="gone@example.com")
    set_user_enabled(user=gone, enabled=False, actor=None)
    login = client.get("/login").content.decode()
    assert '<a href="/login/forgot-password">Forgot password?</a>' in login
    answers = []
    for email in ["BO@example.com", "nobody@example.com", "gone@example.com"]:
        with django_capture_on_commit_callbacks(execute=True):
            answers.append(client.post("/login/forgot-password", {"email": email}).content)
    assert len(set(answers)) == 1  # the same page whoever asks: no way to learn who has an account
    assert b"If an account exists for that address" in answers[0]
    assert [m.to for m in mailoutbox] == [["bo@example.com"]]
    assert mailoutbox[0].subject == "Choose a new password for Smooth LMS"
    page = client.get(link_in(mailoutbox[0]))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(page["Location"], {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert User.objects.get(email="bo@example.com").check_password(PASSWORD)


def test_forgot_password_sends_at_most_one_link_a_minute(django_capture_on_commit_callbacks, mailoutbox):
    UserFactory(email="bo@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        assert request_password_reset(email="bo@example.com") is True
        assert request_password_reset(email="bo@example.com") is False
    assert len(mailoutbox) == 1
