from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "smoothlms.notifications"
    label = "notifications"
