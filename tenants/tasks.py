"""Periodic tenant tasks: thin wrappers over functions tested on their own."""

from celery import shared_task

from tenants.invitations import delete_stale_invitations


@shared_task(name="tenants.tasks.expire_stale_invitations")
def expire_stale_invitations() -> int:
    """Delete invitations that expired long ago; returns how many."""
    return delete_stale_invitations()
