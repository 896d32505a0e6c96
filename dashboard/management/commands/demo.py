"""`manage.py demo`: a demo user, organization `demo` and project `demo` (idempotent)."""

from datetime import date
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from alerts.demo import install_demo_alerts
from monitoring.models import ModelPrice
from monitoring.probes.demo import DEMO_MODEL, ensure_demo_probe
from monitoring.probes.models import Provider
from spc.autocreate import ensure_probe_charts
from spc.models import Chart
from tenants import audit
from tenants.models import AuditAction, Membership, Organization, Project, Role

DEMO_EMAIL = "demo@llmscope.local"
DEMO_PASSWORD = "demo-llmscope"  # noqa: S105 - the documented local demo login


def ensure_demo(stdout=None) -> Project:
    """Create (or find) the demo user, organization and project; returns the project."""
    User = get_user_model()
    with transaction.atomic():
        user, created = User.objects.get_or_create(
            username=DEMO_EMAIL, defaults={"email": DEMO_EMAIL}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        _mark_email_verified(user)
        org, org_created = Organization.objects.get_or_create(
            slug="demo", defaults={"name": "Demo"}
        )
        _, joined = Membership.objects.get_or_create(
            user=user, organization=org, defaults={"role": Role.OWNER}
        )
        project, project_created = Project.objects.get_or_create(
            organization=org, slug="demo", defaults={"name": "Demo"}
        )
        # What the command changed shows in the demo's audit log, like a change made on a page.
        via = "manage.py demo"
        if org_created:
            audit.record(org, None, AuditAction.ORGANIZATION_CREATED, org.name, via=via)
        if joined:
            audit.record(org, None, AuditAction.MEMBER_JOINED, user.email, role=Role.OWNER, via=via)
        if project_created:
            audit.record(org, None, AuditAction.PROJECT_CREATED, project.name, via=via)
        _ensure_demo_price(org)
    _ensure_demo_data(project)
    install_demo_alerts(project, user)
    return project


# The demo LLM is free, but a demo that shows cost explains the cost card better: the demo
# organization prices it (an organization's own row in the price table) like a small model.
DEMO_PRICE = {"input_per_million": Decimal("0.50"), "output_per_million": Decimal("1.50")}


def _ensure_demo_price(organization: Organization) -> None:
    ModelPrice.objects.get_or_create(
        organization=organization,
        provider=Provider.DEMO,
        model_pattern=DEMO_MODEL,
        defaults={"valid_from": date(2024, 1, 1), **DEMO_PRICE},
    )


def _mark_email_verified(user) -> None:
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )


def _ensure_demo_data(project: Project) -> None:
    """The demo probe against the built-in demo LLM, and its charts with a short baseline
    (20 calls, about three minutes) so the demo leaves its baseline quickly."""
    probe = ensure_demo_probe(project)
    ensure_probe_charts(probe)
    Chart.objects.filter(
        project=project,
        auto_created=True,
        status=Chart.Status.BASELINE,
        chart_type="individuals",
    ).update(baseline_size=20)


class Command(BaseCommand):
    help = "Create the demo user, organization and project (safe to run again)."

    def handle(self, *args, **options) -> None:
        project = ensure_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: organization “{project.organization.slug}”, project “{project.slug}”."
            )
        )
        self.stdout.write(f"Log in as {DEMO_EMAIL} with the password {DEMO_PASSWORD}")
