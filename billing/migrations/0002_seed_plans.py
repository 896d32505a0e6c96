"""The default plans. Staff can edit them in the admin; prices' Stripe ids come from the
environment (STRIPE_PRICE_*)."""

from decimal import Decimal

from django.db import migrations

PLANS = [
    {
        "slug": "free",
        "name": "Free",
        "price_monthly": Decimal("0.00"),
        "events_per_month": 50_000,
        "max_probes": 3,
        "min_probe_interval_s": 60,
        "retention_days": 7,
        "max_members": 3,
        "max_channels": 2,
        "position": 0,
    },
    {
        "slug": "team",
        "name": "Team",
        "price_monthly": Decimal("49.00"),
        "events_per_month": 5_000_000,
        "max_probes": 50,
        "min_probe_interval_s": 10,
        "retention_days": 90,
        "max_members": 20,
        "max_channels": None,
        "overage_unit": 100_000,
        "overage_price": Decimal("5.00"),
        "self_serve": True,
        "position": 1,
    },
    {
        # Limits per organization, set by staff on its billing account.
        "slug": "enterprise",
        "name": "Enterprise",
        "events_per_month": None,
        "max_probes": None,
        "min_probe_interval_s": 10,
        "retention_days": 365,
        "max_members": None,
        "max_channels": None,
        "position": 2,
    },
    {
        # Self-hosted instances (billing off): nothing limited beyond the instance's settings.
        "slug": "unlimited",
        "name": "Unlimited",
        "events_per_month": None,
        "max_probes": None,
        "min_probe_interval_s": 1,
        "retention_days": None,
        "max_members": None,
        "max_channels": None,
        "position": 3,
    },
]


def seed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for values in PLANS:
        values = dict(values)
        Plan.objects.update_or_create(slug=values.pop("slug"), defaults=values)


def unseed(apps, schema_editor):
    apps.get_model("billing", "Plan").objects.filter(slug__in=[p["slug"] for p in PLANS]).delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
