"""Channel-layer group names, from one place, and the broadcast helpers that use them."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


def organization_group(organization_id: int) -> str:
    return f"org-{organization_id}"


def project_group(project_id: int) -> str:
    return f"project-{project_id}"


def user_group(user_id: int) -> str:
    """Every socket of one user: told when the user's access may have changed."""
    return f"user-{user_id}"


def session_group(session_key: str) -> str:
    """Every socket opened with one login session (hashed: group names are stored in Redis)."""
    return "session-" + hashlib.sha256(session_key.encode()).hexdigest()[:32]


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


def tell_user_access_changed(user_id: int) -> None:
    """The user's memberships or account changed: their sockets re-check their access."""
    _send(user_group(user_id), {"type": "access.changed"})


def tell_session_ended(session_key: str) -> None:
    """A login session ended (logout, deletion): the sockets opened with it close."""
    _send(session_group(session_key), {"type": "session.ended"})
