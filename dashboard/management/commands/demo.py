"""`manage.py demo`: a demo user, organization `demo` and project `demo` (idempotent)."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from alerts.demo import install_demo_alerts
from monitoring.probes.demo import ensure_demo_probe
from spc.autocreate import ensure_probe_charts
from spc.models import Chart
from tenants.models import Membership, Organization, Project, Role

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
        org, _ = Organization.objects.get_or_create(slug="demo", defaults={"name": "Demo"})
        Membership.objects.get_or_create(user=user, organization=org, defaults={"role": Role.OWNER})
        project, _ = Project.objects.get_or_create(
            organization=org, slug="demo", defaults={"name": "Demo"}
        )
    _ensure_demo_data(project)
    install_demo_alerts(project, user)
    return project


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
