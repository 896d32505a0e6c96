from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        # Signal receivers: rollups of events saved through the ORM, price cache invalidation.
        from monitoring import rollups  # noqa: F401
        from monitoring.pricing import book  # noqa: F401
