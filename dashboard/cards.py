"""The project cards: each figure over the window, and its change against the window before.

Everything comes from the per-minute rollups (monitoring.analytics), so a card costs the
same at a thousand events as at ten million.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from dashboard.params import DashboardQuery
from monitoring import analytics
from tenants.models import Project


@dataclass(frozen=True)
class CardSpec:
    key: str
    label: str
    kind: str  # count, rate, ms, per_s, usd
    better: str  # lower, higher, neutral


CARDS = (
    CardSpec("requests", "Requests", "count", "neutral"),
    CardSpec("error_rate", "Error rate", "rate", "lower"),
    CardSpec("latency_p50", "Latency p50", "ms", "lower"),
    CardSpec("latency_p95", "Latency p95", "ms", "lower"),
    CardSpec("latency_p99", "Latency p99", "ms", "lower"),
    CardSpec("ttft_p95", "TTFT p95", "ms", "lower"),
    CardSpec("output_tokens_per_s", "Output tokens/s", "per_s", "higher"),
    CardSpec("cost_usd", "Cost", "usd", "neutral"),
)


PERCENTILE_HINT = (
    "Estimated from per-minute histograms, within 2 % of the exact value: over a steady "
    "stream of calls it moves in small steps, not with every call."
)
CARD_HINTS = {
    "latency_p50": "Half the calls were faster than this. " + PERCENTILE_HINT,
    "latency_p95": "95 % of the calls were faster than this. " + PERCENTILE_HINT,
    "latency_p99": "99 % of the calls were faster than this. " + PERCENTILE_HINT,
    "ttft_p95": "Time to first token: 95 % of streamed calls started answering sooner. "
    + PERCENTILE_HINT,
    "cost_usd": "From the price table, or the cost your events reported; calls of a model "
    "without a known price are counted as unpriced, never as $0.",
}


def format_value(kind: str, value) -> str:
    """A figure as the cards show it; an em dash when there is none."""
    if value is None:
        return "—"
    if kind == "count":
        return f"{int(value):,}"
    if kind == "rate":
        return f"{float(value) * 100:.2f}%"
    if kind == "ms":
        return f"{float(value) / 1000:.2f} s" if value >= 1000 else f"{float(value):.0f} ms"
    if kind == "per_s":
        return f"{float(value):.1f}"
    if kind == "usd":
        value = float(value)
        if value >= 1 or value == 0:
            return f"${value:,.2f}"
        text = f"{value:.6f}".rstrip("0")
        return f"${text}" if len(text.split(".")[1]) >= 2 else f"${value:.2f}"
    return str(value)


def change(kind: str, current, previous) -> tuple[str, str]:
    """(text, trend) of the change against the previous window; trend is up/down/flat/none."""
    if current is None or previous is None:
        return "no earlier data", "none"
    current, previous = float(current), float(previous)
    if kind == "rate":
        delta = (current - previous) * 100
        if abs(delta) < 0.005:
            return "±0 pp", "flat"
        return f"{delta:+.2f} pp", "up" if delta > 0 else "down"
    if previous == 0:
        return ("±0%", "flat") if current == 0 else ("new", "up")
    ratio = (current - previous) / previous * 100
    if abs(ratio) < 0.5:
        return "±0%", "flat"
    return f"{ratio:+.0f}%", "up" if ratio > 0 else "down"


def figures(summary: dict, tps: float | None) -> dict:
    """The card figures out of an analytics summary."""
    requests = summary["requests"]
    return {
        "requests": requests,
        "error_rate": summary["error_rate"] if requests else None,
        "latency_p50": summary["latency_ms"]["p50"],
        "latency_p95": summary["latency_ms"]["p95"],
        "latency_p99": summary["latency_ms"]["p99"],
        "ttft_p95": summary["ttft_ms"]["p95"],
        "output_tokens_per_s": tps,
        "cost_usd": summary["cost_usd"] if requests else None,
    }


def project_cards(project: Project, query: DashboardQuery, now: datetime | None = None) -> dict:
    """{"cards": [...], "summary": the current analytics summary} for the page and the socket."""
    now = now or datetime.now(UTC)
    before = now - query.span
    current = analytics.summary(project, query.window, now=now, **query.filters())
    previous = analytics.summary(project, query.window, now=before, **query.filters())
    now_figures = figures(current, current["output_tokens_per_s"])
    then_figures = figures(previous, previous["output_tokens_per_s"])
    cards = []
    for spec in CARDS:
        value = now_figures[spec.key]
        text, trend = change(spec.kind, value, then_figures[spec.key])
        shown = format_value(spec.kind, value)
        if spec.key == "cost_usd" and current["requests"]:
            shown, text, trend = _cost_text(current, shown, text, trend)
        if spec.better == "neutral" or trend in ("flat", "none"):
            verdict = "neutral"
        else:
            good = (trend == "down") == (spec.better == "lower")
            verdict = "good" if good else "bad"
        cards.append(
            {
                "key": spec.key,
                "label": spec.label,
                "hint": CARD_HINTS.get(spec.key, ""),
                "value": shown,
                "change": text,
                "trend": trend,
                "verdict": verdict,
            }
        )
    return {"cards": cards, "summary": current}


def _cost_text(summary: dict, shown: str, text: str, trend: str) -> tuple[str, str, str]:
    """A cost that is not known is not $0: "unpriced" when no call has a price, and the
    number of unpriced calls beside a partial sum."""
    unpriced = summary.get("unpriced_requests", 0)
    if not summary.get("priced_requests"):
        return "unpriced", "no price known for these models", "none"
    if unpriced:
        return shown, f"{text} · +{unpriced:,} unpriced", trend
    return shown, text, trend


def by_model_rows(summary: dict) -> dict:
    """Cost and latency per model, with bar widths (percent of the largest)."""
    rows = summary["by_model"]
    top_cost = max((float(r["cost_usd"] or 0) for r in rows), default=0) or 1
    top_latency = max((float(r["latency_ms"]["p95"] or 0) for r in rows), default=0) or 1
    return {
        "cost": [
            {
                "model": r["model"],
                "value": "unpriced"
                if r["cost_usd"] is None
                else format_value("usd", r["cost_usd"]),
                "width": round(float(r["cost_usd"] or Decimal(0)) / top_cost * 100, 1),
                "unpriced": r.get("unpriced_requests", 0) if r["cost_usd"] is not None else 0,
            }
            for r in sorted(rows, key=lambda r: -float(r["cost_usd"] or 0))
        ],
        "latency": [
            {
                "model": r["model"],
                "p50": format_value("ms", r["latency_ms"]["p50"]),
                "p95": format_value("ms", r["latency_ms"]["p95"]),
                "width": round(float(r["latency_ms"]["p95"] or 0) / top_latency * 100, 1),
                "requests": r["requests"],
            }
            for r in sorted(rows, key=lambda r: -float(r["latency_ms"]["p95"] or 0))
        ],
    }
