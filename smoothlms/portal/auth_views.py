"""Sign-in and sign-out for everyone (/login, /logout)."""

from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from smoothlms.people.roles import is_staff_role


class SignInView(LoginView):
    template_name = "login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        if self.request.user.is_authenticated and is_staff_role(self.request.user):
            return "/app/"
        return "/lms/batches"


@require_http_methods(["GET", "POST"])
def sign_out(request):
    logout(request)
    return redirect("/login")
