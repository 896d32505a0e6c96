"""The dashboard's query: time window and filters, read from the URL with safe defaults.

A bad value never fails the page: it is dropped, the default is used, and the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

from monitoring.analytics import WINDOWS
from monitoring.models import Event

DEFAULT_WINDOW = "24h"
WINDOW_LABELS = {"1h": "1 h", "6h": "6 h", "24h": "24 h", "7d": "7 d", "30d": "30 d"}
SOURCES = dict(Event.Source.choices)
TEXT_LIMITS = {"model": 128, "environment": 64}


@dataclass(frozen=True)
class DashboardQuery:
    window: str = DEFAULT_WINDOW
    model: str = ""
    environment: str = ""
    source: str = ""
    problems: list[str] = field(default_factory=list, compare=False)

    @property
    def span(self) -> timedelta:
        return timedelta(minutes=WINDOWS[self.window])

    @property
    def window_label(self) -> str:
        return WINDOW_LABELS[self.window]

    def filters(self) -> dict[str, str | None]:
        """Keyword filters for monitoring.analytics (empty means all)."""
        return {
            "model": self.model or None,
            "environment": self.environment or None,
            "source": self.source or None,
        }

    def as_params(self, **overrides: str) -> dict[str, str]:
        values = {
            "window": self.window,
            "model": self.model,
            "environment": self.environment,
            "source": self.source,
            **overrides,
        }
        return {k: v for k, v in values.items() if v}

    def querystring(self, **overrides: str) -> str:
        return urlencode(self.as_params(**overrides))


def parse_query(params) -> DashboardQuery:
    """A DashboardQuery from request.GET; unknown or oversized values fall back, noted."""
    problems: list[str] = []
    window = params.get("window") or DEFAULT_WINDOW
    if window not in WINDOWS:
        problems.append(
            f"Unknown time window “{window[:20]}”: showing {WINDOW_LABELS[DEFAULT_WINDOW]}. "
            f"Use one of {', '.join(WINDOWS)}."
        )
        window = DEFAULT_WINDOW
    texts = {}
    for name, limit in TEXT_LIMITS.items():
        value = (params.get(name) or "").strip()
        if len(value) > limit:
            problems.append(f"The {name} filter is longer than {limit} characters: ignored.")
            value = ""
        texts[name] = value
    source = params.get("source") or ""
    if source and source not in SOURCES:
        problems.append(
            f"Unknown source “{source[:20]}”: showing every source. "
            f"Use one of {', '.join(SOURCES)}."
        )
        source = ""
    return DashboardQuery(window=window, source=source, problems=problems, **texts)
