"""The project page's WebSocket: chart points, limits, violations and card values, live.

Membership (and the project, by organization and slug) is checked in connect() before the
socket joins the project's group; an outsider is closed with 4404, the socket twin of a 404.
The socket stays open only while the membership holds (`tenants.live.MemberSocket`).
Card values depend on each page's window and filters, which the page sends as a
`subscribe` message; bursts of new events are coalesced into one recomputation.
"""

from __future__ import annotations

import asyncio
import json
import logging

from channels.db import database_sync_to_async

from dashboard.cards import by_model_rows, project_cards
from dashboard.params import DashboardQuery, parse_query
from tenants.groups import project_group
from tenants.live import MemberSocket
from tenants.models import Membership, Project

logger = logging.getLogger(__name__)
CARD_COALESCE_SECONDS = 0.25


@database_sync_to_async
def _project(user, org_slug: str, project_slug: str) -> tuple[Membership, Project] | None:
    membership = (
        Membership.objects.select_related("organization")
        .filter(user=user, organization__slug=org_slug)
        .first()
    )
    if membership is None:
        return None
    project = (
        Project.objects.for_organization(membership.organization).filter(slug=project_slug).first()
    )
    return (membership, project) if project is not None else None


@database_sync_to_async
def _cards(project: Project, query: DashboardQuery) -> dict:
    """The cards and the by-model panels, from one summary: the page shows one moment."""
    data = project_cards(project, query)
    return {"cards": data["cards"], "by_model": by_model_rows(data["summary"])}


class ProjectDashboardConsumer(MemberSocket):
    project: Project | None = None
    query: DashboardQuery | None = None
    _pending: asyncio.Task | None = None

    async def locate(
        self, user, org_slug: str, project_slug: str, **_: str
    ) -> tuple[Membership, str] | None:
        found = await _project(user, org_slug, project_slug)
        if found is None:
            return None
        membership, self.project = found
        return membership, project_group(self.project.pk)

    async def disconnect(self, code: int) -> None:
        if self._pending:
            self._pending.cancel()
        await super().disconnect(code)

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return json.loads(text_data)
        except (TypeError, ValueError):
            return None  # not JSON: ignored, like any message that is not a subscription

    async def receive_json(self, content, **kwargs) -> None:
        if not isinstance(content, dict) or content.get("type") != "subscribe":
            return
        params = {k: v for k, v in content.items() if isinstance(v, str)}
        self.query = parse_query(params)
        await self._send_cards()

    # --- Group messages (their "type" names the handler) ---------------------------------

    async def spc_points(self, event: dict) -> None:
        await self.send_json({**event, "type": "points"})

    async def spc_limits(self, event: dict) -> None:
        await self.send_json({**event, "type": "limits"})

    async def spc_violation(self, event: dict) -> None:
        await self.send_json({**event, "type": "violation"})

    async def spc_signal(self, event: dict) -> None:
        await self.send_json({**event, "type": "signal"})

    async def dashboard_activity(self, event: dict) -> None:
        await self.send_json({"type": "activity", "events": event.get("events", 0)})
        if self.query is not None and (self._pending is None or self._pending.done()):
            self._pending = asyncio.ensure_future(self._coalesced_cards())

    async def _coalesced_cards(self) -> None:
        await asyncio.sleep(CARD_COALESCE_SECONDS)
        await self._send_cards()

    async def _send_cards(self) -> None:
        if self.project is None or self.query is None:
            return
        try:
            figures = await _cards(self.project, self.query)
        except Exception:
            logger.warning("cards for project %s failed", self.project.pk, exc_info=True)
            return
        await self.send_json({"type": "cards", "window": self.query.window, **figures})
