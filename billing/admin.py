"""Staff tools: plans, and per-organization accounts (Enterprise limits are set here)."""

from django.contrib import admin

from billing import quota
from billing.models import BillingAccount, OverageReport, Plan, StripeEvent


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "slug",
        "price_monthly",
        "events_per_month",
        "max_probes",
        "min_probe_interval_s",
        "retention_days",
        "max_members",
        "max_channels",
        "self_serve",
    )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        quota.forget()  # this process at once; other processes within a minute


@admin.register(BillingAccount)
class BillingAccountAdmin(admin.ModelAdmin):
    list_display = ("organization", "plan", "subscription_status", "current_period_end")
    list_filter = ("plan", "subscription_status")
    search_fields = ("organization__name", "organization__slug", "stripe_customer_id")
    raw_id_fields = ("organization",)
    readonly_fields = ("updated_at",)
    fieldsets = (
        (None, {"fields": ("organization", "plan")}),
        (
            "Stripe",
            {
                "fields": (
                    "stripe_customer_id",
                    "stripe_subscription_id",
                    "subscription_status",
                    "subscription_created",
                    "current_period_end",
                    "cancel_at_period_end",
                    "grace_until",
                    "updated_at",
                )
            },
        ),
        (
            "Limits for this organization (empty: the plan's)",
            {
                "fields": (
                    "events_per_month_override",
                    "max_probes_override",
                    "min_probe_interval_s_override",
                    "retention_days_override",
                    "max_members_override",
                    "max_channels_override",
                )
            },
        ),
    )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        quota.forget(obj.organization_id)


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ("id", "type", "created", "processed_at")
    search_fields = ("id", "type")


@admin.register(OverageReport)
class OverageReportAdmin(admin.ModelAdmin):
    list_display = ("identifier", "quantity", "interval_start", "sent_at")
