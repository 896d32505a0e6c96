"""Fixtures of the SDK tests: the SDK set up against a fake or a live LLMscope, fake LLMs."""

from __future__ import annotations

import llmscope
import pytest

from tests.monitoring.probes.fake_llm import running_fake_llm
from tests.sdk.fake_ingest import running_fake_ingest


@pytest.fixture
def fake_ingest():
    with running_fake_ingest() as fake:
        yield fake


@pytest.fixture
def fake_llm():
    with running_fake_llm() as server:
        yield server


@pytest.fixture
def sdk():
    """`sdk(url, key, **options)` sets the SDK up; it is shut down after the test."""

    def start(url: str, key: str = "lls_test_key", **options):
        client = llmscope.init(api_key=key, base_url=url, **options)
        assert client is not None
        return client

    yield start
    llmscope.shutdown(timeout=5)
