"""The desk: Django admin at /app/, reachable by staff roles only, signing in through /login.

Anonymous visitors go straight to `/login?next=<page>` (one redirect); a signed-in user without
the role a page needs gets the desk's 403 page, which names the roles that would open it."""

from __future__ import annotations

from functools import update_wrapper

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from smoothlms.desk.addresses import address_urls
from smoothlms.people.roles import ROLE_PERMISSIONS, STAFF_ROLES, Role, is_staff_role

# The order roles are named in on the access-denied page: the most specific first.
ROLE_ORDER = (Role.MODERATOR, Role.HR_MANAGER, Role.COURSE_CREATOR, Role.BATCH_EVALUATOR, Role.SYSTEM_MANAGER)
URL_ACTIONS = {"add": "add", "delete": "delete"}  # admin URL name suffix -> permission action; others view


def roles_with(permission: str) -> list[str]:
    """The roles that hold `permission` ("app_label.action_model"); the System Manager holds all."""
    app_label, codename = permission.split(".", 1)
    action, model_name = codename.split("_", 1)
    model = f"{app_label}.{model_name}"
    holders = {role for role, models in ROLE_PERMISSIONS.items() if action in models.get(model, ())}
    return [role for role in ROLE_ORDER if role in holders or role == Role.SYSTEM_MANAGER]


def needed_roles(request: HttpRequest) -> list[str]:
    """The roles that open the page `request` asked for: from its admin's model and action, or the
    view's own `desk_roles`; any staff role for the desk's index."""
    match = getattr(request, "resolver_match", None)
    func = getattr(match, "func", None)
    declared = getattr(func, "desk_roles", None)
    if declared:
        return [role for role in ROLE_ORDER if role in declared]
    model_admin = getattr(func, "model_admin", None)
    if model_admin is not None:
        action = getattr(func, "desk_permission", None) or URL_ACTIONS.get(
            (match.url_name or "").rsplit("_", 1)[-1], "view"
        )
        return roles_with(f"{model_admin.opts.app_label}.{action}_{model_admin.opts.model_name}")
    return [role for role in ROLE_ORDER if role in STAFF_ROLES]


def desk_roles(*roles: str):
    """Mark a desk view with the roles that may open it (for the access-denied page)."""

    def mark(view):
        view.desk_roles = tuple(roles)
        return view

    return mark


class DeskSite(admin.AdminSite):
    site_header = "Smooth LMS desk"
    site_title = "Smooth LMS"
    index_title = "Desk"
    site_url = "/lms/batches"
    index_template = "desk/index.html"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_authenticated and user.is_active and is_staff_role(user))

    def admin_view(self, view, cacheable=False):
        def inner(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("login"))
            if not self.has_permission(request):
                return self.denied(request)
            try:
                return view(request, *args, **kwargs)
            except PermissionDenied:
                return self.denied(request)

        if not cacheable:
            inner = never_cache(inner)
        if not getattr(view, "csrf_exempt", False):
            inner = csrf_protect(inner)
        return update_wrapper(inner, view)

    def denied(self, request: HttpRequest) -> HttpResponse:
        """The desk's 403 page: what the page needs, and who the visitor is signed in as."""
        user = request.user
        roles = needed_roles(request)
        context = {
            **self.each_context(request),
            "title": "You cannot open this page",
            "needed_roles": roles,
            "user_roles": sorted(getattr(user, "role_names", ())),
            "is_staff": user.is_staff,
        }
        response = TemplateResponse(request, "desk/denied.html", context, status=403)
        return response.render()

    def login(self, request, extra_context=None):
        # One sign-in page for everyone: /login. Signed-in users without a staff role get a 403, not a loop.
        if request.user.is_authenticated:
            return self.denied(request)
        target = request.GET.get("next") or reverse("admin:index")
        return redirect(f"{reverse('login')}?{urlencode({'next': target})}")

    def get_urls(self):
        urls = super().get_urls()
        # The desk's addresses go after the admin's own patterns (so reverse() prefers them) and
        # before the catch-all that answers unknown paths.
        tail = urls[-1:] if self.final_catch_all_view else []
        return urls[: len(urls) - len(tail)] + address_urls(self) + tail
