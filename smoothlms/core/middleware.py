"""Site-wide middleware that knows no domain rule."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class StaffSessionIdleMiddleware:
    """Staff sessions end after STAFF_SESSION_IDLE_SECONDS without a request (8 hours by default):
    each request of a signed-in staff user (anyone who reaches the desk) sets the session to expire
    that long after it, so the clock restarts on activity. Learners keep SESSION_COOKIE_AGE."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Read after the view: a sign-in in this very request gets the idle expiry on its first cookie.
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if session is not None and user is not None and user.is_authenticated and user.is_staff:
            session.set_expiry(settings.STAFF_SESSION_IDLE_SECONDS)
        return response
