"""The demo's alerting: an email channel to the demo user (printed on the console in the
embedded mode) and an SPC rule on the demo probe's charts, so demo incidents notify."""

from __future__ import annotations

from alerts.models import AlertRule, Channel, ChannelKind, ChartScope, RuleKind
from spc.models import Chart
from tenants.models import Project

DEMO_CHANNEL = "Demo email"
DEMO_RULE = "Demo probe goes out of control"


def install_demo_alerts(project: Project, user) -> AlertRule:
    """Create (or find) the demo channel and rule; safe to run again."""
    channel, _ = Channel.objects.get_or_create(
        organization=project.organization,
        name=DEMO_CHANNEL,
        defaults={"kind": ChannelKind.EMAIL, "config": {"member_ids": [user.pk], "addresses": []}},
    )
    rule, created = AlertRule.objects.get_or_create(
        project=project,
        name=DEMO_RULE,
        defaults={
            "organization": project.organization,
            "kind": RuleKind.SPC,
            "chart_scope": ChartScope.CHOSEN,
            # The demo LLM's incidents last a minute or two: resolve well before the next.
            "recovery_minutes": 2,
        },
    )
    if created:
        rule.channels.add(channel)
    # The probe charts (their filter names a probe), including ones created since.
    rule.charts.add(*Chart.objects.for_project(project).filter(filter_key__contains='"probe_id"'))
    return rule
