"""The chart picture in notifications: the points around the violation with the centre
line, the 3σ limits and the 1σ/2σ zones, rendered on the server as a small PNG
(matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

import io
from datetime import datetime

from alerts.models import Incident

WIDTH_IN, HEIGHT_IN, DPI = 6.0, 2.6, 100


def render_chart_png(
    points: list[dict], limits: dict | None, flag_index: int | None, title: str, unit: str
) -> bytes:
    """A PNG of `points` ([{"t", "v"}]) with `limits` ({"center", "ucl", "lcl"}) and zones;
    the flagged point in red."""
    # matplotlib takes seconds to import: loaded on the first picture, not at server start.
    from matplotlib.figure import Figure  # Agg canvas by default: no display needed

    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    ax = figure.add_subplot()
    xs = list(range(len(points)))
    ys = [p["v"] for p in points]
    if limits:
        center, ucl, lcl = limits["center"], limits["ucl"], limits["lcl"]
        upper_sigma, lower_sigma = (ucl - center) / 3, (center - lcl) / 3
        shades = ("#fde8e8", "#fdf3e1", "#eef6ee")
        for k, shade in zip((3, 2, 1), shades, strict=True):
            ax.axhspan(center - k * lower_sigma, center + k * upper_sigma, color=shade, lw=0)
        ax.axhline(center, color="#188038", lw=1)
        for level in (ucl, lcl):
            ax.axhline(level, color="#d93025", lw=1, ls="--")
        ax.text(len(points) - 0.5, ucl, " UCL", va="center", fontsize=7, color="#d93025")
        ax.text(len(points) - 0.5, lcl, " LCL", va="center", fontsize=7, color="#d93025")
    ax.plot(xs, ys, color="#1a73e8", lw=1.2, marker="o", ms=3)
    if flag_index is not None and 0 <= flag_index < len(points):
        ax.plot([flag_index], [ys[flag_index]], "o", color="#d93025", ms=7)
    labels = [_short_time(p["t"]) for p in points]
    step = max(1, len(points) // 6)
    ax.set_xticks(xs[::step], labels[::step], fontsize=7)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_ylabel(unit, fontsize=7)
    ax.set_title(title[:80], fontsize=9)
    ax.margins(x=0.02)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _short_time(value: str) -> str:
    try:
        return datetime.fromisoformat(value).strftime("%H:%M")
    except (TypeError, ValueError):
        return ""


def incident_png(incident: Incident) -> bytes | None:
    """The incident's chart picture, or None when it has no points to show (threshold and
    probe incidents)."""
    details = incident.details or {}
    points = details.get("context") or []
    if not points:
        return None
    return render_chart_png(
        points,
        details.get("limits"),
        details.get("flag_index"),
        incident.series_label or incident.title,
        details.get("unit", ""),
    )
