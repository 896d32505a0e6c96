"""Events quota at the ingest endpoints: refused whole with 429 + Retry-After at the limit,
nothing stored, counter unchanged; a new month starts fresh; billing off refuses nothing.

Transactional: the counter's cache is updated after each commit, as in production."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db.models import Sum

from billing import quota
from billing.models import UsageCounter, UsageNotice
from billing.notices import send_usage_notice
from billing.plans import period_bounds
from llmscope_site.celery import app as celery_app
from monitoring.ingest.schema import EventIn
from monitoring.ingest.service import ingest_events
from monitoring.models import Event
from tests.billing.conftest import set_free_events
from tests.monitoring.conftest import auth, event
from tests.monitoring.otlp_factory import export_request, to_otlp_json

pytestmark = pytest.mark.django_db(transaction=True)

GENAI = {"gen_ai.request.model": "gpt-4o", "gen_ai.provider.name": "openai"}


@pytest.fixture
def key(project, make_api_key):
    return make_api_key(project, scopes=("ingest",))


@pytest.fixture
def send(client, key):
    def post(n: int):
        return client.post(
            "/api/v1/events",
            data={"events": [event() for _ in range(n)]},
            content_type="application/json",
            **auth(key),
        )

    return post


def counted(organization) -> int:
    return (
        UsageCounter.objects.filter(organization=organization).aggregate(n=Sum("events"))["n"] or 0
    )


def test_the_batch_that_crosses_the_monthly_limit_is_refused_whole(
    organization, project, send, billing_on
):
    set_free_events(10)
    assert send(8).status_code == 202

    refused = send(3)

    assert refused.status_code == 429
    body = refused.json()
    assert body["error"] == "quota_exceeded"
    assert "Free plan allows 10 events a month" in body["message"]
    assert body["details"][0] | {"message": ""} == {
        "field": "events",
        "message": "",
        "plan": "free",
        "limit": 10,
        "used": 8,
        "requested": 3,
    }
    seconds_left = (period_bounds(datetime.now(UTC))[1] - datetime.now(UTC)).total_seconds()
    assert abs(int(refused["Retry-After"]) - math.ceil(seconds_left)) <= 5
    assert Event.objects.for_project(project).count() == 8
    assert counted(organization) == 8
    assert quota.events_used(organization) == 8

    # Up to the limit exactly is fine; one more is not.
    assert send(2).status_code == 202
    assert send(1).status_code == 429
    assert Event.objects.for_project(project).count() == 10


def test_otlp_over_the_limit_is_refused_with_429(organization, project, client, key, billing_on):
    set_free_events(1)
    body = to_otlp_json(export_request([{"attributes": GENAI}, {"attributes": GENAI}]))
    response = client.post("/v1/traces", data=body, content_type="application/json", **auth(key))
    assert response.status_code == 429
    assert response.json()["error"] == "quota_exceeded"
    assert int(response["Retry-After"]) >= 1
    assert Event.objects.for_project(project).count() == 0
    assert counted(organization) == 0


def test_a_new_month_starts_fresh(organization, project, send, billing_on):
    set_free_events(10)
    last_month = period_bounds(datetime.now(UTC))[0] - timedelta(days=1)
    UsageCounter.objects.create(organization=organization, day=last_month.date(), events=10)
    assert send(10).status_code == 202
    assert quota.events_used(organization) == 10


def test_duplicates_are_not_counted(organization, project, client, key, billing_on):
    set_free_events(10)
    batch = {"events": [event(id="6f1c2a8e-8d3b-4d7e-9a51-1d2c3b4a5f60")]}
    for _ in range(3):
        response = client.post(
            "/api/v1/events", data=batch, content_type="application/json", **auth(key)
        )
        assert response.status_code == 202
    assert counted(organization) == 1


def test_probe_results_are_not_counted_against_the_events(organization, project, billing_on):
    set_free_events(1)
    ingest_events(project, [EventIn(model="m", latency_ms=1.0)] * 3, source="probe")
    assert Event.objects.for_project(project).count() == 3
    assert counted(organization) == 0


def test_with_billing_off_nothing_is_refused(organization, project, send, plans):
    set_free_events(1)  # would refuse if billing were on
    assert send(5).status_code == 202
    assert Event.objects.for_project(project).count() == 5
    assert counted(organization) == 0  # nothing is kept for billing either


@pytest.fixture
def eager_tasks():
    """Run queued tasks in-process (in Redis mode they would wait for a worker)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def test_owners_are_emailed_at_80_and_100_percent_once(
    organization, project, send, billing_on, eager_tasks
):
    set_free_events(10)
    crossings = []

    def listen(sender, **kwargs):
        crossings.append((kwargs["threshold"], kwargs["used"], kwargs["limit"]))

    quota.usage_threshold_crossed.connect(listen)
    try:
        send(7)
        assert crossings == [] and mail.outbox == []
        send(1)  # 8 of 10
        send(1)
        send(1)  # 10 of 10
        send(1)  # refused: no further notice
    finally:
        quota.usage_threshold_crossed.disconnect(listen)

    assert crossings == [(80, 8, 10), (100, 10, 10)]
    assert [m.to for m in mail.outbox] == [["owner@example.com"], ["owner@example.com"]]
    assert "80 %" in mail.outbox[0].subject
    assert "used all its monthly events" in mail.outbox[1].subject
    assert "/o/acme/billing/" in mail.outbox[0].body
    assert UsageNotice.objects.filter(organization=organization).count() == 2


def test_a_notice_goes_out_once_a_month_even_if_signalled_twice(organization, billing_on):
    today = datetime.now(UTC).date().replace(day=1)
    assert send_usage_notice(organization.pk, 80, 8, 10, today) is True
    assert send_usage_notice(organization.pk, 80, 9, 10, today) is False
    assert len(mail.outbox) == 1
