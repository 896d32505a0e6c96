"""Invitation emails and the periodic clean-up of stale invitations."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from tenants.models import Invitation

# Expired, unaccepted invitations are kept this long (so "expired" can be shown) then deleted.
STALE_AFTER = timedelta(days=30)


def send_invitation_email(invitation: Invitation, link: str) -> None:
    context = {"invitation": invitation, "link": link, "days": settings.LLMSCOPE_INVITATION_DAYS}
    send_mail(
        subject=f"You are invited to {invitation.organization.name} on LLMscope",
        message=render_to_string("tenants/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


def delete_stale_invitations(now=None) -> int:
    """Delete unaccepted invitations that expired more than STALE_AFTER ago; returns the count."""
    now = now or timezone.now()
    deleted, _ = Invitation.objects.filter(
        accepted_at__isnull=True, expires_at__lt=now - STALE_AFTER
    ).delete()
    return deleted
