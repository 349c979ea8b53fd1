from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo organisation (`smoothlms demo`, the first `make run`). It may use any app; no app uses it."""

    name = "smoothlms.demo"
    label = "demo"
