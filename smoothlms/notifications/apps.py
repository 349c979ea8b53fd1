from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "smoothlms.notifications"
    label = "notifications"

    def ready(self) -> None:
        # Here, not at the top: the receivers import the models, which Django loads only after
        # every AppConfig. Importing connects them to the signals of enrollment and people.
        from smoothlms.notifications import receivers  # noqa: F401
