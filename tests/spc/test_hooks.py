"""`spc.hooks.evaluation_committed`: what the apps above SPC (alerts) hear of an evaluation."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from spc.evaluation import evaluate_chart
from spc.hooks import evaluation_committed
from spc.models import Chart, Violation
from tests.spc.factories import add_events
from tests.spc.test_evaluation import baseline_values, latency_chart

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    results = []

    def listener(sender, result, **kwargs):
        results.append((sender, result))

    evaluation_committed.connect(listener)
    yield results
    evaluation_committed.disconnect(listener)


def test_the_signal_comes_after_commit_with_the_new_violations(
    project, heard, django_capture_on_commit_callbacks
):
    chart = latency_chart(project)
    add_events(project, baseline_values())
    evaluate_chart(chart.pk)
    add_events(project, [9000.0], start=timezone.now() - timedelta(minutes=30))
    heard.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        evaluate_chart(chart.pk)
    assert heard == []  # nothing before the commit
    for callback in callbacks:
        callback()
    [(sender, result)] = heard
    assert sender is Chart
    assert result.chart.pk == chart.pk
    assert [v.rule for v in result.new_violations] == [1]
    assert Violation.objects.get().pk == result.new_violations[0].pk


def test_nothing_new_sends_nothing(project, heard, django_capture_on_commit_callbacks):
    chart = latency_chart(project)
    add_events(project, baseline_values())
    with django_capture_on_commit_callbacks(execute=True):
        evaluate_chart(chart.pk)
    assert len(heard) == 1  # the baseline: new points and limits
    with django_capture_on_commit_callbacks(execute=True):
        evaluate_chart(chart.pk)
    assert len(heard) == 1


def test_a_failing_receiver_is_logged_and_does_not_break_the_evaluation(
    project, heard, caplog, django_capture_on_commit_callbacks
):
    def broken(sender, result, **kwargs):
        raise RuntimeError("receiver down")

    evaluation_committed.connect(broken)
    try:
        chart = latency_chart(project)
        add_events(project, baseline_values())
        with (
            caplog.at_level(logging.ERROR, logger="spc.evaluation"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            result = evaluate_chart(chart.pk)
    finally:
        evaluation_committed.disconnect(broken)
    assert result is not None and result.new_limits is not None
    assert len(heard) == 1  # the other receivers still heard it
    assert "receiver down" in caplog.text
    chart.refresh_from_db()
    assert chart.status == Chart.Status.IN_CONTROL
