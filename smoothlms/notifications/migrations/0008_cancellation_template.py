from django.db import migrations

NAME = "Enrollment Cancelled"
SUBJECT = "Cancelled: {{ batch_title }}"
TEXT = """Hello {{ member_name }},

Your place in the cohort "{{ batch_title }}" ({{ starts_at }}, {{ timezone }}) is cancelled.

Why: {{ cancellation_reason }}
{% if live_classes %}
The attached calendar update removes its live classes from your calendar.
{% endif %}
Your courses: {{ courses_url }}
"""
HTML = """<p>Hello {{ member_name }},</p>
<p>Your place in the cohort <strong>{{ batch_title }}</strong> ({{ starts_at }}, {{ timezone }}) is cancelled.</p>
<p>Why: {{ cancellation_reason }}</p>
{% if live_classes %}<p>The attached calendar update removes its live classes from your calendar.</p>{% endif %}
<p><a href="{{ courses_url }}">Your courses</a></p>
"""


def create_default(apps, schema_editor):
    EmailTemplate = apps.get_model("notifications", "EmailTemplate")
    LMSSettings = apps.get_model("catalog", "LMSSettings")
    template, _ = EmailTemplate.objects.get_or_create(
        name=NAME, defaults={"subject": SUBJECT, "body_text": TEXT, "body_html": HTML})
    settings, _ = LMSSettings.objects.get_or_create(pk=1)
    if settings.cancellation_template_id is None:
        settings.cancellation_template = template
        settings.save(update_fields=["cancellation_template"])


class Migration(migrations.Migration):
    dependencies = [("notifications", "0007_cancellationnotice"), ("catalog", "0007_lmssettings_cancellation_template")]
    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
