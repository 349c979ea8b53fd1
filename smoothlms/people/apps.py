from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "smoothlms.people"
    label = "people"

    def ready(self) -> None:
        # Here, not at the top: importing the receivers imports the models, which Django loads only
        # after every AppConfig. Importing connects the sign-in audit receivers.
        from smoothlms.people import signins  # noqa: F401
