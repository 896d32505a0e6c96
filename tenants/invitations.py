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


# An invitation link opened before signing in is remembered in the session, so the
# invitee lands on it again after signing up or signing in, whichever link they use.
PENDING_SESSION_KEY = "pending_invitation"


def remember_pending(session, token: str) -> None:
    session[PENDING_SESSION_KEY] = token


def pending_invitation(session) -> tuple[str, Invitation] | None:
    """(token, invitation) of the remembered invitation while it can still be accepted."""
    token = session.get(PENDING_SESSION_KEY)
    if not token:
        return None
    invitation = Invitation.find_by_token(token)
    if invitation is None or invitation.is_accepted or invitation.is_expired:
        session.pop(PENDING_SESSION_KEY, None)
        return None
    return token, invitation


def forget_pending(session) -> None:
    session.pop(PENDING_SESSION_KEY, None)
