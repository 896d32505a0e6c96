"""Model prices and costs: the public price list, organization overrides, matching by model
pattern (monitoring/pricing/matching.py) and the per-process price book (book.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any


def cost_usd(
    *,
    organization: Any,
    provider: str | None,
    model: str,
    input_tokens: int | None,
    output_tokens: int | None,
    cached_input_tokens: int | None = None,
    cache_creation_input_tokens: int | None = None,
    reasoning_tokens: int | None = None,
    on: date | None = None,
) -> Decimal | None:
    """Cost of one call at the price applicable to the organization on `on` (default today);
    None, never 0, when the model has no price or no token count is known."""
    from django.utils import timezone

    from monitoring.pricing.book import PriceLookup
    from monitoring.pricing.matching import cost_of

    if input_tokens is None and output_tokens is None:
        return None
    price = PriceLookup(organization.pk).find(provider, model, on or timezone.now().date())
    if price is None:
        return None
    return cost_of(
        price,
        input_tokens,
        output_tokens,
        cached_input_tokens,
        cache_creation_input_tokens,
        reasoning_tokens,
    )
