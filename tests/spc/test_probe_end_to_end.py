"""A probe against a local OpenAI-compatible server that slows down after N calls: its
latency chart leaves the baseline, then the slow call is flagged by rule 1 with its event.

Runs on both paths: eager in-process evaluation (embedded) and, with REDIS_URL, a real
Celery worker on Redis evaluating after the probe's events commit.
"""

import time

import pytest
from django.conf import settings

from monitoring.probes.runs import run_claim
from monitoring.probes.scheduling import claim_for_manual_run
from spc.models import Chart, Violation
from tests.monitoring.probes.factories import make_probe
from tests.monitoring.probes.fake_llm import Behaviour, running_fake_llm

pytestmark = pytest.mark.django_db(transaction=True)

BASELINE = 20


def run_once(probe):
    claim = claim_for_manual_run(probe)
    assert claim is not None
    return run_claim(claim)


def wait_for(predicate, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return predicate()


@pytest.fixture
def worker_if_redis(request):
    if settings.EMBEDDED:
        return None
    return request.getfixturevalue("celery_worker_live")


def test_a_probe_that_slows_down_is_flagged_on_the_slow_call(project, worker_if_redis):
    behaviour = Behaviour(first_token_delay=0.05, token_delay=0.01, tokens=["ok"] * 8)
    with running_fake_llm(behaviour) as fake:
        probe = make_probe(project, base_url=f"{fake.url}/v1", stream=True)
        latency = Chart.objects.get(filter__probe_id=probe.pk, metric="latency_ms")
        Chart.objects.filter(pk=latency.pk).update(baseline_size=BASELINE)
        for _ in range(BASELINE):
            event = run_once(probe)
            assert event.status == "ok", event.error_type
        latency = wait_for(
            lambda: Chart.objects.filter(pk=latency.pk).exclude(status="baseline").first()
        )
        assert latency is not None, "the latency chart never left its baseline"
        assert latency.current_limits().baseline_n == BASELINE

        behaviour.first_token_delay = 2.0  # the endpoint slows down
        slow = run_once(probe)
        assert slow.latency_ms > 2000

    violation = wait_for(
        lambda: Violation.objects.filter(chart=latency, rule=1, point__key=slow.pk).first()
    )
    assert violation is not None, "the slow call was not flagged"
    assert violation.event_ids == [slow.pk]
    assert violation.value == pytest.approx(slow.latency_ms)
    assert len(violation.context) == 11
    latency.refresh_from_db()
    assert latency.status == "out_of_control"
