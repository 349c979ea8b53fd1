from django.db import migrations

NAME = "Waitlist Seat"
SUBJECT = "You have a seat in {{ batch_title }}"
TEXT = """Hello {{ member_name }},

You have a seat: a place opened in the cohort "{{ batch_title }}" and, as the next on its waitlist,
you are now enrolled.

Starts: {{ starts_at }} ({{ timezone }})
Ends:   {{ ends_at }} ({{ timezone }})
{% if courses %}
Courses:
{% for course in courses %}  - {{ course }}
{% endfor %}{% endif %}{% if live_classes %}
Live classes:
{% for live_class in live_classes %}  - {{ live_class.title }}: {{ live_class.starts_at }} ({{ live_class.timezone }})
{% endfor %}{% endif %}
Cohort page: {{ batch_url }}
Your courses: {{ courses_url }}
Your timetable: {{ timetable_url }}

The attached invitation adds the cohort's sessions to your calendar.
"""
HTML = """<p>Hello {{ member_name }},</p>
<p><strong>You have a seat</strong>: a place opened in the cohort <strong>{{ batch_title }}</strong> and, as the next on its waitlist, you are now enrolled.</p>
<p>Starts: {{ starts_at }} ({{ timezone }})<br>Ends: {{ ends_at }} ({{ timezone }})</p>
{% if courses %}<p>Courses:</p><ul>{% for course in courses %}<li>{{ course }}</li>{% endfor %}</ul>{% endif %}
{% if live_classes %}<p>Live classes:</p><ul>{% for live_class in live_classes %}<li>{{ live_class.title }}: {{ live_class.starts_at }} ({{ live_class.timezone }})</li>{% endfor %}</ul>{% endif %}
<p><a href="{{ batch_url }}">Cohort page</a> · <a href="{{ courses_url }}">Your courses</a> · <a href="{{ timetable_url }}">Your timetable</a></p>
"""


def create_default(apps, schema_editor):
    EmailTemplate = apps.get_model("notifications", "EmailTemplate")
    LMSSettings = apps.get_model("catalog", "LMSSettings")
    template, _ = EmailTemplate.objects.get_or_create(
        name=NAME, defaults={"subject": SUBJECT, "body_text": TEXT, "body_html": HTML})
    settings, _ = LMSSettings.objects.get_or_create(pk=1)
    if settings.waitlist_promotion_template_id is None:
        settings.waitlist_promotion_template = template
        settings.save(update_fields=["waitlist_promotion_template"])


class Migration(migrations.Migration):
    dependencies = [("notifications", "0005_periodicjob_moves_to_core"), ("catalog", "0005_waitlist_seat_email")]
    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
