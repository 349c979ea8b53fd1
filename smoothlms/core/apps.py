from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "smoothlms.core"
    label = "core"
