"""Usage notices: owners are emailed when the month's events reach 80 % and 100 % of the
plan's included events, once per month each."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse

from billing import quota
from billing.models import UsageNotice
from tenants.models import Organization, Role


def send_usage_notice(organization_id: int, threshold: int, used: int, limit: int, period: date):
    """Email the owners about a crossed threshold, unless this month's notice went out."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return False
    try:
        with transaction.atomic():
            UsageNotice.objects.create(
                organization=organization, period_start=period, threshold=threshold
            )
    except IntegrityError:
        return False  # announced already this month
    owners = list(
        organization.memberships.filter(role=Role.OWNER).values_list("user__email", flat=True)
    )
    plan = quota.plan_for(organization)
    context = {
        "organization": organization,
        "threshold": threshold,
        "used": used,
        "limit": limit,
        "plan": plan,
        "link": settings.LLMSCOPE_PUBLIC_URL.rstrip("/")
        + reverse("billing-page", args=[organization.slug]),
    }
    subject = (
        f"{organization.name} has used {threshold} % of its monthly events on LLMscope"
        if threshold < 100
        else f"{organization.name} has used all its monthly events on LLMscope"
    )
    send_mail(
        subject=subject,
        message=render_to_string("billing/email/usage_threshold.txt", context),
        from_email=None,
        recipient_list=[e for e in owners if e],
    )
    return True
