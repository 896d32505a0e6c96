"""Choosing the price of a model, and computing an event's cost from it.

A price row names a provider and a model *pattern*. A pattern matches a model name
- exactly (`gpt-4o` ↔ `gpt-4o`), or
- with a version suffix appended (`gpt-4o` ↔ `gpt-4o-2024-08-06`, `claude-3-5-sonnet` ↔
  `claude-3-5-sonnet@20240620`, `mistral-large` ↔ `mistral-large-latest`), or
- as a glob when the pattern contains `*` (`ft:gpt-4o*`).
A different model that merely shares a prefix never matches: `gpt-4o-mini` is not a version of
`gpt-4o`. Among the rows valid on the event's date, the best one is chosen by: organization
row over public row, then exact over versioned over glob, then the longest literal part, then
the latest valid-from date.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

_VERSION_SUFFIX_RE = re.compile(
    r"""(?x)
    (?:[-@:]
      (?: \d{4}-\d{2}-\d{2} | \d{8} | \d{3,4}
        | latest | preview(?:-\d{2}-\d{2,4})? | exp(?:-\d{4})?
        | v\d+(?::\d+)? | \d{2}-\d{4} )
    )+$
    """
)
# Cloud vendor prefixes: "us.anthropic.claude-…" (Bedrock), "models/gemini-…" (Google).
_VENDOR_PREFIX_RE = re.compile(
    r"^(?:models/|(?:[a-z]{2}\.)?(?:anthropic|meta|mistral|amazon|cohere|ai21|deepseek)\.)"
)

# Providers whose events may use any provider's public price (they resell those models).
_PLATFORM_PROVIDERS = {
    "",
    "aws.bedrock",
    "bedrock",
    "gcp.vertex_ai",
    "vertex_ai",
    "openrouter",
}
_PROVIDER_ALIASES = {
    "openai": "openai",
    "azure": "openai",
    "azure.ai.openai": "openai",
    "az.ai.openai": "openai",
    "azure_openai": "openai",
    "anthropic": "anthropic",
    "google": "google",
    "gemini": "google",
    "gcp.gemini": "google",
    "gcp.gen_ai": "google",
    "google_genai": "google",
    "vertexai": "google",
    "mistral": "mistral",
    "mistral_ai": "mistral",
    "mistralai": "mistral",
    "deepseek": "deepseek",
    "groq": "groq",
    "together": "together",
    "together_ai": "together",
    "togetherai": "together",
}

EXACT, VERSIONED, GLOB = 3, 2, 1


@dataclass(frozen=True, slots=True)
class Price:
    """Per-million-token rates of one price row (None: fall back to the base rate)."""

    provider: str
    model_pattern: str
    valid_from: date
    input: Decimal
    output: Decimal
    cached_input: Decimal | None = None
    cache_write: Decimal | None = None
    reasoning: Decimal | None = None
    valid_until: date | None = None
    organization_id: int | None = None
    id: int | None = None


def normalize_model(model: str) -> str:
    """Lower-case, drop vendor prefixes and an 'org/' path so that names compare as models."""
    name = model.strip().lower()
    name = _VENDOR_PREFIX_RE.sub("", name)
    if "/" in name:
        name = name.rsplit("/", 1)[1]
    return name


def normalize_provider(provider: str | None) -> str:
    """The provider's price-table name (`azure` bills like `openai`, ...)."""
    name = (provider or "").strip().lower()
    return _PROVIDER_ALIASES.get(name, name)


def match_rank(pattern: str, model: str) -> int:
    """How specifically `pattern` matches the normalized `model` (0: no match)."""
    pattern = pattern.lower()
    if "*" in pattern:
        return GLOB if fnmatch.fnmatchcase(model, pattern) else 0
    if model == pattern:
        return EXACT
    if model.startswith(pattern) and _VERSION_SUFFIX_RE.fullmatch(model[len(pattern) :]):
        return VERSIONED
    return 0


def provider_matches(row_provider: str, event_provider: str) -> bool:
    if event_provider in _PLATFORM_PROVIDERS:
        return True
    return normalize_provider(row_provider) == event_provider


def best_price(prices: Iterable[Price], provider: str | None, model: str, on: date) -> Price | None:
    """The price row that applies to `model` from `provider` on day `on`, or None."""
    event_provider = normalize_provider(provider)
    name = normalize_model(model)
    best: Price | None = None
    best_key: tuple = ()
    for price in prices:
        if price.valid_from > on or (price.valid_until is not None and on >= price.valid_until):
            continue
        if not provider_matches(price.provider, event_provider):
            continue
        rank = match_rank(price.model_pattern, name)
        if not rank:
            continue
        key = (
            price.organization_id is not None,
            rank,
            len(price.model_pattern.replace("*", "")),
            price.valid_from,
        )
        if best is None or key > best_key:
            best, best_key = price, key
    return best


Rates = tuple[int, int, int, int, int]


def rates_e6(price: Price) -> Rates:
    """(input, output, cached read, cache write, reasoning) in micro-dollars per million tokens,
    with the fallbacks applied. Rates have at most 6 decimals, so these are exact integers."""

    def e6(rate: Decimal) -> int:
        return int(rate * 1_000_000)

    return (
        e6(price.input),
        e6(price.output),
        e6(price.cached_input if price.cached_input is not None else price.input),
        e6(price.cache_write if price.cache_write is not None else price.input),
        e6(price.reasoning if price.reasoning is not None else price.output),
    )


def cost_e10(
    rates: Rates,
    input_tokens: int | None,
    output_tokens: int | None,
    cached_input_tokens: int | None = None,
    cache_creation_input_tokens: int | None = None,
    reasoning_tokens: int | None = None,
) -> int:
    """Cost of one call in units of 1e-10 USD, rounded half-even (integer arithmetic only,
    because it runs once per ingested event). Input includes cache reads and writes; output
    includes reasoning."""
    cached = cached_input_tokens or 0
    written = cache_creation_input_tokens or 0
    reasoning = reasoning_tokens or 0
    plain_input = max(0, (input_tokens or 0) - cached - written)
    plain_output = max(0, (output_tokens or 0) - reasoning)
    r_in, r_out, r_cached, r_write, r_reasoning = rates
    # tokens x (USD e6 per 1e6 tokens) = USD e0 x 1e12 ... / 100 gives units of 1e-10 USD.
    numerator = (
        plain_input * r_in
        + cached * r_cached
        + written * r_write
        + plain_output * r_out
        + reasoning * r_reasoning
    )
    quotient, remainder = divmod(numerator, 100)
    if remainder > 50 or (remainder == 50 and quotient % 2):
        quotient += 1
    return quotient


def cost_of(
    price: Price,
    input_tokens: int | None,
    output_tokens: int | None,
    cached_input_tokens: int | None = None,
    cache_creation_input_tokens: int | None = None,
    reasoning_tokens: int | None = None,
) -> Decimal:
    """USD cost of one call, to 1e-10 USD."""
    units = cost_e10(
        rates_e6(price),
        input_tokens,
        output_tokens,
        cached_input_tokens,
        cache_creation_input_tokens,
        reasoning_tokens,
    )
    return Decimal(units).scaleb(-10)
