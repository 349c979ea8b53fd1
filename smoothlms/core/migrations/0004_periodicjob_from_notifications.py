"""PeriodicJob comes over from notifications with its table (notifications_periodicjob) and every
row in it: a state-only CreateModel, and the content type follows so that anything pointing at it
(admin log entries, permissions) keeps pointing at the same model."""

from django.db import migrations, models


def move_content_type(apps, schema_editor, *, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label=new, model="periodicjob").exists():
        ContentType.objects.filter(app_label=old, model="periodicjob").update(app_label=new)


def forwards(apps, schema_editor) -> None:
    move_content_type(apps, schema_editor, old="notifications", new="core")


def backwards(apps, schema_editor) -> None:
    move_content_type(apps, schema_editor, old="core", new="notifications")


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0003_email_resend_event"),
        ("notifications", "0005_periodicjob_moves_to_core"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="PeriodicJob",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("name", models.CharField(max_length=64, unique=True)),
                        ("last_period", models.BigIntegerField(default=0,
                                                               help_text="Number of the last period enqueued.")),
                        ("last_enqueued_at", models.DateTimeField(blank=True, null=True)),
                        ("last_worker", models.CharField(blank=True, max_length=128)),
                    ],
                    options={
                        "verbose_name": "periodic job",
                        "ordering": ["name"],
                        "db_table": "notifications_periodicjob",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
