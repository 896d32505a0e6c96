"""WebSocket consumer for an organization's live updates (audit log, project status).

Membership is checked in connect() before the socket joins any group; a non-member is closed
with code 4404 (the socket twin of a 404).
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from tenants.groups import organization_group
from tenants.models import Membership


@database_sync_to_async
def _membership(user, org_slug: str) -> Membership | None:
    if not user or not user.is_authenticated:
        return None
    return (
        Membership.objects.select_related("organization")
        .filter(user=user, organization__slug=org_slug)
        .first()
    )


class OrganizationEventsConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        org_slug = self.scope["url_route"]["kwargs"]["org_slug"]
        membership = await _membership(self.scope.get("user"), org_slug)
        if membership is None:
            await self.close(code=4404)
            return
        self.group = organization_group(membership.organization_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def audit_entry(self, event: dict) -> None:
        await self.send_json({"type": "audit", "entry": event["entry"]})
