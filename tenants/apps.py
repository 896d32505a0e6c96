from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Organizations and projects"

    def ready(self) -> None:
        from tenants import receivers  # noqa: F401 - connects the signal receivers
