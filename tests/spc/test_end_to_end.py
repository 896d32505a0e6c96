"""End to end on the production path: events through `POST /api/v1/events`, a real Celery
worker on Redis evaluating the automatically created charts, the violation in the API."""

import csv
import io
import time
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from spc.models import Chart, Violation

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return predicate()


def post_events(api_client, key, events):
    response = api_client.post(
        "/api/v1/events", {"events": events}, format="json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.status_code == 202, response.content
    return response.json()


def test_an_injected_shift_fires_the_expected_rule_once_with_context(
    api_client, project, make_api_key, celery_worker_live
):
    key = make_api_key(project)
    rng = np.random.default_rng(5)
    # 50 one-minute subgroups of 8 calls each (the default baseline), ending 40 minutes ago.
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=90)
    baseline = [
        {
            "model": "gpt-4o",
            "latency_ms": round(float(v), 1),
            "timestamp": (start + timedelta(minutes=i // 8, seconds=(i % 8) * 5)).isoformat(),
        }
        for i, v in enumerate(np.exp(rng.normal(np.log(500), 0.1, 50 * 8)))
    ]
    # Then one minute where every call takes three times as long: rule 1 on that subgroup.
    # Both arrive in one batch, as a client flushing its buffer would send them.
    shifted_minute = start + timedelta(minutes=65)
    shifted = [
        {
            "model": "gpt-4o",
            "latency_ms": 1500.0 + i,
            "timestamp": (shifted_minute + timedelta(seconds=i * 5)).isoformat(),
        }
        for i in range(8)
    ]
    post_events(api_client, key, baseline + shifted)
    chart = wait_for(
        lambda: (
            Chart.objects.filter(project=project, metric="latency_ms")
            .exclude(status="baseline")
            .first()
        )
    )
    assert chart is not None, "the latency chart never left its baseline"
    assert chart.chart_type == "xbar_s" and chart.points.count() == 51
    violation = wait_for(lambda: Violation.objects.filter(chart=chart, rule=1).first())
    assert violation is not None, "no violation was stored"
    assert violation.t == shifted_minute
    assert violation.value == pytest.approx(np.expm1(np.mean(np.log1p(1500.0 + np.arange(8)))))
    assert len(violation.context) == 11 and violation.context[-1]["v"] == pytest.approx(
        violation.value
    )
    assert len(violation.event_ids) == 8
    time.sleep(3)  # further sweeps must not store it again
    assert Violation.objects.filter(chart=chart, rule=1).count() == 1

    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    listed = api_client.get(f"/api/v1/violations?chart={chart.pk}&rule=1", **auth).json()
    assert [v["id"] for v in listed["results"]] == [violation.pk]
    acked = api_client.post(
        f"/api/v1/violations/{violation.pk}/acknowledge",
        {"note": "load test"},
        format="json",
        **auth,
    ).json()
    assert acked["status"] == "acknowledged"
    exported = api_client.get("/api/v1/export/violations.csv", **auth)
    rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode())))
    assert any(row[0] == str(violation.pk) and row[10] == "acknowledged" for row in rows[1:])
