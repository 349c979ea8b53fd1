from django.apps import AppConfig


class HrConfig(AppConfig):
    name = "smoothlms.hr"
    label = "hr"
