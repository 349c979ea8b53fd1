"""What training does when people announce something (people.signals): connected in
TrainingConfig.ready()."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.dispatch import receiver

from smoothlms.people.signals import user_purged
from smoothlms.training.rendering import discard_certificate_pdfs


@receiver(user_purged, dispatch_uid="training.discard_certificate_pdfs")
def _discard_certificate_pdfs(sender, *, user_id: int, **kwargs) -> None:
    """A purged person's certificates stay; their stored PDFs print the old name and go after commit."""
    transaction.on_commit(partial(discard_certificate_pdfs, member_id=user_id), robust=True)
