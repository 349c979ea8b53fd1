from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "smoothlms.people"
    label = "people"
