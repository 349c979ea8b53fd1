"""The desk: Django admin at /app/, reachable by staff roles only, signing in through /login."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from smoothlms.people.roles import is_staff_role


class DeskSite(admin.AdminSite):
    site_header = "Smooth LMS desk"
    site_title = "Smooth LMS"
    index_title = "Desk"
    site_url = "/lms/batches"
    index_template = "desk/index.html"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_authenticated and user.is_active and is_staff_role(user))

    def login(self, request, extra_context=None):
        # One sign-in page for everyone: /login. Signed-in students get a 403, not a loop.
        if request.user.is_authenticated:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied("The desk is for staff roles only.")
        target = request.GET.get("next") or reverse("admin:index")
        return redirect(f"{reverse('login')}?{urlencode({'next': target})}")
