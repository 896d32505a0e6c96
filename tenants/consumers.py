"""WebSocket consumer for an organization's live audit log.

Only members whose role may read the audit log open it (4404 for outsiders, the socket twin
of a 404; 4403 for members without the right), and only for as long as that holds
(`tenants.live.MemberSocket`).
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from tenants.groups import organization_group
from tenants.live import CLOSE_NOT_FOUND, MemberSocket
from tenants.models import Membership


@database_sync_to_async
def _membership(user, org_slug: str) -> Membership | None:
    return (
        Membership.objects.select_related("organization")
        .filter(user=user, organization__slug=org_slug)
        .first()
    )


class OrganizationEventsConsumer(MemberSocket):
    required_right = "view_audit_log"

    async def locate(self, user, org_slug: str, **_: str) -> tuple[Membership, str] | None:
        membership = await _membership(user, org_slug)
        if membership is None:
            return None
        return membership, organization_group(membership.organization_id)

    async def audit_entry(self, event: dict) -> None:
        await self.send_json({"type": "audit", "entry": event["entry"]})


class UnknownPathConsumer(AsyncWebsocketConsumer):
    """Any WebSocket path no route serves: refused at the handshake, like a 404."""

    async def connect(self) -> None:
        await self.close(code=CLOSE_NOT_FOUND)
