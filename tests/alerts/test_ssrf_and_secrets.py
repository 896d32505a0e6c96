"""In production settings every URL-taking channel refuses private addresses, at save and
again at send time; secrets are encrypted in the database and shown masked."""

from __future__ import annotations

import pytest
from django.db import connection

from alerts.channels import send_test_notification
from alerts.forms import CHANNEL_FORMS
from alerts.models import Channel, Delivery

pytestmark = pytest.mark.django_db

PRIVATE = {
    "slack": {"webhook_url": "https://127.0.0.1/services/x"},
    "webhook": {"url": "http://10.0.0.5/hook"},
    "discord": {"webhook_url": "https://192.168.1.2/api/webhooks/1/x"},
    "teams": {"webhook_url": "http://169.254.169.254/latest/meta-data"},
    "apprise": {"url": "json://127.0.0.1:8080/notify"},
}


@pytest.mark.parametrize("kind", sorted(PRIVATE))
def test_private_targets_are_refused_at_save_in_production(kind, settings, organization):
    settings.LLMSCOPE_ALLOW_PRIVATE_TARGETS = False
    form = CHANNEL_FORMS[kind]({"name": "x", **PRIVATE[kind]}, organization=organization)
    assert not form.is_valid()
    message = " ".join(str(e) for errors in form.errors.values() for e in errors)
    assert (
        "private" in message
        or "loopback" in message
        or "link-local" in message
        or ("not a URL of the service" in message)
    )


@pytest.mark.parametrize("kind", sorted(PRIVATE))
def test_private_targets_are_refused_again_at_send_time(kind, settings, make_channel):
    secrets = {**PRIVATE[kind], "signing_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
    channel = make_channel(kind, secrets)  # saved while private targets were allowed
    settings.LLMSCOPE_ALLOW_PRIVATE_TARGETS = False
    delivery = send_test_notification(channel)
    assert delivery.status == Delivery.Status.FAILED and delivery.attempts == 1
    assert (
        "private" in delivery.error
        or "loopback" in delivery.error
        or "link-local" in delivery.error
    )


def test_secrets_are_not_readable_in_the_database(make_channel):
    url = "https://hooks.slack.com/services/T000/B000/very-secret-token"
    channel = make_channel("slack", {"webhook_url": url})
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM alerts_channel WHERE id = %s", [channel.pk])
        row = " ".join(str(v) for v in cursor.fetchone())
    assert "very-secret-token" not in row and "hooks.slack.com" not in row
    assert Channel.objects.get().secrets()["webhook_url"] == url
    assert channel.secret_hints == {"webhook_url": "••••oken"}


def test_editing_without_retyping_keeps_the_saved_secret(make_channel, organization):
    channel = make_channel("discord", {"webhook_url": "https://discord.com/api/webhooks/1/abc"})
    form = CHANNEL_FORMS["discord"]({"name": "renamed"}, organization=organization, channel=channel)
    assert form.is_valid(), form.errors
    form.apply(channel)
    channel.save()
    channel.refresh_from_db()
    assert channel.name == "renamed"
    assert channel.secrets()["webhook_url"] == "https://discord.com/api/webhooks/1/abc"
