from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Alerts and integrations"

    def ready(self) -> None:
        from alerts import receivers  # noqa: F401 - connects the signal receivers
