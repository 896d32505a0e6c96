"""Fixtures of the monitoring tests: keys with each scope and a helper to post events."""

from __future__ import annotations

import gzip
import json

import pytest

from monitoring.api.ratelimit import limiter
from monitoring.pricing.book import clear_cache


@pytest.fixture(autouse=True)
def fresh_process_state():
    """Rate-limit buckets and the price cache are per process: start each test clean."""
    limiter.reset()
    clear_cache()
    yield
    limiter.reset()
    clear_cache()


@pytest.fixture
def ingest_key(project, make_api_key):
    return make_api_key(project, scopes=("ingest",))


@pytest.fixture
def read_key(project, make_api_key):
    return make_api_key(project, scopes=("read",))


@pytest.fixture
def both_key(project, make_api_key):
    return make_api_key(project, scopes=("ingest", "read"))


def auth(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.fixture
def send(client):
    """POST a batch of events with a key: send(key, events, gzip=False, raw=None, **headers)."""

    def post(key, events=None, *, compress=False, raw=None, content_type="application/json", **h):
        body = raw if raw is not None else json.dumps({"events": events}).encode()
        if compress:
            body = gzip.compress(body)
            h["HTTP_CONTENT_ENCODING"] = "gzip"
        return client.post("/api/v1/events", data=body, content_type=content_type, **auth(key), **h)

    return post


def event(**fields) -> dict:
    return {"model": "gpt-4o", "latency_ms": 100.0, **fields}


@pytest.fixture
def public_prices(db):
    """The seeded public price list; transactional tests flush what migrations loaded."""
    from decimal import Decimal

    from monitoring.models import ModelPrice
    from monitoring.pricing.seed import SEED_PRICES

    if not ModelPrice.objects.public().exists():
        ModelPrice.objects.bulk_create(
            ModelPrice(
                provider=provider,
                model_pattern=pattern,
                valid_from=valid_from,
                input_per_million=Decimal(inp),
                output_per_million=Decimal(out),
                cached_input_per_million=Decimal(cached) if cached else None,
                cache_write_per_million=Decimal(write) if write else None,
                reasoning_per_million=Decimal(reasoning) if reasoning else None,
            )
            for provider, pattern, valid_from, inp, out, cached, write, reasoning in SEED_PRICES
        )
    clear_cache()
