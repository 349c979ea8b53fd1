"""Templates are checked when saved (model validation, the desk's form), not at send time."""

import pytest
from django.core.exceptions import ValidationError

from smoothlms.notifications.models import EmailTemplate
from smoothlms.notifications.rendering import VARIABLES, validate_template_source
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def errors_of(**fields):
    template = EmailTemplate(name="Check", **{"subject": "Hi", "body_text": "Hello", **fields})
    with pytest.raises(ValidationError) as caught:
        template.full_clean()
    return caught.value.message_dict


@pytest.mark.parametrize(
    "source",
    [
        "Hello {{ member_name }}, you start {{ starts_at }} ({{ timezone }}).",
        "{% for course in courses %}{{ forloop.counter }}. {{ course|upper }}{% empty %}none{% endfor %}",
        "{% for lc in live_classes %}{{ lc.title }} {{ lc.starts_at }} {{ lc.join_url|default:batch_url }}{% endfor %}",
        "{% if courses|length > 1 and live_classes %}many{% else %}{{ batch_title|truncatechars:10 }}{% endif %}",
        "{% with n=courses|length %}{{ n }} course{{ n|pluralize }}{% endwith %}",
    ],
)
def test_templates_using_documented_variables_pass(source):
    validate_template_source(source)
    EmailTemplate(name="Fine", subject="You are in {{ batch_title }}", body_text=source, body_html=source).full_clean()


def test_the_shipped_templates_pass():
    for template in EmailTemplate.objects.all():
        template.full_clean()
    assert set(EmailTemplate.objects.values_list("name", flat=True)) >= {"Batch Confirmation", "Batch Reminder"}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("Hello {{ member_name", "Template error: an unclosed or stray {{ or {% is left in the text."),
        ("{{ member_name|shout }}", "Template error: Invalid filter: 'shout'"),
        ("{% frobnicate %}", "Template error: Invalid block tag on line 1: 'frobnicate'."),
        ("{% load static %}", "Template error: 'static' is not a registered tag library."),
        ("{% include 'admin/base.html' %}", "Template error: admin/base.html"),
        (
            "{% for a, b in courses %}{{ a }}{{ b }}{% endfor %}",
            "Template error while rendering: ValueError: Need 2 values to unpack in for loop; got 10.",
        ),
        ("Dear {{ member_nmae }}", "Unknown variable member_nmae. Available: member_name, member_email, "),
        ("{% if not courses %}{{ typo }}{% endif %}", "Unknown variable typo."),
        ("{% if vip %}Welcome back{% endif %}", "Unknown variable vip."),
        ("{% for lc in live_classes %}{{ lc.titel }}{% endfor %}", "Unknown variable lc.titel."),
        ("{% for c in cources %}{{ c }}{% endfor %}", "Unknown variable cources."),
    ],
)
def test_rendering_errors_are_refused_when_saved(source, message):
    errors = errors_of(body_text=source)
    assert list(errors) == ["body_text"]
    assert errors["body_text"][0].startswith(message), errors["body_text"][0]
    assert not EmailTemplate.objects.filter(name="Check").exists()


def test_each_part_is_checked():
    assert list(errors_of(subject="{{ oops }}")) == ["subject"]
    assert list(errors_of(body_html="<p>{{ member_name|nope }}</p>")) == ["body_html"]


def test_the_desk_form_refuses_a_broken_template_and_lists_the_variables(client):
    client.force_login(UserFactory(roles=[Role.SYSTEM_MANAGER]))
    page = client.get("/app/notifications/emailtemplate/add/")
    assert page.status_code == 200
    html = page.content.decode()
    for variable in VARIABLES:
        assert f"<code>{{{{ {variable.name} }}}}</code>" in html
    response = client.post(
        "/app/notifications/emailtemplate/add/",
        {
            "name": "Broken",
            "subject": "Hi {{ member_name }}",
            "body_text": "{{ starts_at|fancy }}",
            "body_html": "",
        },
    )
    assert response.status_code == 200
    assert "Template error: Invalid filter: &#x27;fancy&#x27;" in response.content.decode()
    assert not EmailTemplate.objects.filter(name="Broken").exists()

    response = client.post(
        "/app/notifications/emailtemplate/add/",
        {
            "name": "Fine",
            "subject": "Hi {{ member_name }}",
            "body_text": "Starts {{ starts_at }}",
            "body_html": "",
        },
    )
    assert response.status_code == 302
    assert EmailTemplate.objects.filter(name="Fine").exists()
