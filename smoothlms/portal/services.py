"""The one write the portal owns besides enrolling: a learner's display time zone.

It changes nothing that any rule depends on (cohort times are always kept in the cohort's own zone),
so it writes no audit event."""

from __future__ import annotations

from django.db import transaction

from smoothlms.core.errors import Invalid
from smoothlms.core.timeutil import is_valid_time_zone
from smoothlms.people.models import User


class InvalidTimeZone(Invalid):
    code = "validation_error"
    message = "{value} is not a valid IANA time zone (for example Europe/Berlin)."


@transaction.atomic
def set_time_zone(*, user: User, time_zone: str, actor: User | None) -> User:
    """Set the zone in which `user` reads times beside each cohort's own. Rules: blank (use the
    browser's zone) or a real IANA name. Side effects: none."""
    time_zone = (time_zone or "").strip()
    if time_zone and not is_valid_time_zone(time_zone):
        raise InvalidTimeZone(value=time_zone[:64], fields=["time_zone"])
    user.time_zone = time_zone
    user.save(update_fields=["time_zone", "updated_at"])
    return user
