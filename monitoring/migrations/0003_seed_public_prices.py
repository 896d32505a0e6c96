"""Load the public price list (monitoring/pricing/seed.py) into ModelPrice."""

from decimal import Decimal

from django.db import migrations


def load_prices(apps, schema_editor):
    from monitoring.pricing.seed import SEED_PRICES

    ModelPrice = apps.get_model("monitoring", "ModelPrice")

    def rate(value):
        return Decimal(value) if value is not None else None

    for provider, pattern, valid_from, inp, out, cached, write, reasoning in SEED_PRICES:
        ModelPrice.objects.update_or_create(
            organization=None,
            provider=provider,
            model_pattern=pattern,
            valid_from=valid_from,
            defaults={
                "input_per_million": Decimal(inp),
                "output_per_million": Decimal(out),
                "cached_input_per_million": rate(cached),
                "cache_write_per_million": rate(write),
                "reasoning_per_million": rate(reasoning),
            },
        )


def unload_prices(apps, schema_editor):
    apps.get_model("monitoring", "ModelPrice").objects.filter(organization=None).delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0002_rollups_prices_usage")]

    operations = [migrations.RunPython(load_prices, unload_prices)]
