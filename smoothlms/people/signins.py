"""Sign-in activity for the audit log (who, when, from where): the quarterly role audit reads it.

Connected in PeopleConfig.ready(). Every successful sign-in is a LOGIN event; every refused one a
LOGIN_FAILED event naming the address typed (and its user, when there is one). The address is
the connection's REMOTE_ADDR: a proxy's X-Forwarded-For is not trusted, since any client can
send one.
"""

from __future__ import annotations

import ipaddress

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from smoothlms.core.audit import record_event
from smoothlms.core.models import EventType
from smoothlms.people.models import User, normalize_email


def remote_addr(request) -> str | None:
    raw = (getattr(request, "META", None) or {}).get("REMOTE_ADDR", "") if request is not None else ""
    try:
        return str(ipaddress.ip_address(raw.strip()))
    except ValueError:
        return None


@receiver(user_logged_in, dispatch_uid="smoothlms.people.record_login")
def record_login(sender, request, user, **kwargs) -> None:
    record_event(EventType.LOGIN, actor=user, member=user, remote_addr=remote_addr(request))


@receiver(user_login_failed, dispatch_uid="smoothlms.people.record_login_failed")
def record_login_failed(sender, credentials, request=None, **kwargs) -> None:
    typed = normalize_email(str(credentials.get("username") or credentials.get("email") or ""))[:254]
    user = User.objects.filter(email=typed).first() if typed else None
    record_event(
        EventType.LOGIN_FAILED, member=user, remote_addr=remote_addr(request), after={"email": typed} if typed else None
    )
