"""The price rows that apply to an organization, cached per process.

The price table changes rarely and is read on every ingest batch, so each process keeps the
rows of an organization for a short time. A change made in this process is seen at once
(the cache is cleared on save and delete); other processes see it within `CACHE_SECONDS`.
"""

from __future__ import annotations

import threading
import time
from datetime import date

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from monitoring.models import ModelPrice
from monitoring.pricing.matching import Price, Rates, best_price, rates_e6

CACHE_SECONDS = 60.0
_cache: dict[int, tuple[float, list[Price]]] = {}
_lock = threading.Lock()


def _as_price(row: ModelPrice) -> Price:
    return Price(
        provider=row.provider,
        model_pattern=row.model_pattern,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        input=row.input_per_million,
        output=row.output_per_million,
        cached_input=row.cached_input_per_million,
        cache_write=row.cache_write_per_million,
        reasoning=row.reasoning_per_million,
        organization_id=row.organization_id,
        id=row.id,
    )


def prices_for(organization_id: int) -> list[Price]:
    """Public prices plus the organization's own."""
    now = time.monotonic()
    cached = _cache.get(organization_id)
    if cached and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    rows = [_as_price(r) for r in ModelPrice.objects.applicable_to(organization_id)]
    with _lock:
        _cache[organization_id] = (now, rows)
    return rows


class PriceLookup:
    """Memoizes `best_price` for one batch: a batch has few distinct (provider, model, day)."""

    def __init__(self, organization_id: int):
        self.prices = prices_for(organization_id)
        self._memo: dict[tuple[str, str, date], Price | None] = {}
        self._rates: dict[tuple[str, str, date], Rates | None] = {}

    def find(self, provider: str | None, model: str, on: date) -> Price | None:
        key = (provider or "", model, on)
        try:
            return self._memo[key]
        except KeyError:
            price = self._memo[key] = best_price(self.prices, provider, model, on)
            return price

    def rates(self, provider: str | None, model: str, on: date) -> Rates | None:
        """Integer rates (see `rates_e6`) of the applicable price, or None."""
        key = (provider or "", model, on)
        try:
            return self._rates[key]
        except KeyError:
            price = self.find(provider, model, on)
            rates = self._rates[key] = rates_e6(price) if price is not None else None
            return rates


def clear_cache() -> None:
    with _lock:
        _cache.clear()


@receiver([post_save, post_delete], sender=ModelPrice)
def _price_changed(sender, **kwargs) -> None:
    clear_cache()
