"""Creating, editing and testing channels: the service the pages call."""

from __future__ import annotations

from django.db import transaction

from alerts.delivery import send_delivery
from alerts.forms import ChannelForm
from alerts.models import Channel, Delivery
from alerts.notifications import test_notification
from tenants.models import Organization


def check_channel_quota(organization: Organization) -> None:
    """The one place a plan's channel limit applies: billing's quota check
    (`billing.quota.check(organization, "channels", n)`) is called here, before a channel is
    created. Without billing, any number of channels is allowed."""


@transaction.atomic
def create_channel(organization: Organization, form: ChannelForm, user=None) -> Channel:
    """Store a new channel from a valid form (after the plan's channel limit)."""
    check_channel_quota(organization)
    channel = form.apply(Channel(organization=organization, created_by=user))
    channel.save()
    return channel


@transaction.atomic
def update_channel(channel: Channel, form: ChannelForm) -> Channel:
    form.apply(channel)
    channel.save()
    return channel


def send_test_notification(channel: Channel) -> Delivery:
    """Send a test through the channel now, once, and return the delivery with its exact
    outcome (status, HTTP code, error) for the page to show."""
    delivery = Delivery.objects.create(
        organization_id=channel.organization_id,
        channel=channel,
        kind=Delivery.Kind.TEST,
        payload=test_notification(channel),
        max_attempts=1,
    )
    send_delivery(delivery.pk)
    delivery.refresh_from_db()
    return delivery
