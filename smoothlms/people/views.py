"""Set-password pages under /login: the link of an invitation or of "Forgot password?"."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN, PasswordResetConfirmView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from smoothlms.core.ratelimit import allow
from smoothlms.people.accounts import request_password_reset, set_user_password
from smoothlms.people.models import User
from smoothlms.people.roles import is_staff_role
from smoothlms.people.signins import remote_addr


class SetPasswordView(PasswordResetConfirmView):
    """GET /login/set-password/<uidb64>/<token>: Django's reset flow (the token moves from the URL to
    the session, so it never leaks in a Referer), then our service sets the password, releases held
    cohort emails, and signs the person in."""

    template_name = "people/set_password.html"
    form_class = SetPasswordForm
    title = "Choose your password"

    def get_user(self, uidb64: str) -> User | None:
        user = super().get_user(uidb64)
        return user if user is not None and user.enabled else None  # a disabled user's link is dead

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        user = set_user_password(user=self.user, password=form.cleaned_data["new_password1"])
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        login(self.request, user, backend="smoothlms.people.auth.RoleBackend")
        return HttpResponseRedirect("/app/" if is_staff_role(user) else "/lms/courses")


TOO_MANY_RESETS = "Too many password reset requests from your address. Try again later."


class ForgotPasswordForm(forms.Form):
    email = forms.EmailField(label="Email", max_length=254)


@require_http_methods(["GET", "POST"])
def forgot_password(request: HttpRequest) -> HttpResponse:
    """GET/POST /login/forgot-password: the same answer whether or not the address has an account.
    At most PASSWORD_RESET_LIMIT_PER_CLIENT requests per client address per window (429 past it),
    so the form cannot be used to mail every account from one place."""
    form = ForgotPasswordForm(request.POST or None)
    if request.method == "POST" and not allow(
        f"forgot-password:{remote_addr(request)}",
        limit=settings.PASSWORD_RESET_LIMIT_PER_CLIENT,
        window=settings.PASSWORD_RESET_LIMIT_WINDOW,
    ):
        messages.error(request, TOO_MANY_RESETS)
        return render(request, "people/forgot_password.html", {"form": form, "sent": False}, status=429)
    if request.method == "POST" and form.is_valid():
        request_password_reset(email=form.cleaned_data["email"])
        return render(request, "people/forgot_password.html", {"form": None, "sent": True})
    return render(request, "people/forgot_password.html", {"form": form, "sent": False})
