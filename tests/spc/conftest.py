"""Fixtures of the SPC tests."""

from datetime import timedelta

import pytest
from django.utils import timezone

from spc.evaluation import evaluate_chart
from tests.spc.factories import add_events
from tests.spc.test_evaluation import baseline_values, latency_chart


@pytest.fixture
def chart_with_violation(project):
    chart = latency_chart(project)
    add_events(project, baseline_values())
    evaluate_chart(chart.pk)
    add_events(project, [9000.0], start=timezone.now() - timedelta(minutes=30))
    evaluate_chart(chart.pk)
    return chart
