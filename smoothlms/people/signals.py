"""What the accounts announce to the apps above people. people sits below the apps that send
email, so it names none of them: notifications connects its receivers in its AppConfig.ready()."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction that wrote pending set-password emails (UserInvitation rows), with
# `user_ids`: they are to go out once it commits.
set_password_emails_pending = Signal()

# Sent inside the transaction in which `user` chose a password (a set-password link): what was
# held until then (cohort confirmations, LMS Settings' hold) may go.
password_set = Signal()

# Sent inside the purge's transaction with `user_id`: what an app above keeps that prints the
# person's name (a certificate's stored PDF) is to go once it commits.
user_purged = Signal()
