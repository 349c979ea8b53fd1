"""Email templates cannot allocate gigabytes or leak the context (CONTRACT.md section 10): {% debug %},
{% lorem %} past a small count and padding or truncating numbers past a small bound are refused when
the template is saved and again when it is rendered, and a render stops past a size cap."""

from __future__ import annotations

import time

import pytest

from smoothlms.enrollment.models import BatchEnrollment, EmailStatus, Source
from smoothlms.enrollment.services import enroll
from smoothlms.notifications.errors import TemplateLimitExceeded
from smoothlms.notifications.models import EmailTemplate
from smoothlms.notifications.rendering import MAX_RENDER_CHARS, render_email
from smoothlms.notifications.tests.test_templates import errors_of

pytestmark = pytest.mark.django_db

REFUSED = [
    ("{% debug %}", "{% debug %} is not allowed in email templates."),
    ("{% lorem 100000000 w %}", "{% lorem %} takes a number up to 20."),
    ("{% lorem member_name p %}", "{% lorem %} takes a number up to 20."),
    ("{{ member_name|ljust:100000000 }}", "ljust:100000000 is past the limit of 1000."),
    ("{{ member_name|rjust:'5000' }}", "rjust:5000 is past the limit of 1000."),
    ("{{ member_name|center:1001 }}", "center:1001 is past the limit of 1000."),
    ("{% if courses %}{{ batch_title|truncatechars:99999 }}{% endif %}", "truncatechars:99999 is past the limit"),
    ("{% filter center:5000 %}x{% endfilter %}", "center:5000 is past the limit of 1000."),
    ("{{ member_name|stringformat:'99999s' }}", "stringformat:99999s is past the limit of 1000."),
    (
        "{{ member_name|ljust:1000|make_list|join:'0123456789'|make_list|join:'0123456789'|make_list|join:'-' }}",
        f"the filter join would produce more than {MAX_RENDER_CHARS:,} characters.",
    ),
    (
        "{% for a in member_name|ljust:1000|make_list %}{% for b in member_name|ljust:1000|make_list %}"
        "{{ b }}{% endfor %}{% endfor %}",
        f"it would produce more than {MAX_RENDER_CHARS:,} characters.",
    ),
]


@pytest.mark.parametrize(("source", "message"), REFUSED)
def test_an_unbounded_template_is_refused_when_saved_and_nothing_is_stored(source, message):
    started = time.process_time()  # CPU time of this process: the work done, however busy the machine
    errors = errors_of(body_text=source)
    assert time.process_time() - started < 3
    assert list(errors) == ["body_text"]
    assert errors["body_text"][0].startswith("Template refused: " + message), errors["body_text"][0]
    assert not EmailTemplate.objects.filter(name="Check").exists()


@pytest.mark.parametrize(
    "source",
    [
        "{% lorem 20 w %}",
        "{% lorem 3 p %}",
        "{{ member_name|ljust:1000 }}",
        "{{ batch_title|truncatechars:40 }}",
        "{{ starts_at|stringformat:'30s' }}",
    ],
)
def test_small_counts_and_bounds_are_fine(source):
    EmailTemplate(name="Fine", subject="Hi", body_text=source).full_clean()


@pytest.mark.parametrize(("source", "message"), REFUSED)
def test_a_template_stored_around_the_check_is_refused_when_rendered(source, message):
    template = EmailTemplate(name="Old", subject="Hi", body_text=source)
    with pytest.raises(TemplateLimitExceeded) as refused:
        render_email(template, {"member_name": "Asha Rao", "batch_title": "Week 12", "courses": ["a"]})
    assert refused.value.user_message().startswith("Template refused: " + message)


def test_a_variable_filter_argument_is_checked_when_the_filter_runs():
    template = EmailTemplate(name="Old", subject="Hi", body_text="{{ member_name|ljust:member_email }}")
    with pytest.raises(TemplateLimitExceeded):
        render_email(template, {"member_name": "Asha", "member_email": "100000000"})
    assert render_email(template, {"member_name": "Asha", "member_email": "6"}).text == "Asha  "


def test_a_confirmation_with_a_template_stored_around_the_check_fails_visibly_and_sends_nothing(
    smtp, batch, learner, django_capture_on_commit_callbacks
):
    batch.confirmation_email_template = EmailTemplate.objects.create(  # create() skips the model's checks
        name="Huge", subject="Hi", body_text="{% lorem 100000000 w %}"
    )
    batch.save()
    started = time.process_time()
    with django_capture_on_commit_callbacks(execute=True):
        enroll(batch=batch, member=learner.email, actor=None, source=Source.DESK)
    assert time.process_time() - started < 5
    enrollment = BatchEnrollment.objects.get()
    assert enrollment.confirmation_email_status == EmailStatus.FAILED
    assert "Template refused: {% lorem %} takes a number up to 20." in enrollment.confirmation_email_error
    assert smtp.received == []
