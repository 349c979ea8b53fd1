"""UserInvitation (the set-password emails) moves to people, with the accounts: only Django's state
changes here. The table and its rows stay as they are; people's migration 0003 takes the model
over under the same table name."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [("hr", "0002_onboarding_invitations")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="UserInvitation")],
            database_operations=[],
        ),
    ]
