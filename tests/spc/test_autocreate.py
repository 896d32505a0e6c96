"""Charts appear by themselves for API/OTLP series, once, and the sweep evaluates them."""

import pytest

from monitoring.signals import events_recorded
from spc.autocreate import ensure_series_charts, error_rate_subgroup_seconds, forget_known_series
from spc.models import Chart
from spc.tasks import evaluate_dirty_charts
from tests.spc.factories import add_events

pytestmark = pytest.mark.django_db


def test_an_api_series_gets_latency_ttft_cost_and_error_rate_charts(project):
    with_ttft = ensure_series_charts(project, "gpt-4o", "production", has_ttft=True)
    names = sorted(c.name for c in with_ttft)
    assert names == [
        "gpt-4o · production · Cost per call",
        "gpt-4o · production · Error rate",
        "gpt-4o · production · Latency",
        "gpt-4o · production · TTFT",
    ]
    latency = Chart.objects.get(metric="latency_ms")
    assert (latency.chart_type, latency.transform) == ("xbar_s", "log")
    assert latency.filter == {
        "model": "gpt-4o",
        "environment": "production",
        "source": ["api", "otlp"],
    }
    assert Chart.objects.get(metric="error_rate").chart_type == "p"


def test_series_charts_are_created_once_even_across_processes(project):
    ensure_series_charts(project, "gpt-4o", "production", has_ttft=False)
    forget_known_series()  # as a second process would, with an empty memo
    ensure_series_charts(project, "gpt-4o", "production", has_ttft=False)
    assert Chart.objects.count() == 3


def test_the_signal_creates_charts_and_queues_one_evaluation_after_commit(
    project, django_capture_on_commit_callbacks, monkeypatch, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # the broker path; the task itself is stubbed
    queued = []
    monkeypatch.setattr(
        "spc.tasks.evaluate_project.apply_async", lambda args, **kw: queued.append(args[0])
    )
    with django_capture_on_commit_callbacks(execute=True):
        add_events(project, [100.0, 120.0])
        events_recorded.send(
            sender=None, project=project, series={("gpt-4o", "staging", "api", False)}
        )
        events_recorded.send(
            sender=None, project=project, series={("gpt-4o", "staging", "api", False)}
        )
        assert queued == []  # nothing before the commit
    assert Chart.objects.filter(project=project, dirty=True).count() == 3
    assert queued == [project.pk]  # one evaluation for the burst...

    from spc.tasks import evaluation_finished

    with django_capture_on_commit_callbacks(execute=True):
        events_recorded.send(
            sender=None, project=project, series={("gpt-4o", "staging", "api", False)}
        )
    assert queued == [project.pk]  # ...an event during it waits for it to end...
    evaluation_finished(project.pk)
    assert queued == [project.pk, project.pk]  # ...and is then evaluated, not dropped
    evaluation_finished(project.pk)


def test_probe_series_are_not_charted_as_api_traffic(project):
    events_recorded.send(
        sender=None, project=project, series={("demo", "production", "probe", True)}
    )
    assert not Chart.objects.exists()


def test_the_sweep_queues_every_dirty_chart(project, monkeypatch):
    queued = []
    monkeypatch.setattr("spc.tasks.evaluate_chart_task.delay", queued.append)
    charts = ensure_series_charts(project, "gpt-4o", "production", has_ttft=False)
    Chart.objects.filter(pk=charts[0].pk).update(dirty=False)
    assert evaluate_dirty_charts() == 2
    assert sorted(queued) == sorted(c.pk for c in charts[1:])


def test_evaluating_a_project_clears_its_dirty_charts(project):
    from spc.tasks import evaluate_project

    ensure_series_charts(project, "gpt-4o", "production", has_ttft=False)
    add_events(project, [100.0], source="api")
    evaluate_project(project.pk)
    assert not Chart.objects.filter(dirty=True).exists()


@pytest.mark.parametrize(("interval", "seconds"), [(10, 60), (30, 300), (60, 300), (600, 3600)])
def test_probe_error_rate_subgroups_hold_about_five_calls(interval, seconds):
    assert error_rate_subgroup_seconds(interval) == seconds


def test_only_charts_that_may_see_the_series_are_marked_dirty(project):
    from spc.triggers import mark_series_dirty

    gpt = ensure_series_charts(project, "gpt-4o", "production", has_ttft=False)
    claude = ensure_series_charts(project, "claude-sonnet-4", "production", has_ttft=False)
    Chart.objects.update(dirty=False)
    mark_series_dirty(project.pk, {("claude-sonnet-4", "production", "otlp", False)})
    dirty = set(Chart.objects.filter(dirty=True).values_list("id", flat=True))
    assert dirty == {c.pk for c in claude}
    assert not dirty & {c.pk for c in gpt}


def test_a_probe_event_marks_only_that_probes_charts(project):
    from spc.triggers import mark_series_dirty
    from tests.monitoring.probes.factories import make_probe

    first, second = make_probe(project), make_probe(project)
    Chart.objects.update(dirty=False)
    mark_series_dirty(project.pk, {("test-model", "production", "probe", True)}, {second.pk})
    dirty = Chart.objects.filter(dirty=True)
    assert dirty.count() == 4
    assert {c.filter["probe_id"] for c in dirty} == {second.pk}
    assert first.pk != second.pk
