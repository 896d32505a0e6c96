"""The project page's WebSocket: chart points, limits, violations and card values, live.

Membership (and the project, by organization and slug) is checked in connect() before the
socket joins the project's group; an outsider is closed with 4404, the socket twin of a 404.
Card values depend on each page's window and filters, which the page sends as a
`subscribe` message; bursts of new events are coalesced into one recomputation.
"""

from __future__ import annotations

import asyncio
import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from dashboard.cards import by_model_rows, project_cards
from dashboard.params import DashboardQuery, parse_query
from tenants.groups import project_group
from tenants.models import Membership, Project

logger = logging.getLogger(__name__)
CARD_COALESCE_SECONDS = 0.25


@database_sync_to_async
def _project(user, org_slug: str, project_slug: str) -> Project | None:
    if not user or not user.is_authenticated:
        return None
    membership = (
        Membership.objects.select_related("organization")
        .filter(user=user, organization__slug=org_slug)
        .first()
    )
    if membership is None:
        return None
    return (
        Project.objects.for_organization(membership.organization).filter(slug=project_slug).first()
    )


@database_sync_to_async
def _cards(project: Project, query: DashboardQuery) -> dict:
    """The cards and the by-model panels, from one summary: the page shows one moment."""
    data = project_cards(project, query)
    return {"cards": data["cards"], "by_model": by_model_rows(data["summary"])}


class ProjectDashboardConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None
    project: Project | None = None
    query: DashboardQuery | None = None
    _pending: asyncio.Task | None = None

    async def connect(self) -> None:
        kwargs = self.scope["url_route"]["kwargs"]
        project = await _project(self.scope.get("user"), kwargs["org_slug"], kwargs["project_slug"])
        if project is None:
            await self.close(code=4404)
            return
        self.project = project
        self.group = project_group(project.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self._pending:
            self._pending.cancel()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

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
