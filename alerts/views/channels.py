"""Channel pages (organization-wide): list, add, edit, delete, test, delivery log."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from alerts.channels import create_channel, send_test_notification, update_channel
from alerts.forms import CHANNEL_FORMS
from alerts.models import Channel, ChannelKind, Delivery
from tenants.access import organization_view


def _channel(organization, channel_id: int) -> Channel:
    return get_object_or_404(Channel.objects.for_organization(organization), pk=channel_id)


def _back(organization):
    return redirect("channel-list", org_slug=organization.slug)


@organization_view()
def channel_list(request: HttpRequest, organization) -> HttpResponse:
    channels = Channel.objects.for_organization(organization)
    return render(
        request,
        "alerts/channel_list.html",
        {"organization": organization, "channels": channels, "kinds": ChannelKind.choices},
    )


def _form_page(request, organization, form, kind, channel=None, status=200):
    return render(
        request,
        "alerts/channel_form.html",
        {
            "organization": organization,
            "form": form,
            "kind": kind,
            "kind_label": ChannelKind(kind).label,
            "channel": channel,
        },
        status=status,
    )


@organization_view(right="manage_integrations")
def channel_create(request: HttpRequest, organization, kind: str) -> HttpResponse:
    if kind not in CHANNEL_FORMS:
        raise Http404
    form = CHANNEL_FORMS[kind](request.POST or None, organization=organization)
    if request.method == "POST":
        if not form.is_valid():
            return _form_page(request, organization, form, kind, status=400)
        channel = create_channel(organization, form, request.user)
        messages.success(request, f"Channel “{channel.name}” added.")
        if kind == ChannelKind.WEBHOOK:
            messages.info(
                request,
                "Verify deliveries with this signing secret (Standard Webhooks); it is shown "
                f"only now: {channel.secrets()['signing_secret']}",
            )
        return _back(organization)
    return _form_page(request, organization, form, kind)


@organization_view(right="manage_integrations")
def channel_edit(request: HttpRequest, organization, channel_id: int) -> HttpResponse:
    channel = _channel(organization, channel_id)
    form_class = CHANNEL_FORMS[channel.kind]
    form = form_class(request.POST or None, organization=organization, channel=channel)
    if request.method == "POST":
        if not form.is_valid():
            return _form_page(request, organization, form, channel.kind, channel, status=400)
        update_channel(channel, form)
        messages.success(request, "Channel saved.")
        return _back(organization)
    return _form_page(request, organization, form, channel.kind, channel)


@require_POST
@organization_view(right="manage_integrations")
def channel_delete(request: HttpRequest, organization, channel_id: int) -> HttpResponse:
    channel = _channel(organization, channel_id)
    channel.delete()
    messages.success(request, f"Channel “{channel.name}” deleted.")
    return _back(organization)


@require_POST
@organization_view(right="manage_integrations")
def channel_test(request: HttpRequest, organization, channel_id: int) -> HttpResponse:
    channel = _channel(organization, channel_id)
    delivery = send_test_notification(channel)
    context = {"organization": organization, "channel": channel, "delivery": delivery}
    if request.htmx:
        return render(request, "alerts/_test_outcome.html", context)
    if delivery.status == Delivery.Status.SENT:
        messages.success(request, f"Test sent to “{channel.name}”: {_outcome(delivery)}.")
    else:
        messages.error(request, f"Test to “{channel.name}” failed: {_outcome(delivery)}.")
    return _back(organization)


def _outcome(delivery: Delivery) -> str:
    parts = []
    if delivery.response_code:
        parts.append(f"HTTP {delivery.response_code}")
    if delivery.error:
        parts.append(delivery.error)
    return ", ".join(parts) or delivery.get_status_display().lower()


@organization_view(right="manage_integrations")
def channel_deliveries(request: HttpRequest, organization, channel_id: int) -> HttpResponse:
    channel = _channel(organization, channel_id)
    deliveries = channel.deliveries.select_related("incident")[:100]
    return render(
        request,
        "alerts/channel_deliveries.html",
        {"organization": organization, "channel": channel, "deliveries": deliveries},
    )
