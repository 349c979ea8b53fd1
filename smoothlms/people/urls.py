from django.urls import path

from smoothlms.people.views import SetPasswordView, forgot_password

urlpatterns = [
    path("set-password/<uidb64>/<token>", SetPasswordView.as_view(), name="set_password"),
    path("forgot-password", forgot_password, name="forgot_password"),
]
