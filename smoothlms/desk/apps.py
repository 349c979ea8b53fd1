from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "smoothlms.desk"
    label = "desk"
