"""Absolute links in notifications: the incident page, a signed acknowledge link, and the
chart picture at an unguessable URL that expires."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

ACK_SALT = "alerts.acknowledge"
IMAGE_SALT = "alerts.chart-image"


def absolute(path: str) -> str:
    return settings.LLMSCOPE_PUBLIC_URL.rstrip("/") + path


def incident_url(incident) -> str:
    return absolute(
        reverse(
            "incident-detail",
            args=[incident.project.organization.slug, incident.project.slug, incident.pk],
        )
    )


def acknowledge_token(incident) -> str:
    return signing.dumps({"i": incident.pk}, salt=ACK_SALT, compress=True)


def acknowledge_url(incident) -> str:
    return absolute(reverse("incident-ack-link", args=[acknowledge_token(incident)]))


def incident_from_ack_token(token: str, max_age_days: int = 30) -> int | None:
    try:
        return int(signing.loads(token, salt=ACK_SALT, max_age=max_age_days * 86400)["i"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def image_token(incident) -> str:
    # The incident's random image key is inside: the URL cannot be derived from the id.
    return signing.dumps([incident.pk, incident.image_key], salt=IMAGE_SALT, compress=True)


def image_url(incident) -> str:
    return absolute(reverse("incident-chart-png", args=[image_token(incident)]))


def incident_from_image_token(token: str) -> tuple[int, str] | None:
    """(incident id, image key) of a valid, unexpired token, else None."""
    try:
        pk, key = signing.loads(
            token, salt=IMAGE_SALT, max_age=settings.LLMSCOPE_ALERT_IMAGE_DAYS * 86400
        )
        return int(pk), str(key)
    except (signing.BadSignature, TypeError, ValueError):
        return None
