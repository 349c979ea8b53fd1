from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "smoothlms.api"
    label = "api"
