"""Every violation of a project, newest first: filters (chart, rule, status, window) and a
keyset cursor (time, id) that stays right while new violations arrive."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q
from rest_framework.exceptions import ValidationError

from monitoring.analytics import WINDOWS
from spc.api import decode_cursor, encode_cursor
from spc.models import Chart, Violation
from spc.rules_text import rule_name
from tenants.models import Project

PAGE_SIZE = 50
HISTORY_WINDOWS = {
    "": "Any time",
    "1h": "Last hour",
    "24h": "Last 24 h",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
}


@dataclass
class HistoryFilters:
    chart: int | None = None
    rule: int | None = None
    status: str = ""
    window: str = ""
    problems: list[str] = field(default_factory=list)

    def as_params(self) -> dict[str, str]:
        values = {
            "chart": str(self.chart or ""),
            "rule": str(self.rule or ""),
            "status": self.status,
            "window": self.window,
        }
        return {k: v for k, v in values.items() if v}


def _int(params, name: str, problems: list[str]) -> int | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        problems.append(f"The {name} filter “{raw[:20]}” is not a number: ignored.")
        return None


def parse_filters(params, charts: list[Chart]) -> HistoryFilters:
    """Filters from the query string; a bad value is dropped and reported, never a 500."""
    problems: list[str] = []
    chart = _int(params, "chart", problems)
    if chart is not None and chart not in {c.pk for c in charts}:
        problems.append("That chart is not in this project: showing every chart.")
        chart = None
    rule = _int(params, "rule", problems)
    status = params.get("status") or ""
    if status and status not in Violation.Status.values:
        problems.append(f"Unknown status “{status[:20]}”: showing every status.")
        status = ""
    window = params.get("window") or ""
    if window and window not in HISTORY_WINDOWS:
        problems.append(f"Unknown time window “{window[:20]}”: showing any time.")
        window = ""
    return HistoryFilters(chart, rule, status, window, problems)


def history_page(
    project: Project, filters: HistoryFilters, now: datetime, cursor: str = ""
) -> tuple[list[Violation], str | None]:
    """(one page of violations newest first, the next page's cursor or None)."""
    qs = Violation.objects.for_project(project).select_related("chart")
    if filters.chart:
        qs = qs.filter(chart_id=filters.chart)
    if filters.rule:
        qs = qs.filter(rule=filters.rule)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.window:
        qs = qs.filter(t__gte=now - timedelta(minutes=WINDOWS[filters.window]))
    if cursor:
        try:
            moment, pk = decode_cursor(cursor)
        except ValidationError:
            filters.problems.append("That page link is not valid any more: showing the newest.")
        else:
            qs = qs.filter(Q(t__lt=moment) | Q(t=moment, pk__lt=pk))
    page = list(qs.order_by("-t", "-id")[: PAGE_SIZE + 1])
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    return page, (encode_cursor(page[-1].t, page[-1].pk) if more else None)


def rule_choices(project: Project) -> list[tuple[int, str]]:
    """The rules that fired in this project, for the filter menu."""
    rules = Violation.objects.for_project(project).values_list("rule", flat=True).distinct()
    return [(r, rule_name(r)) for r in sorted(set(rules))]
