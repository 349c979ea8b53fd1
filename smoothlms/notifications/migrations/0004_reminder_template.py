from django.db import migrations

NAME = "Batch Reminder"
SUBJECT = "Reminder: {{ batch_title }} starts tomorrow"
TEXT = """Hello {{ member_name }},

Your cohort "{{ batch_title }}" starts tomorrow.

Starts: {{ starts_at }} ({{ timezone }})
Ends:   {{ ends_at }} ({{ timezone }})
{% if live_classes %}
Live classes:
{% for live_class in live_classes %}  - {{ live_class.title }}: {{ live_class.starts_at }} ({{ live_class.timezone }}){% if live_class.join_url %} {{ live_class.join_url }}{% endif %}
{% endfor %}{% endif %}
Cohort page: {{ batch_url }}
Your courses: {{ courses_url }}
Your timetable: {{ timetable_url }}
"""
HTML = """<p>Hello {{ member_name }},</p>
<p>Your cohort <strong>{{ batch_title }}</strong> starts tomorrow.</p>
<p>Starts: {{ starts_at }} ({{ timezone }})<br>Ends: {{ ends_at }} ({{ timezone }})</p>
{% if live_classes %}<p>Live classes:</p><ul>{% for live_class in live_classes %}<li>{{ live_class.title }}: {{ live_class.starts_at }} ({{ live_class.timezone }}){% if live_class.join_url %} <a href="{{ live_class.join_url }}">join</a>{% endif %}</li>{% endfor %}</ul>{% endif %}
<p><a href="{{ batch_url }}">Cohort page</a> · <a href="{{ courses_url }}">Your courses</a> · <a href="{{ timetable_url }}">Your timetable</a></p>
"""


def create_defaults(apps, schema_editor):
    EmailTemplate = apps.get_model("notifications", "EmailTemplate")
    PeriodicJob = apps.get_model("notifications", "PeriodicJob")
    EmailTemplate.objects.get_or_create(name=NAME, defaults={"subject": SUBJECT, "body_text": TEXT, "body_html": HTML})
    for name in ("sweep_email_queue", "send_reminders", "prune_task_results"):
        PeriodicJob.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0003_periodic_jobs_and_reminders")]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
