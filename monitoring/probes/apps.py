from django.apps import AppConfig


class ProbesConfig(AppConfig):
    name = "monitoring.probes"
    label = "probes"
    verbose_name = "Synthetic probes"

    def ready(self) -> None:
        # Register the tasks in every process, not only in workers: Celery's autodiscovery
        # runs when a worker starts, but the embedded beat (in the web process) looks tasks
        # up by name and would otherwise hand `probes.tick` to a broker nobody consumes.
        from . import tasks  # noqa: F401
