"""The organization WebSocket: membership checked on connect, updates only to members.

Runs on whichever channel layer the settings choose: in-memory when embedded, Redis
(channels_redis) when REDIS_URL is set, as in CI.
"""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from llmscope_site.asgi import application
from tenants import audit
from tenants.models import AuditAction

pytestmark = pytest.mark.django_db(transaction=True)


def session_headers(client, user):
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    return [(b"cookie", cookie.encode()), (b"origin", b"http://testserver")]


def test_a_member_receives_the_organizations_updates(client, owner, organization):
    headers = session_headers(client, owner)

    async def scenario():
        socket = WebsocketCommunicator(application, "/ws/o/acme/", headers=headers)
        connected, _ = await socket.connect(timeout=5)
        assert connected
        await sync_to_async(audit.record)(organization, owner, AuditAction.KEY_CREATED, "ci key")
        message = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return message

    message = async_to_sync(scenario)()
    assert message["type"] == "audit"
    assert message["entry"]["target"] == "ci key"
    assert message["entry"]["actor"] == "owner@example.com"


def test_a_non_member_is_refused_on_connect(client, outsider, organization, other_organization):
    headers = session_headers(client, outsider)

    async def scenario():
        socket = WebsocketCommunicator(application, "/ws/o/acme/", headers=headers)
        connected, code = await socket.connect(timeout=5)
        return connected, code

    connected, code = async_to_sync(scenario)()
    assert not connected
    assert code == 4404


def test_an_anonymous_socket_is_refused(organization):
    async def scenario():
        headers = [(b"origin", b"http://testserver")]
        socket = WebsocketCommunicator(application, "/ws/o/acme/", headers=headers)
        return await socket.connect(timeout=5)

    connected, _ = async_to_sync(scenario)()
    assert not connected


def test_members_of_another_organization_receive_nothing(
    client, owner, outsider, organization, other_organization
):
    outsider_headers = session_headers(client, outsider)

    async def scenario():
        socket = WebsocketCommunicator(application, "/ws/o/globex/", headers=outsider_headers)
        connected, _ = await socket.connect(timeout=5)
        assert connected
        await sync_to_async(audit.record)(organization, owner, AuditAction.KEY_CREATED, "acme key")
        await sync_to_async(audit.record)(
            other_organization, outsider, AuditAction.KEY_CREATED, "own key"
        )
        first = await socket.receive_json_from(timeout=5)
        nothing_else = await socket.receive_nothing(timeout=0.5)
        await socket.disconnect()
        return first, nothing_else

    first, nothing_else = async_to_sync(scenario)()
    assert first["entry"]["target"] == "own key"
    assert nothing_else
