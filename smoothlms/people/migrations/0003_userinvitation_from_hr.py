"""UserInvitation comes over from hr with its table (hr_userinvitation), its constraint, its index
and every row: a state-only CreateModel, the content type follows (admin log entries keep pointing
at the same model). Then the one new column: `next_attempt`, the lease and backoff of the one
delivery path every email takes (notifications.delivery)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor, *, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label=new, model="userinvitation").exists():
        ContentType.objects.filter(app_label=old, model="userinvitation").update(app_label=new)


def forwards(apps, schema_editor) -> None:
    move_content_type(apps, schema_editor, old="hr", new="people")


def backwards(apps, schema_editor) -> None:
    move_content_type(apps, schema_editor, old="people", new="hr")


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("hr", "0003_userinvitation_moves_to_people"),
        ("people", "0002_roles"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="UserInvitation",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("kind", models.CharField(default="invitation", max_length=16)),
                        ("status", models.CharField(choices=[("pending", "Pending"), ("sent", "Sent"),
                                                             ("failed", "Failed"), ("skipped", "Skipped")],
                                                    default="pending", max_length=16)),
                        ("attempts", models.PositiveIntegerField(default=0)),
                        ("error", models.TextField(blank=True)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                   related_name="invitations", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name": "set-password email",
                        "ordering": ["-created_at", "-id"],
                        "db_table": "hr_userinvitation",
                        "indexes": [models.Index(fields=["status", "created_at"], name="hr_userinvi_status_c63acc_idx")],
                        "constraints": [models.CheckConstraint(
                            condition=models.Q(("status__in", ["pending", "sent", "failed", "skipped"])),
                            name="userinvitation_status_valid")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
        migrations.AddField(
            model_name="userinvitation",
            name="next_attempt",
            field=models.DateTimeField(blank=True, null=True,
                                       help_text="While pending: a claim's lease, or the retry's time after a failure."),
        ),
    ]
