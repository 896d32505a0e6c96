"""The quota API: the one thing the rest of LLMscope asks billing.

    from billing import quota
    quota.check(organization, "events", len(batch))          # raises quota.QuotaExceeded
    quota.check(organization, "probes", 1, used=probe_count)  # countable things: caller counts
    quota.plan_for(organization)                              # the EffectivePlan in force
    quota.record_usage(organization_id, accepted)             # inside the ingest transaction

With billing off (no STRIPE_SECRET_KEY) every organization has LLMSCOPE_DEFAULT_PLAN and
`check` never refuses anything. This module imports no other LLMscope app: organizations are
passed in (an object with `pk`, or the id itself), and what it counts it keeps itself.

The events check costs no COUNT and usually no round trip: the month's usage lives in the
shared cache, incremented after each ingest commit (the increment answers the total of every
process, which this process then trusts for a second), and the plan is remembered in the
process for a few seconds. The shared entries expire every few minutes, so the count heals
from the database if an increment is lost. The check is not a lock: batches checked at the
same moment may each pass, and a process may not see the last second of another's traffic,
so a month can end over its limit by that much — the price of a check that costs nothing.
"""

from __future__ import annotations

import logging
import math
import time
from datetime import UTC, datetime
from typing import Any

import django.dispatch
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Sum

from billing.models import BillingAccount, Plan, UsageCounter
from billing.plans import (
    KINDS,
    EffectivePlan,
    billing_enabled,
    period_bounds,
    period_start,
    resolve,
)

log = logging.getLogger(__name__)

__all__ = [
    "KINDS",
    "EffectivePlan",
    "QuotaExceeded",
    "billing_enabled",
    "check",
    "events_used",
    "forget",
    "min_probe_interval_s",
    "plan_for",
    "record_usage",
    "retention_days",
    "usage_threshold_crossed",
]

# Sent after an ingest commit that takes the month's events across 80 % or 100 % of the
# plan's included events. kwargs: organization_id, threshold (80 or 100), used, limit,
# plan (EffectivePlan), period_start (date). Billing emails the owners; alerts may listen too.
usage_threshold_crossed = django.dispatch.Signal()
THRESHOLDS = (80, 100)

PLAN_CACHE_SECONDS = 60
USAGE_CACHE_SECONDS = 300
_SHARDS = 8
_generation = 0  # bumped by forget(): tests and staff edits start from the database again
# What this process trusts without asking the shared cache: (monotonic time, value) by key.
_local: dict[str, tuple[float, Any]] = {}
LOCAL_PLAN_SECONDS = 5.0
LOCAL_USAGE_SECONDS = 1.0


class QuotaExceeded(Exception):
    """The organization's plan does not allow this; the message names the plan and the way up."""

    def __init__(
        self,
        kind: str,
        plan: EffectivePlan,
        limit: int,
        used: int,
        requested: int,
        retry_after: int | None = None,
    ) -> None:
        self.kind = kind
        self.plan = plan
        self.limit = limit
        self.used = used
        self.requested = requested
        self.retry_after = retry_after  # seconds until the period resets (events only)
        super().__init__(self._message())

    def _message(self) -> str:
        nouns = {
            "events": "events a month",
            "probes": "probes",
            "members": "members (including pending invitations)",
            "channels": "alert channels",
        }
        text = f"The {self.plan.name} plan allows {self.limit:,} {nouns[self.kind]}"
        if self.kind == "events":
            text += (
                f"; {self.used:,} are used this month and this batch has {self.requested:,}. "
                "Nothing of it was stored"
            )
        return text + ". Upgrade on the organization's billing page for more."

    def as_details(self) -> list[dict[str, Any]]:
        return [
            {
                "field": self.kind,
                "message": str(self),
                "plan": self.plan.slug,
                "limit": self.limit,
                "used": self.used,
                "requested": self.requested,
            }
        ]


def _org_id(organization: Any) -> int:
    return organization if isinstance(organization, int) else organization.pk


def _key(kind: str, org_id: int, suffix: str = "") -> str:
    return f"billing:{_generation}:{kind}:{org_id}{suffix}"


def _usage_key(org_id: int, now: datetime) -> str:
    return _key("used", org_id, f":{period_start(now):%Y%m}")


def forget(organization: Any = None) -> None:
    """Drop cached plans and usage: of one organization, or (None) of all in this process."""
    global _generation
    if organization is None:
        _generation += 1
        _local.clear()
        return
    key = _key("plan", _org_id(organization))
    _local.pop(key, None)
    cache.delete(key)


def _remember(key: str, value: Any) -> None:
    _local[key] = (time.monotonic(), value)


def _recall(key: str, seconds: float) -> Any:
    entry = _local.get(key)
    if entry is None or time.monotonic() - entry[0] > seconds:
        return None
    return entry[1]


def _resolve_plan(org_id: int, now: datetime) -> EffectivePlan:
    plans = {plan.slug: plan for plan in Plan.objects.all()}
    account = BillingAccount.objects.select_related("plan").filter(organization_id=org_id).first()
    return resolve(account, plans, now, enabled=True, default_slug=settings.LLMSCOPE_DEFAULT_PLAN)


def _default_plan() -> EffectivePlan:
    plans = {plan.slug: plan for plan in Plan.objects.all()}
    return resolve(
        None, plans, datetime.now(UTC), enabled=False, default_slug=settings.LLMSCOPE_DEFAULT_PLAN
    )


def _fresh(plan: EffectivePlan | None, now: datetime) -> bool:
    return plan is not None and (plan.valid_until is None or now < plan.valid_until)


def _plan_and_usage(org_id: int, now: datetime, with_usage: bool) -> tuple[EffectivePlan, int]:
    plan_key, usage_key = _key("plan", org_id), _usage_key(org_id, now)
    plan = _recall(plan_key, LOCAL_PLAN_SECONDS)
    if not _fresh(plan, now):
        plan = None
    used = _recall(usage_key, LOCAL_USAGE_SECONDS) if with_usage else 0
    missing = [k for k, v in ((plan_key, plan), (usage_key, used)) if v is None]
    if missing:
        cached = cache.get_many(missing)
        if plan is None:
            plan = cached.get(plan_key)
            if not _fresh(plan, now):
                plan = _resolve_plan(org_id, now)
                cache.set(plan_key, plan, PLAN_CACHE_SECONDS)
            _remember(plan_key, plan)
        if used is None:
            used = cached.get(usage_key)
            if used is None:
                used = _count_usage(org_id, now)
                cache.add(usage_key, used, USAGE_CACHE_SECONDS)
            _remember(usage_key, used)
    return plan, used or 0


def _count_usage(org_id: int, now: datetime) -> int:
    start, end = period_bounds(now)
    total = UsageCounter.objects.filter(
        organization_id=org_id, day__gte=start.date(), day__lt=end.date()
    ).aggregate(n=Sum("events"))["n"]
    return int(total or 0)


def plan_for(organization: Any) -> EffectivePlan:
    """The plan in force for the organization (cached for a minute)."""
    if not billing_enabled():
        return _default_plan()
    return _plan_and_usage(_org_id(organization), datetime.now(UTC), with_usage=False)[0]


def events_used(organization: Any, now: datetime | None = None) -> int:
    """Events accepted for the organization this month, read from the database."""
    return _count_usage(_org_id(organization), now or datetime.now(UTC))


def check(organization: Any, kind: str, n: int = 1, *, used: int | None = None) -> None:
    """Raise QuotaExceeded if adding `n` of `kind` would go over the plan's limit.

    For "events" billing knows the month's usage; for countable things (probes, members,
    channels) the caller passes how many exist now as `used`. A request that would cross the
    limit is refused whole. With billing off this returns at once.
    """
    if not billing_enabled():
        return
    if kind not in KINDS:
        raise KeyError(f"unknown quota kind {kind!r}; known: {', '.join(KINDS)}")
    now = datetime.now(UTC)
    org_id = _org_id(organization)
    if kind == "events":
        plan, used = _plan_and_usage(org_id, now, with_usage=True)
    else:
        if used is None:
            raise ValueError(f"check({kind!r}) needs `used`: how many the organization has now")
        plan = _plan_and_usage(org_id, now, with_usage=False)[0]
    limit = plan.limit(kind)
    if limit is None or used + n <= limit:
        return
    retry_after = None
    if kind == "events":
        retry_after = max(1, math.ceil((period_bounds(now)[1] - now).total_seconds()))
    raise QuotaExceeded(kind, plan, limit, used, n, retry_after)


def min_probe_interval_s(organization: Any) -> int:
    """The shortest probe interval the organization's plan allows, in seconds (1 with billing
    off: then only the instance's LLMSCOPE_PROBE_MIN_INTERVAL_S applies)."""
    if not billing_enabled():
        return 1
    return plan_for(organization).min_probe_interval_s


def retention_days(organization: Any) -> int | None:
    """How many days of raw data the plan keeps (None: as long as the project says)."""
    return plan_for(organization).retention_days


def record_usage(organization_id: int, accepted: int) -> None:
    """Add `accepted` events to the organization's counter, in the caller's transaction.

    After the commit the cached count is incremented, and crossing 80 % or 100 % of the
    plan's included events sends `usage_threshold_crossed`. With billing off, nothing is kept.
    """
    if accepted <= 0 or not billing_enabled():
        return
    now = datetime.now(UTC)
    table = UsageCounter._meta.db_table
    shard = f"mod(pg_backend_pid(), {_SHARDS})" if connection.vendor == "postgresql" else "0"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (organization_id, day, shard, events) "  # noqa: S608
            f"VALUES (%s, %s, {shard}, %s) ON CONFLICT (organization_id, day, shard) "
            f"DO UPDATE SET events = {table}.events + excluded.events",
            [organization_id, now.date(), accepted],
        )
    transaction.on_commit(lambda: _after_commit(organization_id, accepted, now))


def _after_commit(org_id: int, accepted: int, now: datetime) -> None:
    key = _usage_key(org_id, now)
    try:
        total = cache.incr(key, accepted)
    except ValueError:  # not cached: count once, from the committed rows
        total = _count_usage(org_id, now)
        cache.add(key, total, USAGE_CACHE_SECONDS)
    except Exception:  # a cache outage must not fail a stored batch; the TTL heals the count
        log.exception("could not update the cached usage of organization %s", org_id)
        return
    _remember(key, total)
    plan = _plan_and_usage(org_id, now, with_usage=False)[0]
    included = plan.included_events
    if not included:
        return
    before = total - accepted
    for threshold in THRESHOLDS:
        mark = included * threshold / 100
        if before < mark <= total:
            usage_threshold_crossed.send(
                sender=UsageCounter,
                organization_id=org_id,
                threshold=threshold,
                used=total,
                limit=included,
                plan=plan,
                period_start=period_start(now),
            )
