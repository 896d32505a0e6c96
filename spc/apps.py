from django.apps import AppConfig


class SpcConfig(AppConfig):
    name = "spc"
    verbose_name = "Statistical process control"

    def ready(self) -> None:
        from spc import receivers  # noqa: F401 - connects the signal receivers
