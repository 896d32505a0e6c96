"""The payment banner: shown on every page of an organization whose payment failed."""

from django.http import HttpRequest

from billing import quota


def billing_banner(request: HttpRequest) -> dict:
    membership = getattr(request, "membership", None)
    if membership is None or not quota.billing_enabled():
        return {}
    plan = quota.plan_for(membership.organization_id)
    if plan.in_grace or plan.suspended_plan:
        return {"billing_banner": plan, "billing_banner_org": membership.organization}
    return {}
