"""Deliveries: retries with backoff on 5xx, Retry-After on 429, a bound then failed, one
claim per attempt, and a dead channel that does not hold the others back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts import delivery as sending
from alerts.models import Delivery
from tests.alerts.receivers import Answer, Receiver, dead_url

pytestmark = pytest.mark.django_db


def webhook(make_channel, url, secret):
    return make_channel("webhook", {"url": url, "signing_secret": secret})


def test_500_twice_then_200_is_one_accepted_delivery_with_one_webhook_id(
    violated_chart, make_channel, make_rule, fire, webhook_secret, fast_retries
):
    script = [Answer(500, b"oops"), Answer(500, b"oops"), Answer(200, b"ok")]
    with Receiver(script) as receiver:
        make_rule([webhook(make_channel, receiver.url, webhook_secret)])
        [incident] = fire(violated_chart)
        trigger = incident.deliveries.get()
        assert trigger.status == Delivery.Status.RETRYING and trigger.attempts == 1
        for _ in range(3):  # bounded: the sweep picks up due retries
            sending.sweep(timezone.now() + timedelta(seconds=1))
    trigger.refresh_from_db()
    assert trigger.status == Delivery.Status.SENT and trigger.attempts == 3
    assert len(receiver.requests) == 3
    assert {r.headers["webhook-id"] for r in receiver.requests} == {str(trigger.idempotency_key)}
    notified = incident.events.filter(kind="notified").get()
    assert "sent (HTTP 200) after 3 tries" in notified.message


def test_429_waits_for_retry_after(make_channel, webhook_secret, fast_retries, organization):
    script = [Answer(429, b"slow down", {"Retry-After": "7"}), Answer(200)]
    with Receiver(script) as receiver:
        channel = webhook(make_channel, receiver.url, webhook_secret)
        d = Delivery.objects.create(
            organization=organization, channel=channel, kind="test", payload={"event": "test"},
            max_attempts=3,
        )  # fmt: skip
        before = timezone.now()
        sending.send_delivery(d.pk)
        d.refresh_from_db()
        assert d.status == Delivery.Status.RETRYING and d.response_code == 429
        assert timedelta(seconds=6) <= d.next_attempt_at - before <= timedelta(seconds=9)
        assert sending.sweep(before + timedelta(seconds=3)) == 0  # not before Retry-After
        sending.sweep(before + timedelta(seconds=10))
    d.refresh_from_db()
    assert d.status == Delivery.Status.SENT and len(receiver.requests) == 2


def test_a_dead_receiver_fails_after_the_bound_and_the_others_are_sent_at_once(
    violated_chart, make_channel, make_rule, fire, webhook_secret, fast_retries
):
    with Receiver() as alive:
        dead = webhook(make_channel, dead_url(), webhook_secret)
        good = webhook(make_channel, alive.url, webhook_secret)
        make_rule([dead, good])
        [incident] = fire(violated_chart)
        assert incident.deliveries.get(channel=good).status == Delivery.Status.SENT
        for _ in range(5):
            sending.sweep(timezone.now() + timedelta(seconds=1))
    failed = incident.deliveries.get(channel=dead)
    assert failed.status == Delivery.Status.FAILED and failed.attempts == 3
    assert "Connection failed" in failed.error
    assert len(alive.requests) == 1


def test_a_404_fails_at_once_without_retrying(make_channel, webhook_secret, organization):
    with Receiver(default=Answer(404, b"no such hook")) as receiver:
        channel = webhook(make_channel, receiver.url, webhook_secret)
        d = Delivery.objects.create(
            organization=organization, channel=channel, kind="test", payload={"event": "test"}
        )
        sending.send_delivery(d.pk)
    d.refresh_from_db()
    assert d.status == Delivery.Status.FAILED and d.attempts == 1
    assert d.error == "HTTP 404: no such hook"


def test_only_one_of_two_claims_wins(make_channel, organization):
    channel = make_channel("webhook", {"url": "http://127.0.0.1:9/x", "signing_secret": "whsec_AA"})
    d = Delivery.objects.create(organization=organization, channel=channel, kind="test")
    now = timezone.now()
    other = Delivery.objects.get(pk=d.pk)
    assert d.claim(now, sending.LEASE) is True
    assert other.claim(now, sending.LEASE) is False
    # A worker that died leaves a lease; once it expires the delivery is taken over.
    assert other.claim(now + sending.LEASE + timedelta(seconds=1), sending.LEASE) is True


def test_backoff_doubles_and_is_capped(settings):
    settings.LLMSCOPE_ALERT_RETRY_BASE_S = 10
    settings.LLMSCOPE_ALERT_RETRY_MAX_S = 100
    assert 8 <= sending.backoff_seconds(1) <= 12
    assert 32 <= sending.backoff_seconds(3) <= 48
    assert sending.backoff_seconds(10) == 100
    assert sending.backoff_seconds(2, retry_after=30) == 30
