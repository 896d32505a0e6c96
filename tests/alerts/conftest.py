"""Fixtures of the alerts tests: channels pointed at local receivers, an SPC chart with a
violation, helpers to run the after-commit work."""

from __future__ import annotations

import pytest

from alerts.forms import new_signing_secret
from alerts.models import AlertRule, Channel, RuleKind


@pytest.fixture(autouse=True)
def _tasks_in_process(request):
    """The unit tests of alerts run their tasks in-process (as the embedded mode does), also
    when REDIS_URL is set; the end-to-end tests (marked redis) use the real worker."""
    if request.node.get_closest_marker("redis"):
        yield
        return
    from llmscope_site.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = eager


@pytest.fixture
def make_channel(organization):
    def make(kind: str, secrets: dict | None = None, config: dict | None = None, org=None, name=""):
        channel = Channel(
            organization=org or organization,
            kind=kind,
            name=name or f"{kind} channel",
            config=config or {},
        )
        channel.set_secrets(secrets or {})
        channel.save()
        return channel

    return make


@pytest.fixture
def webhook_secret() -> str:
    return new_signing_secret()


@pytest.fixture
def make_rule(project):
    def make(channels=(), kind: str = RuleKind.SPC, proj=None, **fields):
        proj = proj or project
        rule = AlertRule.objects.create(
            organization=proj.organization,
            project=proj,
            name=fields.pop("name", "rule"),
            kind=kind,
            **fields,
        )
        rule.channels.set(channels)
        return rule

    return make


@pytest.fixture
def fast_retries(settings):
    settings.LLMSCOPE_ALERT_RETRY_BASE_S = 0.0
    settings.LLMSCOPE_ALERT_MAX_ATTEMPTS = 3
    return settings


@pytest.fixture
def violated_chart(project):
    """An individuals latency chart past its baseline, with one rule-1 violation."""
    from datetime import timedelta

    from django.utils import timezone

    from spc.evaluation import evaluate_chart
    from tests.spc.factories import add_events
    from tests.spc.test_evaluation import baseline_values, latency_chart

    chart = latency_chart(project)
    add_events(project, baseline_values())
    evaluate_chart(chart.pk)
    add_events(project, [9000.0], start=timezone.now() - timedelta(minutes=30))
    result = evaluate_chart(chart.pk)
    chart.refresh_from_db()
    chart.new_violations = result.new_violations
    return chart


@pytest.fixture
def fire(django_capture_on_commit_callbacks):
    """Decide a chart's new violations and run the after-commit sends; returns the
    incidents of the chart."""
    from alerts.models import Incident
    from alerts.spc_rules import decide_chart

    def run(chart, violations=None):
        with django_capture_on_commit_callbacks(execute=True):
            decide_chart(chart, violations if violations is not None else chart.new_violations)
        return list(Incident.objects.filter(chart=chart))

    return run
