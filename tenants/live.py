"""The base of every member-only WebSocket: open for as long as the access that opened it holds.

A socket is opened by a member of one organization whose role has the socket's right. It
then follows the truth, not the moment of the handshake: it joins its user's group and its
login session's group, so that a membership removed or changed, a deactivated account, a
logout or a deleted session close it at once (see `tenants.receivers`); and it re-checks its
access on a timer, so that a change that sent no signal (a bulk update, a lost message)
closes it too, at the latest after `LLMSCOPE_SOCKET_RECHECK_SECONDS`.
"""

from __future__ import annotations

import asyncio
import logging
from importlib import import_module
from typing import Any, ClassVar

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.utils.crypto import constant_time_compare

from tenants.groups import session_group, user_group
from tenants.models import Membership

logger = logging.getLogger(__name__)

# Close codes: the socket twins of 404 and 403, and of a logged-out 401.
CLOSE_NOT_FOUND = 4404
CLOSE_FORBIDDEN = 4403
CLOSE_LOGGED_OUT = 4401


def _session_user_id(session_key: str) -> tuple[str | None, str | None]:
    """The user id and the password hash a stored session carries; (None, None) when gone."""
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    data = store.load()
    return data.get(SESSION_KEY), data.get(HASH_SESSION_KEY)


@database_sync_to_async
def access_holds(user_id: int, organization_id: int, right: str, session_key: str | None) -> bool:
    """True while the session is alive for this user and their membership has the right."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    if session_key is not None:
        stored_user, stored_hash = _session_user_id(session_key)
        if stored_user is None or str(stored_user) != str(user_id):
            return False
        # A password change invalidates the sessions that hold the old hash.
        if stored_hash and not constant_time_compare(stored_hash, user.get_session_auth_hash()):
            return False
    membership = Membership.objects.filter(user_id=user_id, organization_id=organization_id).first()
    return membership is not None and membership.has_right(right)


class MemberSocket(AsyncJsonWebsocketConsumer):
    """A socket for the members of one organization whose role has `required_right`."""

    required_right: ClassVar[str] = "view"
    user_id: int | None = None
    organization_id: int | None = None
    session_key: str | None = None
    _joined: tuple[str, ...] = ()
    _watch: asyncio.Task | None = None
    _closing = False

    async def locate(self, user: Any, **url_kwargs: str) -> tuple[Membership, str] | None:
        """The membership that opens this socket and the group it follows; None refuses it."""
        raise NotImplementedError

    async def connect(self) -> None:
        user = self.scope.get("user")
        found = None
        if user is not None and user.is_authenticated:
            found = await self.locate(user, **self.scope["url_route"]["kwargs"])
        if found is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        membership, group = found
        if not membership.has_right(self.required_right):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.user_id = user.pk
        self.organization_id = membership.organization_id
        session = self.scope.get("session")
        self.session_key = getattr(session, "session_key", None)
        joined = [group, user_group(user.pk)]
        if self.session_key:
            joined.append(session_group(self.session_key))
        for name in joined:
            await self.channel_layer.group_add(name, self.channel_name)
        self._joined = tuple(joined)
        await self.accept()
        self._watch = asyncio.ensure_future(self._recheck_periodically())

    async def disconnect(self, code: int) -> None:
        if self._watch is not None:
            self._watch.cancel()
        for name in self._joined:
            await self.channel_layer.group_discard(name, self.channel_name)
        self._joined = ()

    # --- Access changes (group messages; their "type" names the handler) ----------------

    async def access_changed(self, event: dict) -> None:
        await self._close_unless_access_holds()

    async def session_ended(self, event: dict) -> None:
        await self._close(CLOSE_LOGGED_OUT)

    async def _recheck_periodically(self) -> None:
        while not self._closing:
            await asyncio.sleep(settings.LLMSCOPE_SOCKET_RECHECK_SECONDS)
            try:
                await self._close_unless_access_holds()
            except Exception:
                # The database may be briefly away: the next round decides.
                logger.warning("socket access re-check failed", exc_info=True)

    async def _close_unless_access_holds(self) -> None:
        if self._closing or self.user_id is None or self.organization_id is None:
            return
        holds = await access_holds(
            self.user_id, self.organization_id, self.required_right, self.session_key
        )
        if not holds:
            await self._close(CLOSE_FORBIDDEN)

    async def _close(self, code: int) -> None:
        if self._closing:
            return
        self._closing = True
        for name in self._joined:
            await self.channel_layer.group_discard(name, self.channel_name)
        self._joined = ()
        await self.close(code=code)
