"""Signals: consecutive flags of one chart form one signal that grows; flags on the side a
chart does not judge are "unusual, in the good direction" and leave its status alone; the
signals endpoint (filters, cursor, bad input, tenancy, roles)."""

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from spc.evaluation import evaluate_chart
from spc.models import Chart, Signal, Violation
from tests.spc.factories import add_events
from tests.spc.test_evaluation import baseline_values, latency_chart
from tests.tenancy import assert_cross_tenant_404

pytestmark = pytest.mark.django_db


def _chart_with_baseline(project, **kw) -> tuple[Chart, float, float]:
    chart = latency_chart(project, **kw)
    add_events(project, baseline_values())
    evaluate_chart(chart.pk)
    limits = chart.current_limits()
    return chart, limits.center, limits.sigma


def _ms(log_value: float) -> float:
    return float(np.expm1(log_value))


def test_a_continuing_run_makes_one_signal_that_grows(project):
    # the classic design keeps rule 2 (9 in a row) on, so the run flags every point
    chart, center, sigma = _chart_with_baseline(project, limits_design=Chart.LimitsDesign.CLASSIC)
    start = timezone.now() - timedelta(minutes=40)
    add_events(project, [_ms(center - 0.5 * sigma)], start=start)
    # 12 points just above the centre: rule 2 flags the 9th, 10th, 11th and 12th
    add_events(project, [_ms(center + 0.5 * sigma)] * 12, start=start + timedelta(minutes=1))
    first = evaluate_chart(chart.pk)
    assert Violation.objects.filter(chart=chart).count() == 4
    assert len(first.opened_signals) == 1 and first.updated_signals == []
    # the run goes on, and a spike joins it: still one signal, now with two rules
    add_events(
        project,
        [_ms(center + 0.5 * sigma)] * 3 + [_ms(center + 6 * sigma)],
        start=start + timedelta(minutes=5),
    )
    second = evaluate_chart(chart.pk)
    assert second.opened_signals == []
    assert [s.pk for s in second.updated_signals] == [first.opened_signals[0].pk]
    signal = Signal.objects.get(chart=chart)
    assert signal.rules == [1, 2]
    assert signal.flagged_count == 8  # points 9 … 16 of the run
    assert signal.point_count == 8
    assert signal.direction == Signal.Direction.HARMFUL and signal.judged
    assert signal.worst_value == pytest.approx(_ms(center + 6 * sigma))
    assert set(Violation.objects.filter(chart=chart).values_list("signal", flat=True)) == {
        signal.pk
    }
    chart.refresh_from_db()
    assert chart.status == Chart.Status.OUT_OF_CONTROL


def test_a_gap_closes_a_signal_and_the_next_flag_opens_another(project):
    chart, center, sigma = _chart_with_baseline(project)
    start = timezone.now() - timedelta(minutes=40)
    values = [_ms(center + 6 * sigma)] + [_ms(center)] * 8 + [_ms(center + 6 * sigma)]
    add_events(project, values, start=start)
    evaluate_chart(chart.pk)
    signals = list(Signal.objects.filter(chart=chart).order_by("start_t"))
    assert len(signals) == 2
    assert signals[0].state == Signal.State.CLOSED
    assert signals[1].state == Signal.State.OPEN


def test_faster_answers_are_unusual_in_the_good_direction_and_keep_the_chart_in_control(
    project,
):
    chart, center, sigma = _chart_with_baseline(project)
    add_events(project, [_ms(center - 6 * sigma)], start=timezone.now() - timedelta(minutes=40))
    result = evaluate_chart(chart.pk)
    violation = Violation.objects.get(chart=chart)
    assert violation.side == -1 and not violation.judged
    signal = Signal.objects.get(chart=chart)
    assert signal.direction == Signal.Direction.GOOD and not signal.judged
    assert result.opened_signals == [signal]  # carried, but marked not judged: no alert
    chart.refresh_from_db()
    assert chart.status == Chart.Status.IN_CONTROL


def test_a_two_sided_chart_judges_both_directions(project):
    chart, center, sigma = _chart_with_baseline(project, judged_sides="both")
    add_events(project, [_ms(center - 6 * sigma)], start=timezone.now() - timedelta(minutes=40))
    evaluate_chart(chart.pk)
    assert Signal.objects.get(chart=chart).judged
    chart.refresh_from_db()
    assert chart.status == Chart.Status.OUT_OF_CONTROL


def test_tokens_per_second_is_harmful_downwards(project):
    chart = latency_chart(project)
    assert chart.harmful_sign == 1
    chart.metric = "output_tokens_per_s"
    assert chart.harmful_sign == -1 and chart.judges(-1) and not chart.judges(1)


def auth(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.fixture
def chart_with_signals(project):
    chart, center, sigma = _chart_with_baseline(project)
    start = timezone.now() - timedelta(minutes=40)
    add_events(project, [_ms(center + 6 * sigma)], start=start)
    add_events(project, [_ms(center)] * 8, start=start + timedelta(minutes=1))
    add_events(project, [_ms(center - 6 * sigma)], start=start + timedelta(minutes=2))
    evaluate_chart(chart.pk)
    return chart


def test_the_signals_endpoint_lists_signals_with_their_flags(
    api_client, project, make_api_key, chart_with_signals
):
    body = api_client.get("/api/v1/spc/signals", **auth(make_api_key(project))).json()
    assert [s["direction"] for s in body["results"]] == ["good", "harmful"]
    harmful = body["results"][1]
    assert harmful["chart"] == chart_with_signals.pk
    assert harmful["rules"] == [1] and harmful["state"] == "closed"
    assert [f["rule"] for f in harmful["flags"]] == [1]
    assert body["next"] is None
    only = api_client.get(
        "/api/v1/spc/signals?direction=harmful", **auth(make_api_key(project))
    ).json()
    assert [s["id"] for s in only["results"]] == [harmful["id"]]


def test_the_signals_endpoint_pages_with_a_cursor(
    api_client, project, make_api_key, chart_with_signals, monkeypatch
):
    monkeypatch.setattr("spc.api.PAGE_SIZE", 1)
    key = auth(make_api_key(project))
    first = api_client.get("/api/v1/spc/signals", **key).json()
    second = api_client.get(f"/api/v1/spc/signals?cursor={first['next']}", **key).json()
    assert len(first["results"]) == len(second["results"]) == 1
    assert first["results"][0]["id"] != second["results"][0]["id"]
    assert second["next"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [("direction=sideways", "direction"), ("state=maybe", "state"), ("chart=x", "chart"),
     ("since=yesterday", "since"), ("cursor=%%%", "cursor")],
)  # fmt: skip
def test_bad_signal_filters_are_clear_400s(api_client, project, make_api_key, query, field):
    response = api_client.get(f"/api/v1/spc/signals?{query}", **auth(make_api_key(project)))
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "validation_error"
    assert [d["field"] for d in body["details"]] == [field]


def test_signals_stay_inside_their_tenant(
    api_client, client_for, outsider, project, other_project, make_api_key, chart_with_signals
):
    other = api_client.get("/api/v1/spc/signals", **auth(make_api_key(other_project))).json()
    assert other["results"] == []
    assert_cross_tenant_404(client_for(outsider), "/o/acme/p/web/api/spc/signals")


@pytest.mark.parametrize("role", ["owner", "admin_user", "member", "viewer"])
def test_every_role_reads_signals_on_the_session_twin(
    request, client_for, project, chart_with_signals, role
):
    response = client_for(request.getfixturevalue(role)).get("/o/acme/p/web/api/spc/signals")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 2
