from django.contrib import admin
from django.urls import include, path

from smoothlms.portal.auth_views import SignInView, sign_out
from smoothlms.portal.certificates import verify_certificate

urlpatterns = [
    path("login", SignInView.as_view(), name="login"),
    path("logout", sign_out, name="logout"),
    path("login/", include("smoothlms.people.urls")),
    path("", include("smoothlms.desk.urls")),
    path("app/", admin.site.urls),
    path("api/v1/", include("smoothlms.api.urls")),
    path("lms/", include("smoothlms.portal.urls")),
    path("verify/<str:name>", verify_certificate, name="verify_certificate"),
]
