from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        # Signal receivers: price cache invalidation.
        from monitoring.pricing import book  # noqa: F401
