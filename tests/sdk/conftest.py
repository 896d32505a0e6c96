"""Fixtures of the SDK tests: the SDK set up against a fake or a live LLMscope, fake LLMs."""

from __future__ import annotations

import llmscope
import pytest

from tests.monitoring.probes.fake_llm import running_fake_llm
from tests.sdk.fake_ingest import running_fake_ingest
from tests.sdk.live import start_live_app


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


@pytest.fixture(scope="module")
def live_llmscope(django_db_setup, django_db_blocker):
    """One LLMscope server for a test module; each test brings its own project and key."""
    app = start_live_app()
    yield app
    app.stop()


@pytest.fixture
def key(project, make_api_key):
    return make_api_key(project)


@pytest.fixture
def to_live(sdk, live_llmscope, key):
    """The SDK sending to the live LLMscope with the test project's key."""
    return sdk(live_llmscope.url, key)
