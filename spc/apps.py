from django.apps import AppConfig


class SpcConfig(AppConfig):
    name = "spc"
