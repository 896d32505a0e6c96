"""Channel-layer group names, from one place, and the broadcast helpers that use them."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


def organization_group(organization_id: int) -> str:
    return f"org-{organization_id}"


def project_group(project_id: int) -> str:
    return f"project-{project_id}"


def _send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        # A live update is best effort: the page catches up on reconnect; never fail the write.
        logger.warning("live update to %s failed", group, exc_info=True)


def broadcast_to_organization(organization_id: int, message: dict[str, Any]) -> None:
    """Send `message` (its "type" names the consumer handler) to the organization's sockets."""
    _send(organization_group(organization_id), message)


def broadcast_to_project(project_id: int, message: dict[str, Any]) -> None:
    """Send `message` to the sockets watching one project."""
    _send(project_group(project_id), message)
