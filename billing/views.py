"""The billing page, Checkout and Customer Portal redirects, and the Stripe webhook."""

from __future__ import annotations

import logging

import stripe
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing import quota, usage
from billing.models import BillingAccount, Plan
from billing.stripe_gateway import construct_event
from billing.subscriptions import BillingError, open_portal, start_checkout
from billing.webhooks import process_event
from tenants.access import organization_view
from tenants.models import Organization

log = logging.getLogger(__name__)


@organization_view()
def billing_page(request: HttpRequest, organization: Organization) -> HttpResponse:
    """Plan, status and usage for every member; Checkout and Portal buttons for owners."""
    plan = quota.plan_for(organization)
    if request.GET.get("checkout") == "done":
        messages.info(request, "Thank you. The plan changes as soon as Stripe confirms it.")
    over_events, over_cost = usage.overage(organization, plan)
    context = {
        "organization": organization,
        "plan": plan,
        "account": BillingAccount.objects.filter(organization=organization).first(),
        "lines": usage.usage_lines(organization, plan),
        "days": usage.daily_usage(organization),
        "over_events": over_events,
        "over_cost": over_cost,
        "offers": Plan.objects.filter(self_serve=True).exclude(slug=plan.slug),
        "can_manage": request.membership.has_right("manage_billing"),
    }
    return render(request, "billing/page.html", context)


def _page_url(request: HttpRequest, organization: Organization, query: str = "") -> str:
    return request.build_absolute_uri(reverse("billing-page", args=[organization.slug]) + query)


@require_POST
@organization_view(right="manage_billing")
def checkout(request: HttpRequest, organization: Organization) -> HttpResponse:
    if not quota.billing_enabled():
        messages.error(request, "Billing is not configured on this instance.")
        return redirect("billing-page", org_slug=organization.slug)
    try:
        url = start_checkout(
            organization,
            request.POST.get("plan", ""),
            success_url=_page_url(request, organization, "?checkout=done"),
            cancel_url=_page_url(request, organization),
        )
    except BillingError as exc:
        messages.error(request, str(exc))
    except stripe.StripeError:
        log.exception("Stripe Checkout could not be started")
        messages.error(request, "Stripe could not be reached. Nothing was charged; try again.")
    else:
        return redirect(url)
    return redirect("billing-page", org_slug=organization.slug)


@require_POST
@organization_view(right="manage_billing")
def portal(request: HttpRequest, organization: Organization) -> HttpResponse:
    if not quota.billing_enabled():
        messages.error(request, "Billing is not configured on this instance.")
        return redirect("billing-page", org_slug=organization.slug)
    try:
        url = open_portal(organization, _page_url(request, organization))
    except BillingError as exc:
        messages.error(request, str(exc))
    except stripe.StripeError:
        log.exception("Stripe Customer Portal could not be opened")
        messages.error(request, "Stripe could not be reached; try again.")
    else:
        return redirect(url)
    return redirect("billing-page", org_slug=organization.slug)


def _error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": code, "message": message, "details": []}, status=status)


def _is_event(event: object) -> bool:
    return (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and isinstance(event.get("type"), str)
        and isinstance(event.get("created"), int)
        and isinstance(event.get("data"), dict)
        and isinstance(event["data"].get("object"), dict)
    )


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's events. The signature is the authentication: no session, no CSRF token."""
    if not quota.billing_enabled():
        return _error("not_found", "Billing is not configured on this instance.", 404)
    try:
        event = construct_event(request.body, request.headers.get("Stripe-Signature", ""))
    except stripe.SignatureVerificationError:
        return _error("invalid_signature", "The Stripe-Signature header does not verify.", 400)
    except ValueError:
        return _error("invalid_json", "The body is not a Stripe event.", 400)
    if not _is_event(event):
        return _error("validation_error", "The body is not a Stripe event.", 400)
    try:
        processed = process_event(event)
    except Exception:
        # Nothing was stored; Stripe retries a non-2xx answer.
        log.exception("Stripe event %s (%s) failed", event.get("id"), event.get("type"))
        return _error("processing_failed", "The event could not be processed; retry.", 500)
    return JsonResponse({"received": True, "duplicate": not processed})
