from django.apps import AppConfig


class ProbesConfig(AppConfig):
    name = "monitoring.probes"
    label = "probes"
    verbose_name = "Synthetic probes"
