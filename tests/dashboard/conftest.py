"""Fixtures of the dashboard tests: a project with traffic, a chart and a violation."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from monitoring.api.ratelimit import limiter
from spc.chart_metrics import ChartType, Metric, Transform
from spc.evaluation import evaluate_chart
from spc.models import Chart, Violation
from tests.spc.factories import add_events


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    limiter.reset()
    yield
    limiter.reset()


def post_events(client, key: str, events: list[dict]):
    return client.post(
        "/api/v1/events",
        data=json.dumps({"events": events}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def traffic(minutes_ago: float, n: int, latency: float = 400.0, **fields) -> list[dict]:
    """`n` calls around `minutes_ago`, latencies spread around `latency`."""
    start = timezone.now() - timedelta(minutes=minutes_ago)
    return [
        {
            "timestamp": (start + timedelta(seconds=i)).isoformat(),
            "model": "gpt-4o-mini",
            "provider": "openai",
            "latency_ms": latency * (0.9 + 0.2 * (i % 5) / 4),
            "ttft_ms": latency / 4,
            "input_tokens": 100,
            "output_tokens": 50,
            **fields,
        }
        for i in range(n)
    ]


@pytest.fixture
def with_traffic(client, project, make_api_key):
    """Calls in the last hour and the hour before, through the real ingest API."""
    key = make_api_key(project)
    assert post_events(client, key, traffic(30, 20, 400.0)).status_code == 202
    assert post_events(client, key, traffic(90, 10, 200.0)).status_code == 202
    errors = traffic(20, 2, 900.0, status="error", error_type="timeout", model="gpt-4o")
    assert post_events(client, key, errors).status_code == 202
    client.logout()
    return project


def individuals_chart(project, **kw) -> Chart:
    fields = {
        "organization": project.organization,
        "project": project,
        "name": "Latency · all calls",
        "metric": Metric.LATENCY,
        "chart_type": ChartType.INDIVIDUALS,
        "transform": Transform.LOG,
        "filter": {"model": "gpt-4o"},
        "baseline_size": 50,
    }
    fields.update(kw)
    return Chart.objects.create(**fields)


@pytest.fixture
def violation(project) -> Violation:
    chart = individuals_chart(project)
    rng = np.random.default_rng(1)
    values = np.round(np.exp(rng.normal(np.log(400), 0.1, size=50)), 1)
    add_events(project, values, start=timezone.now() - timedelta(hours=3))
    evaluate_chart(chart.pk)
    add_events(project, [9000.0], start=timezone.now() - timedelta(minutes=30))
    evaluate_chart(chart.pk)
    return Violation.objects.get(chart=chart)
