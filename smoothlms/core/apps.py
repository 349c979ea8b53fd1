from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "smoothlms.core"
    label = "core"

    def ready(self) -> None:
        from smoothlms.core import signals  # noqa: F401 - connects the sign-in audit receivers
