"""`smoothlms demo` (CONTRACT.md section 3): the demo organisation, loaded once."""

import pytest
from django.core.management import call_command

from smoothlms.catalog.models import Batch
from smoothlms.enrollment.models import BatchEnrollment
from smoothlms.people.models import Employee, User

pytestmark = pytest.mark.django_db


def test_demo_loads_every_cohort_state_once(capsys):
    call_command("demo")
    counts = (User.objects.count(), Batch.objects.count(), BatchEnrollment.objects.count())
    assert Employee.objects.filter(status="Left").exists() and Employee.objects.filter(employment_type="Contract")
    full = Batch.objects.get(name="leading-teams-spring")
    assert full.seats_taken == full.seat_count
    assert Batch.objects.filter(published=False).exists() and Batch.objects.filter(paid_batch=True).exists()
    assert {lc.timezone for b in Batch.objects.all() for lc in b.live_classes.all()} >= {"Europe/Berlin",
                                                                                          "Asia/Kolkata"}
    call_command("demo")
    call_command("demo", "--if-empty")
    assert (User.objects.count(), Batch.objects.count(), BatchEnrollment.objects.count()) == counts
    assert "already loaded" in capsys.readouterr().out
