from django.apps import AppConfig


class EnrollmentConfig(AppConfig):
    name = "smoothlms.enrollment"
    label = "enrollment"
