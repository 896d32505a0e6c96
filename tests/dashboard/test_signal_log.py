"""The violation log speaks in signals; the chart states its false-alarm budget, the rules
turned off and why, the baseline's progress and provisional limits; signals go out live."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from llmscope_site.asgi import application
from spc.evaluation import evaluate_chart
from spc.models import Chart, Signal
from tests.dashboard.conftest import individuals_chart
from tests.dashboard.test_consumers import session_headers
from tests.dashboard.test_views import HTMX, url
from tests.spc.factories import add_events
from tests.tenancy import assert_cross_tenant_404

pytestmark = pytest.mark.django_db


def _baseline(project, chart):
    rng = np.random.default_rng(1)
    add_events(project, np.round(np.exp(rng.normal(np.log(400), 0.1, 50)), 1))
    evaluate_chart(chart.pk)
    return chart.current_limits()


def test_a_run_of_flags_is_one_row_with_its_flags_inside(client_for, viewer, project):
    chart = individuals_chart(project, limits_design=Chart.LimitsDesign.CLASSIC)
    limits = _baseline(project, chart)
    high = float(np.expm1(limits.center + 5 * limits.sigma))
    add_events(project, [high] * 4, start=timezone.now() - timedelta(minutes=20))
    evaluate_chart(chart.pk)
    signal = Signal.objects.get(chart=chart)
    html = client_for(viewer).get(url("dashboard-violations", project), **HTMX).content.decode()
    assert html.count('class="signal-row') == 1
    assert f'id="signal-row-s{signal.pk}"' in html
    # 4 points beyond 3σ, of which 3 also complete "2 of 3 beyond 2σ": 7 flags, one row
    assert "7 flags" in html and "4 points, still growing" in html
    assert "Beyond 3σ" in html and "2 of 3 beyond 2σ" in html
    assert html.count("data-violation-url") == 2 + 7  # a chip per rule, a line per flag


def test_a_flag_in_the_good_direction_is_labelled_and_not_counted(client_for, owner, project):
    chart = individuals_chart(project)
    limits = _baseline(project, chart)
    fast = float(np.expm1(limits.center - (limits.k + 1) * limits.sigma))
    add_events(project, [fast], start=timezone.now() - timedelta(minutes=20))
    evaluate_chart(chart.pk)
    chart.refresh_from_db()
    assert chart.status == Chart.Status.IN_CONTROL
    html = client_for(owner).get(url("dashboard-violations", project), **HTMX).content.decode()
    assert "good-direction" in html and "Unusual, in the good direction (not counted)" in html


def test_the_chart_states_its_budget_and_the_rules_it_turned_off(client_for, viewer, project):
    chart = individuals_chart(project)
    _baseline(project, chart)
    page = client_for(viewer).get(url("project-home", project) + f"?chart={chart.pk}")
    html = page.content.decode()
    assert "Budget: at most one false alarm per 7 days." in html
    assert "Expected with these limits: about one false alarm" in html or "fewer than" in html
    assert "9 in a row on one side is off:" in html
    data = client_for(viewer).get(url("dashboard-chart", project, chart_id=chart.pk)).json()
    assert data["design"]["provisional"] is False and data["baseline_ends"]
    assert len(data["excluded"]) == len(data["x"])


def test_a_short_baseline_shows_provisional_limits_and_its_progress(client_for, viewer, project):
    chart = individuals_chart(project)
    add_events(project, [400.0 + (i % 5) for i in range(25)])
    evaluate_chart(chart.pk)
    html = client_for(viewer).get(url("project-home", project) + f"?chart={chart.pk}")
    text = html.content.decode()
    assert "Provisional limits" in text and "25 of 50 points" in text
    data = client_for(viewer).get(url("dashboard-chart", project, chart_id=chart.pk)).json()
    assert data["design"]["provisional"] and data["ucl"][-1] is not None


def test_the_chart_data_of_another_tenant_answers_404(client_for, outsider, project):
    chart = individuals_chart(project)
    assert_cross_tenant_404(
        client_for(outsider), url("dashboard-chart", project, chart_id=chart.pk)
    )


@pytest.mark.django_db(transaction=True)
def test_a_new_signal_is_pushed_to_the_project_page(client, viewer, project):
    chart = individuals_chart(project, limits_design=Chart.LimitsDesign.CLASSIC)
    _baseline(project, chart)
    headers = session_headers(client, viewer)

    async def scenario():
        socket = WebsocketCommunicator(application, "/ws/o/acme/p/web/", headers=headers)
        connected, _ = await socket.connect(timeout=5)
        assert connected
        from asgiref.sync import sync_to_async

        def spike():
            add_events(project, [9000.0], start=timezone.now() - timedelta(minutes=5))
            evaluate_chart(chart.pk)

        await sync_to_async(spike)()
        seen = {}
        while "signal" not in seen:
            message = await socket.receive_json_from(timeout=10)
            seen[message["type"]] = message
        await socket.disconnect()
        return seen["signal"]

    message = async_to_sync(scenario)()
    assert message["chart"] == chart.pk
    assert message["signal"]["rules"] == [1] and message["signal"]["judged"] is True
