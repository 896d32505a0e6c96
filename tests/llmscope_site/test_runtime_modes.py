"""A real periodic task runs in both runtime modes.

Embedded (no REDIS_URL): the beat schedule is driven by a thread of the web process and the
task runs in-process. Production (REDIS_URL, as in CI): beat sends to the Redis broker and a
real Celery worker runs the task against the same database.
"""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from llmscope_site.celery import app
from tenants.models import Invitation, Role
from tenants.tasks import expire_stale_invitations


def stale_invitation(organization, owner) -> Invitation:
    invitation, _ = Invitation.create_for(organization, "old@example.com", Role.MEMBER, owner)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(days=40)
    )
    return invitation


def wait_until_gone(invitation: Invitation, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not Invitation.objects.filter(pk=invitation.pk).exists():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def fast_schedule():
    """The real task on a sub-second schedule, for the length of one test."""
    original = dict(app.conf.beat_schedule)
    app.conf.beat_schedule = {
        "expire-stale-invitations": {
            "task": "tenants.tasks.expire_stale_invitations",
            "schedule": timedelta(seconds=0.5),
        }
    }
    yield
    app.conf.beat_schedule = original


def run_beat_until_gone(invitation) -> bool:
    from celery.beat import EmbeddedService

    from llmscope_site.embedded_beat import InMemoryScheduler

    service = EmbeddedService(app, thread=True, scheduler_cls=InMemoryScheduler, max_interval=0.5)
    service.daemon = True
    service.start()
    try:
        return wait_until_gone(invitation)
    finally:
        service.stop()


@pytest.mark.skipif(not settings.EMBEDDED, reason="embedded mode only")
@pytest.mark.django_db(transaction=True)
def test_embedded_beat_runs_the_task_in_process(organization, owner, fast_schedule):
    invitation = stale_invitation(organization, owner)
    assert run_beat_until_gone(invitation)


@pytest.mark.skipif(not settings.EMBEDDED, reason="embedded mode only")
def test_embedded_tasks_run_eagerly(organization, owner):
    invitation = stale_invitation(organization, owner)
    expire_stale_invitations.delay()
    assert not Invitation.objects.filter(pk=invitation.pk).exists()


@pytest.mark.redis
def test_a_real_worker_runs_the_task_sent_through_redis(organization, owner, celery_worker_live):
    invitation = stale_invitation(organization, owner)
    expire_stale_invitations.delay()
    assert wait_until_gone(invitation)


@pytest.mark.redis
def test_beat_sends_through_redis_to_a_real_worker(
    organization, owner, celery_worker_live, fast_schedule
):
    invitation = stale_invitation(organization, owner)
    assert run_beat_until_gone(invitation)
