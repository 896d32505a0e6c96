"""Cost from the price table (known models, dated prices, organization overrides, re-pricing)
and PII redaction, checked in the database itself."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from monitoring.models import Event, EventRollup, ModelPrice
from monitoring.pricing.reprice import reprice_events
from tests.monitoring.conftest import event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _prices(public_prices):
    return public_prices


@pytest.fixture(autouse=True)
def _ten_year_retention(project):
    """Events of past price periods are inside the project's retention, so ingest takes them."""
    project.retention_days = 3650
    project.save()


def stored_cost(project, model):
    return Event.objects.get(project=project, model=model).cost_usd


@pytest.mark.parametrize(
    ("provider", "model", "expected"),
    [
        # 1M input + 1M output tokens, so the cost is the sum of the two published rates
        ("openai", "gpt-4o-2024-08-06", Decimal("12.50")),
        ("openai", "gpt-4o-mini", Decimal("0.75")),
        ("anthropic", "claude-sonnet-4-5-20250929", Decimal("18.00")),
        ("google", "gemini-2.5-flash", Decimal("2.80")),
        ("mistral", "mistral-large-latest", Decimal("8.00")),
        ("deepseek", "deepseek-chat", Decimal("0.70")),
        (None, "gpt-4o-mini-2024-07-18", Decimal("0.75")),
    ],
)
def test_known_models_are_priced(send, ingest_key, project, provider, model, expected):
    sent = event(model=model, provider=provider, timestamp="2025-11-01T12:00:00Z")
    sent.update(input_tokens=1_000_000, output_tokens=1_000_000)
    send(ingest_key, [sent])
    assert stored_cost(project, model) == expected


def test_cached_and_cache_write_tokens_have_their_own_rates(send, ingest_key, project):
    sent = event(
        model="claude-3-5-sonnet-20241022",
        provider="anthropic",
        timestamp="2025-03-01T00:00:00Z",
        input_tokens=1_000_000,
        cached_input_tokens=500_000,
        cache_creation_input_tokens=100_000,
        output_tokens=0,
    )
    send(ingest_key, [sent])
    # 400k plain at 3.00, 500k reads at 0.30, 100k writes at 3.75
    assert stored_cost(project, sent["model"]) == Decimal("1.2") + Decimal("0.15") + Decimal(
        "0.375"
    )


def test_old_events_keep_the_price_of_their_day(send, ingest_key, project):
    tokens = {"input_tokens": 1_000_000, "output_tokens": 0}
    send(
        ingest_key,
        [
            event(model="gpt-4o", provider="openai", timestamp="2024-08-01T00:00:00Z", **tokens),
            event(
                model="gpt-4o-2024-08-06",
                provider="openai",
                timestamp="2024-12-01T00:00:00Z",
                **tokens,
            ),
        ],
    )
    assert stored_cost(project, "gpt-4o") == Decimal("5.00")
    assert stored_cost(project, "gpt-4o-2024-08-06") == Decimal("2.50")


def test_a_client_cost_is_kept_as_sent(send, ingest_key, project):
    send(ingest_key, [event(cost_usd=0.123456789, input_tokens=10**6, output_tokens=10**6)])
    stored = Event.objects.get(project=project)
    assert stored.cost_usd == Decimal("0.1234567890") and stored.cost_from_client


def test_an_unknown_model_has_no_cost_and_is_counted_unpriced(send, ingest_key, project, client):
    send(ingest_key, [event(model="acme-7b", input_tokens=100, output_tokens=100)])
    assert stored_cost(project, "acme-7b") is None
    rollups = EventRollup.objects.filter(project=project)
    assert rollups.aggregate(n=Sum("unpriced_count"))["n"] == 1


def test_organization_prices_win(send, ingest_key, project):
    ModelPrice.objects.create(
        organization=project.organization,
        provider="openai",
        model_pattern="gpt-4o",
        valid_from=date(2024, 1, 1),
        input_per_million=Decimal("1.00"),
        output_per_million=Decimal("2.00"),
    )
    send(
        ingest_key,
        [
            event(
                model="gpt-4o-2024-08-06",
                provider="openai",
                input_tokens=10**6,
                output_tokens=10**6,
            )
        ],
    )
    assert stored_cost(project, "gpt-4o-2024-08-06") == Decimal("3.00")


def test_another_organizations_prices_do_not_apply(send, ingest_key, project, other_organization):
    ModelPrice.objects.create(
        organization=other_organization,
        provider="openai",
        model_pattern="gpt-4o",
        valid_from=date(2024, 1, 1),
        input_per_million=Decimal("1.00"),
        output_per_million=Decimal("2.00"),
    )
    send(
        ingest_key, [event(model="gpt-4o", provider="openai", input_tokens=10**6, output_tokens=0)]
    )
    assert stored_cost(project, "gpt-4o") == Decimal("2.50")


def test_an_organization_can_reprice_a_past_period(send, ingest_key, project):
    tokens = {"model": "gpt-4o", "provider": "openai", "input_tokens": 10**6, "output_tokens": 0}
    send(
        ingest_key,
        [
            event(timestamp="2025-01-10T00:00:00Z", **tokens),
            event(timestamp="2025-02-10T00:00:00Z", **tokens),
            event(timestamp="2025-01-11T00:00:00Z", cost_usd=9.0, **tokens),
        ],
    )
    ModelPrice.objects.create(
        organization=project.organization,
        provider="openai",
        model_pattern="gpt-4o",
        valid_from=date(2025, 1, 1),
        valid_until=date(2025, 2, 1),
        input_per_million=Decimal("1.00"),
        output_per_million=Decimal("1.00"),
    )
    assert reprice_events(project.organization, date(2025, 1, 1), date(2025, 2, 1)) == 1
    costs = sorted(Event.objects.for_project(project).values_list("cost_usd", flat=True))
    assert costs == [Decimal("1.00"), Decimal("2.50"), Decimal("9.00")]
    rollup_total = sum(r.cost_usd_e10 for r in EventRollup.objects.filter(project=project))
    assert Decimal(rollup_total) / 10**10 == Decimal("12.50")


PII = (
    "Contact jane@example.com or +44 20 7946 0958, card 4111 1111 1111 1111, "
    "IBAN GB82 WEST 1234 5698 7654 32, from 203.0.113.9 / 2001:db8::1, "
    "key sk-live0123456789abcdefXYZ"
)


def test_pii_never_reaches_the_database(send, ingest_key, project):
    project.store_prompts = True
    project.save()
    send(ingest_key, [event(prompt=PII, completion="mail me at bob@corp.io")])
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT prompt, completion, prompt_hash FROM {Event._meta.db_table}"  # noqa: S608
        )
        prompt, completion, prompt_hash = cursor.fetchone()
    for secret in ("jane@", "7946", "4111", "GB82", "203.0.113", "2001:db8", "sk-live", "bob@"):
        assert secret not in prompt + completion
    for placeholder in ("[EMAIL]", "[PHONE]", "[CARD]", "[IBAN]", "[IP]", "[SECRET]"):
        assert placeholder in prompt
    assert completion == "mail me at [EMAIL]"
    import hashlib

    assert prompt_hash == hashlib.sha256(PII.encode()).hexdigest()  # of the original


def test_prompts_are_only_hashed_when_the_project_does_not_store_them(send, ingest_key, project):
    send(ingest_key, [event(prompt="secret plan", completion="ok")])
    stored = Event.objects.get(project=project)
    assert stored.prompt is None and stored.completion is None and len(stored.prompt_hash) == 64


def test_the_cost_function_other_writers_use(project):
    from monitoring.pricing import cost_usd

    def cost(**kw):
        base = {"organization": project.organization, "provider": "openai", "model": "gpt-4o"}
        return cost_usd(**{**base, **kw})

    assert cost(input_tokens=10**6, output_tokens=0, on=date(2025, 1, 1)) == Decimal("2.50")
    assert cost(input_tokens=None, output_tokens=None) is None
    assert cost(model="unknown-model", input_tokens=1, output_tokens=1) is None
