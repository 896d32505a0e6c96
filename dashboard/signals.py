"""The violation log in signals: one row per signal (a run of flagged points of one chart),
with its per-point flags inside (each opens the violation modal)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from spc.models import Chart, Signal, Violation

MAX_FLAGS_SHOWN = 20
# A signal's status, from its flags: open while any flag is open, then acknowledged.
STATUS_ORDER = (Violation.Status.OPEN, Violation.Status.ACKNOWLEDGED, Violation.Status.RESOLVED)


@dataclass
class SignalRow:
    """What a row of the log shows."""

    id: str
    chart: Chart
    start: datetime
    end: datetime
    worst_value: float
    open: bool
    good_direction: bool
    points: int
    flags: list[Violation] = field(default_factory=list)
    flag_count: int = 0

    @property
    def rules(self) -> list[Violation]:
        """The first flag of each rule involved, in rule order: a chip per rule."""
        first: dict[int, Violation] = {}
        for flag in self.flags:
            first.setdefault(flag.rule, flag)
        return [first[r] for r in sorted(first)]

    @property
    def status(self) -> str:
        statuses = {f.status for f in self.flags}
        return next((s for s in STATUS_ORDER if s in statuses), Violation.Status.RESOLVED)

    @property
    def status_label(self) -> str:
        return Violation.Status(self.status).label


def signal_rows(project, status: str = "", limit: int = 20) -> list[SignalRow]:
    """The project's newest signals (and any flag stored before signals existed, alone),
    newest first; `status` keeps those with a flag in that status."""
    signals = Signal.objects.for_project(project).select_related("chart")
    flags_qs = Violation.objects.for_project(project)
    if status in Violation.Status.values:
        signals = signals.filter(flags__status=status).distinct()
        flags_qs = flags_qs.filter(status=status)
    rows = [
        SignalRow(
            id=f"s{s.pk}",
            chart=s.chart,
            start=s.start_t,
            end=s.end_t,
            worst_value=s.worst_value,
            open=s.state == Signal.State.OPEN,
            good_direction=not s.judged,
            points=s.point_count,
        )
        for s in signals.order_by("-start_t", "-id")[:limit]
    ]
    by_signal = {row.id: row for row in rows}
    for flag in (
        Violation.objects.filter(signal_id__in=[int(r.id[1:]) for r in rows])
        .select_related("chart")
        .order_by("t", "rule")
    ):
        row = by_signal[f"s{flag.signal_id}"]
        row.flag_count += 1
        if len(row.flags) < MAX_FLAGS_SHOWN:
            row.flags.append(flag)
    for flag in flags_qs.filter(signal__isnull=True).select_related("chart").order_by("-t")[:limit]:
        rows.append(
            SignalRow(
                id=f"v{flag.pk}",
                chart=flag.chart,
                start=flag.t,
                end=flag.t,
                worst_value=flag.value,
                open=False,
                good_direction=not flag.judged,
                points=1,
                flags=[flag],
                flag_count=1,
            )
        )
    rows.sort(key=lambda r: r.start, reverse=True)
    return rows[:limit]
