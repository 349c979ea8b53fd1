"""LMS Settings' "hold emails until a password is set" is on by default. The site's one settings row
(made by notifications 0002) is switched on only in a database with no cohort yet (a fresh install):
a site already in use keeps what it had."""

from django.db import migrations, models


def hold_on_fresh_sites(apps, schema_editor):
    LMSSettings = apps.get_model("catalog", "LMSSettings")
    Batch = apps.get_model("catalog", "Batch")
    if Batch.objects.exists():
        return
    row, created = LMSSettings.objects.get_or_create(pk=1, defaults={"hold_emails_until_password_set": True})
    if not created and not row.hold_emails_until_password_set:
        LMSSettings.objects.filter(pk=1).update(hold_emails_until_password_set=True)


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0005_waitlist_seat_email'),
    ]

    operations = [
        migrations.AlterField(
            model_name='lmssettings',
            name='hold_emails_until_password_set',
            field=models.BooleanField(default=True, help_text='Send cohort confirmations only once the learner has set a password.'),
        ),
        migrations.RunPython(hold_on_fresh_sites, migrations.RunPython.noop),
    ]
