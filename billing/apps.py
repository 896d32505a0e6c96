from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"

    def ready(self) -> None:
        from billing import quota, tasks

        quota.usage_threshold_crossed.connect(
            tasks.queue_usage_notice, dispatch_uid="billing-usage-notice"
        )
