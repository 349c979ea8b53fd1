"""Set-password pages under /login: the link of an invitation or of "Forgot password?"."""

from __future__ import annotations

from django import forms
from django.contrib.auth import login
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN, PasswordResetConfirmView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from smoothlms.people.accounts import request_password_reset, set_user_password
from smoothlms.people.models import User


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
        return HttpResponseRedirect("/app/" if user.is_staff else "/lms/courses")


class ForgotPasswordForm(forms.Form):
    email = forms.EmailField(label="Email", max_length=254)


@require_http_methods(["GET", "POST"])
def forgot_password(request: HttpRequest) -> HttpResponse:
    """GET/POST /login/forgot-password: the same answer whether or not the address has an account."""
    form = ForgotPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        request_password_reset(email=form.cleaned_data["email"])
        return render(request, "people/forgot_password.html", {"form": None, "sent": True})
    return render(request, "people/forgot_password.html", {"form": form, "sent": False})
