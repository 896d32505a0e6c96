"""Two workers evaluating the same chart at once store each point and violation once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from spc.evaluation import evaluate_chart
from spc.models import ChartPoint, Violation
from tests.spc.factories import add_events
from tests.spc.test_evaluation import baseline_values, latency_chart


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_evaluations_store_each_violation_once(project):
    chart = latency_chart(project, rules=[1])
    add_events(project, baseline_values())
    evaluate_chart(chart.pk)
    spikes = [9000.0, 400.0] * 20
    add_events(project, spikes, start=timezone.now() - timedelta(minutes=30))

    barrier = threading.Barrier(4)
    errors = []

    def worker():
        try:
            barrier.wait(timeout=10)
            for _ in range(3):
                evaluate_chart(chart.pk)
        except Exception as exc:  # surfaced below; a thread must not swallow it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert ChartPoint.objects.filter(chart=chart).count() == 50 + 40
    assert Violation.objects.filter(chart=chart, rule=1).count() == 20
