"""Sign-in and sign-out for everyone (/login, /logout)."""

from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from smoothlms.people.roles import is_staff_role

# CONTRACT.md section 10: the answer to a sign-in while the email is locked (django-axes).
LOCKED_OUT = "Too many failed sign-in attempts. Try again later."


class SignInView(LoginView):
    template_name = "login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        if self.request.user.is_authenticated and is_staff_role(self.request.user):
            return "/app/"
        return "/lms/batches"


def locked_out(
    request: HttpRequest, response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """django-axes' answer to a sign-in for a locked email (AXES_LOCKOUT_CALLABLE): the sign-in form
    again, with the reason, as 429 Too Many Requests. The password typed is not checked."""
    form = AuthenticationForm(request, data={"username": (credentials or {}).get("username", "")})
    return render(
        request,
        "login.html",
        {"form": form, "locked_out": LOCKED_OUT, "next": request.POST.get("next", "")},
        status=429,
    )


@require_http_methods(["GET", "POST"])
def sign_out(request: HttpRequest) -> HttpResponse:
    """POST /logout signs out (CSRF-checked, so no other page can sign a person out); GET shows a
    page with the sign-out button."""
    if request.method == "POST":
        logout(request)
        return redirect("/login")
    if not request.user.is_authenticated:
        return redirect("/login")
    return render(request, "logout.html")
