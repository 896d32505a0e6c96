"""Model price matching: specificity, providers, dates, overrides; cost arithmetic."""

from datetime import date
from decimal import Decimal

import pytest

from monitoring.pricing.matching import (
    Price,
    best_price,
    cost_of,
    match_rank,
    normalize_model,
)
from monitoring.pricing.seed import SEED_PRICES


def public_prices():
    return [
        Price(
            provider=p,
            model_pattern=m,
            valid_from=v,
            input=Decimal(i),
            output=Decimal(o),
            cached_input=Decimal(c) if c else None,
            cache_write=Decimal(w) if w else None,
            reasoning=Decimal(r) if r else None,
        )
        for p, m, v, i, o, c, w, r in SEED_PRICES
    ]


TODAY = date(2025, 11, 1)


@pytest.mark.parametrize(
    ("provider", "model", "pattern"),
    [
        ("openai", "gpt-4o", "gpt-4o"),
        ("openai", "gpt-4o-2024-08-06", "gpt-4o"),
        ("openai", "gpt-4o-mini", "gpt-4o-mini"),
        ("openai", "gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("openai", "gpt-4-0613", "gpt-4"),
        ("openai", "gpt-4.1-2025-04-14", "gpt-4.1"),
        ("azure", "gpt-4o", "gpt-4o"),
        ("anthropic", "claude-3-5-sonnet-20241022", "claude-3-5-sonnet"),
        ("anthropic", "claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("anthropic", "claude-opus-4-1-20250805", "claude-opus-4-1"),
        (
            "aws.bedrock",
            "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
            "claude-3-5-sonnet",
        ),
        ("gcp.vertex_ai", "claude-3-5-sonnet@20240620", "claude-3-5-sonnet"),
        ("gcp.gemini", "models/gemini-2.5-flash", "gemini-2.5-flash"),
        ("google", "gemini-2.5-flash-lite", "gemini-2.5-flash-lite"),
        ("google", "gemini-2.5-flash-preview-05-20", "gemini-2.5-flash"),
        ("mistral_ai", "mistral-large-latest", "mistral-large"),
        ("mistral", "mistral-large-2411", "mistral-large"),
        ("deepseek", "deepseek-chat", "deepseek-chat"),
        (
            "together",
            "meta-llama/Llama-3.3-70B-Instruct-Turbo",
            "llama-3.3-70b-instruct-turbo",
        ),
        (None, "gpt-4o-2024-08-06", "gpt-4o"),
    ],
)
def test_known_models_find_their_price(provider, model, pattern):
    price = best_price(public_prices(), provider, model, TODAY)
    assert price is not None and price.model_pattern == pattern


def test_a_sibling_model_never_takes_a_shorter_name_price():
    # Even before gpt-4o-mini had a price, it must not be billed as gpt-4o.
    only_4o = [p for p in public_prices() if p.model_pattern == "gpt-4o"]
    assert best_price(only_4o, "openai", "gpt-4o-mini", TODAY) is None
    assert match_rank("gpt-4o", "gpt-4o-mini") == 0
    assert match_rank("claude-sonnet-4", "claude-sonnet-4-5") == 0


@pytest.mark.parametrize(
    ("provider", "model"),
    [("openai", "my-finetune"), ("ollama", "llama3.1:8b"), ("anthropic", "gpt-4o")],
)
def test_unknown_models_and_wrong_providers_have_no_price(provider, model):
    assert best_price(public_prices(), provider, model, TODAY) is None


def test_old_events_keep_the_price_of_their_day():
    before = best_price(public_prices(), "openai", "gpt-4o", date(2024, 8, 1))
    after = best_price(public_prices(), "openai", "gpt-4o", date(2024, 12, 1))
    assert (before.input, before.output) == (Decimal("5.00"), Decimal("15.00"))
    assert (after.input, after.output) == (Decimal("2.50"), Decimal("10.00"))
    assert best_price(public_prices(), "openai", "gpt-4o", date(2024, 1, 1)) is None


def test_an_exact_dated_model_beats_its_family():
    price = best_price(public_prices(), "openai", "gpt-4o-2024-05-13", TODAY)
    assert price.model_pattern == "gpt-4o-2024-05-13" and price.input == Decimal("5.00")


def test_organization_prices_win_and_can_cover_a_past_period():
    org = Price(
        "openai",
        "gpt-4o",
        date(2025, 1, 1),
        Decimal(1),
        Decimal(2),
        valid_until=date(2025, 2, 1),
        organization_id=7,
    )
    prices = [*public_prices(), org]
    assert best_price(prices, "openai", "gpt-4o-2024-08-06", date(2025, 1, 15)) is org
    assert best_price(prices, "openai", "gpt-4o", date(2025, 2, 1)).organization_id is None


def test_globs_rank_below_names():
    glob = Price("openai", "ft:gpt-4o*", date(2024, 1, 1), Decimal(1), Decimal(1))
    assert best_price([glob], "openai", "ft:gpt-4o:acme::abc", TODAY) is glob
    assert normalize_model(" OpenAI/GPT-4o ") == "gpt-4o"


def test_cost_uses_one_rate_per_usage_type():
    price = Price(
        "anthropic",
        "x",
        TODAY,
        Decimal(3),
        Decimal(15),
        cached_input=Decimal("0.3"),
        cache_write=Decimal("3.75"),
        reasoning=Decimal(20),
    )
    cost = cost_of(price, 1_000_000, 1_000_000, 200_000, 100_000, 400_000)
    # 700k plain input, 200k reads, 100k writes, 600k plain output, 400k reasoning
    expected = Decimal("2.1") + Decimal("0.06") + Decimal("0.375") + Decimal(9) + Decimal(8)
    assert cost == expected


def test_missing_rates_fall_back_to_the_base_rate():
    price = Price("openai", "x", TODAY, Decimal(2), Decimal(8))
    assert cost_of(price, 1000, 500, 100, None, 100) == Decimal("0.006")


def test_integer_cost_rounds_half_even_like_decimal():
    from decimal import ROUND_HALF_EVEN

    price = Price("x", "x", TODAY, Decimal("0.000001"), Decimal("1.234567"))
    for tokens in (1, 49, 50, 51, 150, 250, 12345):
        exact = (tokens * Decimal("1.234567") / Decimal(10**6)).quantize(
            Decimal("1e-10"), rounding=ROUND_HALF_EVEN
        )
        assert cost_of(price, 0, tokens) == exact
