from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "smoothlms.portal"
    label = "portal"
