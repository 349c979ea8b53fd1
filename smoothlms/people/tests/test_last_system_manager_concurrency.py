"""Two System Managers disabling each other at once: one change wins, the other is refused with
last_system_manager, and one enabled System Manager is left (a lock, not a read then a write)."""

from __future__ import annotations

import time

import pytest
from django.db import connection, transaction

from smoothlms.core.testing import run_in_threads
from smoothlms.people.errors import LastSystemManager
from smoothlms.people.models import User
from smoothlms.people.roles import Role
from smoothlms.people.services import set_user_enabled
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite runs one writer at a time")
def test_two_system_managers_disabling_each_other_at_once_leave_one():
    first = UserFactory(email="a@example.com", roles=[Role.SYSTEM_MANAGER])
    second = UserFactory(email="b@example.com", roles=[Role.SYSTEM_MANAGER])
    refused = []

    def disable(item):
        actor, target, wait, hold = item
        time.sleep(wait)
        try:
            # The first change holds its transaction open a while: the second reads both managers
            # enabled, then waits on the lock, and must see the first change once it has it.
            with transaction.atomic():
                set_user_enabled(user=User.objects.get(pk=target.pk), enabled=False, actor=actor)
                time.sleep(hold)
        except LastSystemManager:
            refused.append(target.email)
        finally:
            connection.close()

    run_in_threads(disable, [(first, second, 0, 0.6), (second, first, 0.2, 0)])
    assert refused == ["a@example.com"]
    assert User.objects.filter(enabled=True, groups__name=Role.SYSTEM_MANAGER).count() == 1
