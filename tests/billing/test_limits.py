"""Probes, seats, channels and retention follow the plan; with billing off nothing is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from billing import quota
from monitoring.ingest.schema import EventIn
from monitoring.ingest.service import ingest_events
from monitoring.models import Event
from monitoring.probes.forms import ProbeForm
from monitoring.probes.models import Probe
from monitoring.retention import purge_expired
from tenants import team
from tenants.models import Invitation, Membership, Role
from tests.billing.fake_stripe import stripe_event
from tests.billing.limits import create_probe, invite
from tests.conftest import make_user
from tests.monitoring.probes.factories import make_probe

pytestmark = pytest.mark.django_db


def store_aged_events(project, *ages_in_days: int) -> None:
    now = datetime.now(UTC)
    events = [
        EventIn(model="m", latency_ms=1.0, timestamp=now - timedelta(days=d)) for d in ages_in_days
    ]
    ingest_events(project, events, source="probe")


def test_retention_follows_the_plan(project, billing_on, subscribe, organization):
    store_aged_events(project, 1, 8, 40, 100)

    purge_expired()  # Free: 7 days
    assert Event.objects.for_project(project).count() == 1

    store_aged_events(project, 8, 40, 100)
    subscribe(organization)
    purge_expired()  # Team: 90 days
    assert Event.objects.for_project(project).count() == 3


def test_without_billing_the_projects_retention_holds(project, plans):
    project.retention_days = 30
    project.save()
    store_aged_events(project, 8, 40)
    purge_expired()
    assert Event.objects.for_project(project).count() == 1


def test_the_probe_count_follows_the_plan(project, billing_on, client_for, owner):
    for n in range(3):
        make_probe(project, name=f"p{n}")
    client = client_for(owner)

    refused = create_probe(client, project, "fourth", interval_s=60)

    assert refused.status_code == 400
    html = refused.content.decode()
    assert "The Free plan allows 3 probes" in html and "billing page" in html
    assert Probe.objects.count() == 3


def test_editing_an_existing_probe_is_not_counted_as_a_new_one(project, billing_on):
    probes = [make_probe(project, name=f"p{n}") for n in range(3)]
    data = {
        "name": "p0",
        "provider": "demo",
        "model": "m",
        "prompt": "hi",
        "max_tokens": 8,
        "temperature": 0,
        "interval_s": 120,
        "timeout_s": 5,
    }
    form = ProbeForm(data, instance=probes[0], project=project)
    assert form.is_valid(), form.errors


def test_seats_count_members_and_pending_invitations(organization, billing_on, owner, plans):
    plans["free"].max_members = 6
    plans["free"].save()
    quota.forget()
    owner_membership = Membership.objects.get(user=owner, organization=organization)
    team.invite(organization, "five@example.com", Role.MEMBER, owner_membership)  # 4 + 1
    team.invite(organization, "six@example.com", Role.MEMBER, owner_membership)  # 4 + 2
    with pytest.raises(team.TeamError, match="Free plan allows 6 members"):
        team.invite(organization, "seven@example.com", Role.MEMBER, owner_membership)
    # Re-inviting someone already invited replaces the invitation and takes no new seat.
    team.invite(organization, "six@example.com", Role.ADMIN, owner_membership)


def test_an_invitation_cannot_be_accepted_once_the_seats_are_gone(
    organization, billing_on, owner, subscribe, deliver
):
    subscribe(organization)  # Team: 20 seats
    owner_membership = Membership.objects.get(user=owner, organization=organization)
    invitation, _ = team.invite(organization, "late@example.com", Role.MEMBER, owner_membership)
    # The subscription ends before the invitation is accepted: Free has 3 seats, 4 are taken.
    billing_on.put_subscription("sub_team", customer="cus_acme", status="canceled")
    deliver(stripe_event("customer.subscription.deleted", {"id": "sub_team"}))
    late = make_user("late@example.com")
    with pytest.raises(team.TeamError, match="no free seat"):
        team.accept_invitation(Invitation.objects.get(pk=invitation.pk), late)
    assert not Membership.objects.filter(user=late).exists()


def test_channels_have_a_quota_kind(organization, billing_on):
    quota.check(organization, "channels", 1, used=1)  # Free: 2 channels
    with pytest.raises(quota.QuotaExceeded, match="Free plan allows 2 alert channels"):
        quota.check(organization, "channels", 1, used=2)


def test_countable_kinds_need_the_callers_count(organization, billing_on):
    with pytest.raises(ValueError, match="needs `used`"):
        quota.check(organization, "probes", 1)
    with pytest.raises(KeyError):
        quota.check(organization, "gigabytes", 1, used=0)


def test_with_billing_off_nothing_is_refused(organization, project, owner, client_for, plans):
    for n in range(3):
        make_probe(project, name=f"p{n}")
    client = client_for(owner)
    assert create_probe(client, project, "fourth", interval_s=10).status_code == 302
    assert invite(client, organization, "new@example.com").status_code == 302
    assert quota.plan_for(organization).slug == "unlimited"
    quota.check(organization, "events", 10**12)
    quota.check(organization, "channels", 1, used=10**6)


def test_self_hosted_instances_may_name_another_default_plan(organization, plans, settings):
    settings.LLMSCOPE_DEFAULT_PLAN = "team"
    assert quota.plan_for(organization).name == "Team"
    quota.check(organization, "probes", 1, used=10**6)  # still never refused: billing is off
