"""PeriodicJob moves to core (core.scheduling): only Django's state changes here. The table and
its rows stay as they are; core's migration 0004 takes the model over under the same table name."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [("notifications", "0004_reminder_template")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="PeriodicJob")],
            database_operations=[],
        ),
    ]
