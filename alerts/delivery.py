"""Sending deliveries: claim (a conditional UPDATE), call the transport, record the outcome,
and retry with exponential backoff (or after Retry-After) up to a bound.

Each delivery is its own Celery task, queued after the transaction that stored it commits,
so a slow or dead channel holds only its own task. Retries are queued with a countdown;
the beat's sweep re-queues any delivery that is due and was not picked up (a worker killed
mid-send leaves a lease that expires), so every notification is sent at least once.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from alerts.models import Channel, Delivery, IncidentEvent
from alerts.transports import Outcome
from monitoring.probes.crypto import CredentialUnreadable

logger = logging.getLogger(__name__)

# How long an attempt may hold its delivery before another worker may take it over:
# longer than any transport's own timeout.
LEASE = timedelta(seconds=60)


def queue_after_commit(delivery_id: int) -> None:
    """Queue the send of a delivery once the current transaction commits."""
    transaction.on_commit(lambda: _enqueue(delivery_id))


def _enqueue(delivery_id: int, countdown: float | None = None) -> None:
    from alerts.tasks import send_delivery_task

    try:
        if countdown:
            send_delivery_task.apply_async(args=[delivery_id], countdown=countdown)
        else:
            send_delivery_task.delay(delivery_id)
    except Exception:  # the broker is down: the sweep will find the delivery due
        logger.exception("could not queue delivery %s; the sweep will retry it", delivery_id)


def backoff_seconds(attempts: int, retry_after: float | None = None) -> float:
    """The delay before the next try: Retry-After when the receiver gave one, else
    exponential from the base (×2 per attempt, ±20 % jitter), capped."""
    cap = settings.LLMSCOPE_ALERT_RETRY_MAX_S
    if retry_after is not None:
        return min(max(retry_after, 0.0), cap)
    base = settings.LLMSCOPE_ALERT_RETRY_BASE_S * (2 ** max(0, attempts - 1))
    return min(base * random.uniform(0.8, 1.2), cap)


def send_delivery(delivery_id: int, now: datetime | None = None) -> Delivery | None:
    """Make one attempt at a delivery if it is due and nobody else holds it. Returns the
    delivery after the attempt, or None when there was nothing to do."""
    now = now or timezone.now()
    delivery = Delivery.objects.select_related("channel", "incident").filter(pk=delivery_id).first()
    if delivery is None or not delivery.claim(now, LEASE):
        return None
    try:
        outcome = attempt(delivery)
    except Exception as exc:  # a bug in a transport must not leave the delivery stuck
        logger.exception("delivery %s: the transport raised", delivery.pk)
        outcome = Outcome(ok=False, error=f"Internal error: {exc.__class__.__name__}")
    record_outcome(delivery, outcome)
    return delivery


def attempt(delivery: Delivery) -> Outcome:
    channel = delivery.channel
    payload = {**delivery.payload, "sent_at": timezone.now().isoformat()}
    try:
        return channel.transport.notify(channel, payload, delivery)
    except CredentialUnreadable as exc:
        return Outcome(ok=False, error=str(exc))


def record_outcome(delivery: Delivery, outcome: Outcome) -> None:
    """Store the attempt's outcome: sent, retrying later, or failed for good."""
    now = timezone.now()
    fields = {
        "response_code": outcome.status_code,
        "error": outcome.error[:2000],
        "duration_ms": outcome.duration_ms,
        "lease_until": None,
    }
    retry_in = None
    if outcome.ok:
        fields.update(status=Delivery.Status.SENT, sent_at=now)
    elif outcome.retryable and delivery.attempts < delivery.max_attempts:
        retry_in = backoff_seconds(delivery.attempts, outcome.retry_after)
        fields.update(
            status=Delivery.Status.RETRYING, next_attempt_at=now + timedelta(seconds=retry_in)
        )
    else:
        fields["status"] = Delivery.Status.FAILED
    # Only the holder of this attempt writes its outcome (a worker whose lease was taken
    # over after it stalled must not overwrite the newer attempt).
    changed = Delivery.objects.filter(
        pk=delivery.pk, status=Delivery.Status.SENDING, attempts=delivery.attempts
    ).update(**fields)
    if not changed:
        return
    for name, value in fields.items():
        setattr(delivery, name, value)
    Channel.objects.filter(pk=delivery.channel_id).update(
        last_delivery_status=fields["status"], last_delivery_at=now
    )
    if delivery.incident_id and fields["status"] != Delivery.Status.RETRYING:
        _add_to_timeline(delivery, outcome)
    if retry_in is not None and not current_app.conf.task_always_eager:
        _enqueue(delivery.pk, countdown=retry_in)


def _add_to_timeline(delivery: Delivery, outcome: Outcome) -> None:
    what = f"{delivery.get_kind_display()} to {delivery.channel.name}"
    code = f" (HTTP {outcome.status_code})" if outcome.status_code else ""
    tries = f" after {delivery.attempts} tries" if delivery.attempts > 1 else ""
    if outcome.ok:
        message = f"{what}: sent{code}{tries}."
    else:
        message = f"{what}: failed{tries}: {outcome.error}"
    IncidentEvent.objects.create(
        incident_id=delivery.incident_id,
        kind=IncidentEvent.Kind.NOTIFIED,
        message=message[:2000],
        delivery=delivery,
    )


def due_deliveries(now: datetime, limit: int = 500) -> list[int]:
    """Deliveries that should be in flight but are not: due retries, stale leases, and
    queued ones whose task was lost."""
    stale_queue = now - timedelta(seconds=30)
    due = (
        Q(status=Delivery.Status.RETRYING, next_attempt_at__lte=now)
        | Q(status=Delivery.Status.QUEUED, created_at__lte=stale_queue)
        | Q(status=Delivery.Status.SENDING, lease_until__lte=now)
    )
    return list(
        Delivery.objects.filter(due, attempts__lt=F("max_attempts"))
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )


def fail_exhausted(now: datetime) -> int:
    """A delivery whose last attempt's worker died has no try left: mark it failed."""
    return Delivery.objects.filter(
        status=Delivery.Status.SENDING, lease_until__lte=now, attempts__gte=F("max_attempts")
    ).update(status=Delivery.Status.FAILED, error="The last attempt never finished.")


def sweep(now: datetime | None = None) -> int:
    """Send (eager mode) or re-queue (broker mode) every delivery that is due."""
    now = now or timezone.now()
    fail_exhausted(now)
    ids = due_deliveries(now)
    for delivery_id in ids:
        if current_app.conf.task_always_eager:
            send_delivery(delivery_id, now)
        else:
            _enqueue(delivery_id)
    return len(ids)
