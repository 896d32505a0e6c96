"""Metered overage: reported to Stripe's meter once per organization and interval, however
often the task runs or is retried."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from billing import quota
from billing.metering import report_overage
from billing.models import OverageReport, Plan, UsageCounter
from billing.tasks import report_overage_task

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(minute=30)


@pytest.fixture
def team(organization, subscribe):
    Plan.objects.filter(slug="team").update(events_per_month=100)
    subscribe(organization)
    return organization


def add_events(organization, n: int, day=None) -> None:
    UsageCounter.objects.create(
        organization=organization,
        day=day or NOW.date(),
        shard=UsageCounter.objects.count(),
        events=n,
    )


def test_overage_is_reported_once_per_interval_even_if_the_task_runs_twice(team, billing_on):
    add_events(team, 150)

    first = report_overage(NOW)
    second = report_overage(NOW + timedelta(minutes=10))

    assert (first.created, first.sent) == (1, 1)
    assert (second.created, second.sent) == (0, 0)
    (call,) = billing_on.requests_to("/v1/billing/meter_events")
    assert call.params["event_name"] == "llmscope_events"
    assert call.params["payload"] == {"stripe_customer_id": "cus_acme", "value": "50"}
    assert call.params["identifier"].startswith(f"llmscope-overage-{team.pk}-")
    assert billing_on.billed_meter_value("cus_acme") == 50


def test_the_next_interval_reports_only_the_new_overage(team, billing_on):
    add_events(team, 150)
    report_overage(NOW)
    add_events(team, 30)
    report_overage(NOW + timedelta(hours=1))
    assert billing_on.billed_meter_value("cus_acme") == 80
    assert list(OverageReport.objects.values_list("quantity", flat=True)) == [50, 30]


def test_a_report_whose_answer_was_lost_is_resent_and_billed_once(team, billing_on):
    add_events(team, 150)
    # Stripe records the event, then the answer never arrives.
    billing_on.fail("/v1/billing/meter_events", times=1, after_effect=True)
    failed = report_overage(NOW)
    assert (failed.created, failed.sent, failed.failed) == (1, 0, 1)
    assert OverageReport.objects.get().sent_at is None

    retried = report_overage(NOW + timedelta(minutes=5))

    assert retried.sent == 1
    identifiers = [c.params["identifier"] for c in billing_on.requests_to("/v1/billing/")]
    assert len(identifiers) == 2 and identifiers[0] == identifiers[1]
    assert billing_on.billed_meter_value("cus_acme") == 50
    assert OverageReport.objects.get().sent_at is not None


def test_a_report_that_never_reached_stripe_is_sent_later(team, billing_on):
    add_events(team, 120)
    billing_on.fail("/v1/billing/meter_events", times=1)
    report_overage(NOW)
    assert billing_on.billed_meter_value("cus_acme") == 0
    report_overage(NOW + timedelta(hours=1))
    assert billing_on.billed_meter_value("cus_acme") == 20
    assert OverageReport.objects.count() == 1


def test_nothing_is_reported_within_the_included_events(team, billing_on):
    add_events(team, 100)
    assert report_overage(NOW).created == 0
    assert billing_on.requests_to("/v1/billing/") == []


def test_free_organizations_are_never_metered(organization, billing_on):
    add_events(organization, 10_000_000)
    assert report_overage(NOW).created == 0


def test_the_beat_task_runs_the_report(team, billing_on):
    add_events(team, 101)
    assert report_overage_task() == {"created": 1, "sent": 1, "failed": 0}


def test_the_billing_page_shows_the_overage_so_far(team, billing_on, client_for, owner):
    add_events(team, 250_150)
    Plan.objects.filter(slug="team").update(events_per_month=150)
    quota.forget()  # staff edits reach running processes within a minute; this one now
    page = client_for(owner).get(f"/o/{team.slug}/billing/").content.decode()
    assert "Overage so far this month: 250,000 events, $15.00" in page
