"""Email through Django's mail settings (SMTP from the environment; the console in the
embedded mode), HTML and plain text, with the chart picture inline."""

from __future__ import annotations

import time
from email.mime.image import MIMEImage
from smtplib import SMTPException, SMTPRecipientsRefused, SMTPResponseException
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from alerts.images import incident_png
from alerts.transports.base import Outcome, Transport

CHART_CID = "chart@llmscope"


def recipients(channel) -> list[str]:
    """The chosen members (still members of the organization) and the extra addresses."""
    from tenants.models import Membership

    ids = channel.config.get("member_ids") or []
    members = Membership.objects.filter(
        organization_id=channel.organization_id, user_id__in=ids
    ).values_list("user__email", flat=True)
    addresses = [a for a in channel.config.get("addresses") or [] if a]
    return sorted({*[m for m in members if m], *addresses})


def build_message(channel, notification: dict[str, Any], png: bytes | None):
    context = {"n": notification, "chart_cid": CHART_CID if png else None}
    message = EmailMultiAlternatives(
        subject=f"[LLMscope] {notification['title']}"[:200],
        body=render_to_string("alerts/email/notification.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients(channel),
    )
    message.attach_alternative(
        render_to_string("alerts/email/notification.html", context), "text/html"
    )
    if png:
        message.mixed_subtype = "related"
        image = MIMEImage(png, "png")
        image.add_header("Content-ID", f"<{CHART_CID}>")
        image.add_header("Content-Disposition", "inline", filename="chart.png")
        message.attach(image)
    return message


class EmailTransport(Transport):
    kind = "email"
    label = "Email"
    secret_fields = []

    def notify(self, channel, notification: dict[str, Any], delivery) -> Outcome:
        started = time.monotonic()
        incident = delivery.incident if delivery is not None else None
        png = incident_png(incident) if incident is not None else None
        message = build_message(channel, notification, png)
        if not message.to:
            return Outcome(ok=False, error="No recipients: choose members or add addresses.")
        try:
            message.send(fail_silently=False)
            outcome = Outcome(ok=True, status_code=250)
        except SMTPRecipientsRefused as exc:
            outcome = Outcome(ok=False, error=f"Recipients refused: {list(exc.recipients)}")
        except SMTPResponseException as exc:
            # 4xx SMTP answers are temporary (greylisting, full mailbox), 5xx permanent.
            outcome = Outcome(
                ok=False,
                status_code=exc.smtp_code,
                error=f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"[:500],
                retryable=400 <= exc.smtp_code < 500,
            )
        except (SMTPException, OSError) as exc:
            outcome = Outcome(ok=False, error=f"Mail server: {exc}"[:500], retryable=True)
        outcome.duration_ms = (time.monotonic() - started) * 1000.0
        return outcome

    def describe(self, channel) -> str:
        return ", ".join(recipients(channel)) or "no recipients"
