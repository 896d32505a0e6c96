"""Open WebSockets follow the truth: a member who loses access is disconnected at once.

Runs on whichever channel layer the settings choose: in-memory when embedded, Redis
(channels_redis) when REDIS_URL is set, as in CI. The signals that close a socket travel
through that layer; the periodic re-check is the backstop for changes that send none.
"""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.models import Session
from django.test import Client, override_settings

from llmscope_site.asgi import application
from tenants import team
from tenants.models import Membership, Role

pytestmark = pytest.mark.django_db(transaction=True)

PROJECT_SOCKET = "/ws/o/acme/p/web/"
AUDIT_SOCKET = "/ws/o/acme/"


def login(user) -> tuple[Client, list[tuple[bytes, bytes]]]:
    """A logged-in client of its own, and the headers of a socket opened in its session."""
    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    return client, [(b"cookie", cookie.encode()), (b"origin", b"http://testserver")]


def close_code_after(path: str, headers, change, timeout: float = 5) -> int | None:
    """Open a socket, apply `change` (a sync callable), return the close code sent, if any."""

    async def scenario():
        socket = WebsocketCommunicator(application, path, headers=headers)
        connected, code = await socket.connect(timeout=5)
        assert connected, code
        await sync_to_async(change)()
        if await socket.receive_nothing(timeout=timeout, interval=0.05):
            await socket.disconnect()
            return None
        output = await socket.receive_output(timeout=1)
        if output["type"] != "websocket.close":
            await socket.disconnect()
            return None
        return output.get("code")

    return async_to_sync(scenario)()


def membership_of(user) -> Membership:
    return Membership.objects.get(user=user, organization__slug="acme")


@pytest.mark.parametrize("path", [PROJECT_SOCKET, AUDIT_SOCKET])
def test_a_removed_member_is_disconnected_at_once(admin_user, owner, project, path):
    _, headers = login(admin_user)

    def remove():
        team.remove_member(membership_of(admin_user), membership_of(owner))

    assert close_code_after(path, headers, remove) == 4403


def test_a_role_dropped_below_the_audit_right_closes_the_audit_socket(admin_user, owner, project):
    _, headers = login(admin_user)

    def demote():
        team.change_role(membership_of(admin_user), Role.VIEWER, membership_of(owner))

    assert close_code_after(AUDIT_SOCKET, headers, demote) == 4403


def test_a_role_still_allowed_keeps_the_project_socket_open(admin_user, owner, project):
    _, headers = login(admin_user)

    def demote():
        team.change_role(membership_of(admin_user), Role.VIEWER, membership_of(owner))

    assert close_code_after(PROJECT_SOCKET, headers, demote, timeout=1) is None


@pytest.mark.parametrize("path", [PROJECT_SOCKET, AUDIT_SOCKET])
def test_logging_out_closes_the_sockets_of_that_session(admin_user, project, path):
    client, headers = login(admin_user)

    def log_out():
        assert client.post("/accounts/logout/").status_code == 302

    assert close_code_after(path, headers, log_out) == 4401


def test_logging_out_elsewhere_leaves_this_session_open(admin_user, project):
    _, headers = login(admin_user)
    other_client, _ = login(admin_user)

    def log_out_elsewhere():
        assert other_client.post("/accounts/logout/").status_code == 302

    assert close_code_after(PROJECT_SOCKET, headers, log_out_elsewhere, timeout=1) is None


@pytest.mark.parametrize("path", [PROJECT_SOCKET, AUDIT_SOCKET])
def test_a_deleted_session_closes_its_sockets(admin_user, project, path):
    _, headers = login(admin_user)

    def delete_sessions():
        Session.objects.all().delete()

    assert close_code_after(path, headers, delete_sessions) == 4401


def test_a_deactivated_account_is_disconnected(member, project):
    _, headers = login(member)

    def deactivate():
        member.is_active = False
        member.save()

    assert close_code_after(PROJECT_SOCKET, headers, deactivate) == 4403


@override_settings(LLMSCOPE_SOCKET_RECHECK_SECONDS=1)
@pytest.mark.parametrize(
    ("path", "change"),
    [
        # Bulk updates send no signal: the periodic re-check closes the socket.
        (PROJECT_SOCKET, lambda user: Membership.objects.filter(user=user).delete()),
        (AUDIT_SOCKET, lambda user: Membership.objects.filter(user=user).update(role="viewer")),
        (PROJECT_SOCKET, lambda user: Session.objects.filter().update(session_data="")),
    ],
)
def test_the_periodic_recheck_closes_what_no_signal_announced(admin_user, project, path, change):
    _, headers = login(admin_user)
    from django.db.models.signals import post_delete

    from tenants import receivers

    post_delete.disconnect(dispatch_uid="sockets-membership-deleted", sender=Membership)
    try:
        code = close_code_after(path, headers, lambda: change(admin_user), timeout=5)
    finally:
        post_delete.connect(
            receivers.membership_changed,
            sender=Membership,
            dispatch_uid="sockets-membership-deleted",
        )
    assert code == 4403


def test_a_viewer_cannot_open_the_audit_socket(viewer, organization):
    _, headers = login(viewer)

    async def scenario():
        socket = WebsocketCommunicator(application, AUDIT_SOCKET, headers=headers)
        return await socket.connect(timeout=5)

    assert async_to_sync(scenario)() == (False, 4403)


@pytest.mark.parametrize("path", ["/ws/nothing/", "/ws/o/acme/p/web/extra/", "/", "/ws/o/%%/"])
def test_an_unknown_socket_path_is_refused_cleanly(owner, organization, path, caplog):
    _, headers = login(owner)

    async def scenario():
        socket = WebsocketCommunicator(application, path, headers=headers)
        return await socket.connect(timeout=5)

    assert async_to_sync(scenario)() == (False, 4404)
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
