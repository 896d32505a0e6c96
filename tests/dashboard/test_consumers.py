"""The project socket: membership checked on connect, and only this project's updates.

Runs on whichever channel layer the settings choose: in-memory when embedded, Redis
(channels_redis) when REDIS_URL is set.
"""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from llmscope_site.asgi import application
from tenants.groups import broadcast_to_project
from tenants.models import Membership, Role
from tests.dashboard.conftest import post_events, traffic

pytestmark = pytest.mark.django_db(transaction=True)


def session_headers(client, user):
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    return [(b"cookie", cookie.encode()), (b"origin", b"http://testserver")]


def connect(path, headers):
    async def scenario():
        socket = WebsocketCommunicator(application, path, headers=headers)
        connected, code = await socket.connect(timeout=5)
        if connected:
            await socket.disconnect()
        return connected, code

    return async_to_sync(scenario)()


def test_a_non_member_is_refused(client, outsider, project, other_organization):
    connected, code = connect("/ws/o/acme/p/web/", session_headers(client, outsider))
    assert not connected and code == 4404


def test_an_anonymous_socket_is_refused(project):
    connected, _ = connect("/ws/o/acme/p/web/", [(b"origin", b"http://testserver")])
    assert not connected


def test_an_unknown_project_is_refused(client, owner, project):
    connected, code = connect("/ws/o/acme/p/nope/", session_headers(client, owner))
    assert not connected and code == 4404


def test_a_member_of_two_organizations_cannot_mix_org_and_project(
    client, outsider, project, other_organization, organization
):
    # Outsider owns globex; "web" of acme must not be reachable through globex's slug.
    from tenants.models import Project

    Project.objects.create(organization=other_organization, name="Mine", slug="mine")
    connected, code = connect("/ws/o/globex/p/web/", session_headers(client, outsider))
    assert not connected and code == 4404


def test_a_viewer_receives_points_violations_and_cards(client, viewer, project, make_api_key):
    headers = session_headers(client, viewer)
    key = make_api_key(project)

    async def scenario():
        socket = WebsocketCommunicator(application, "/ws/o/acme/p/web/", headers=headers)
        connected, _ = await socket.connect(timeout=5)
        assert connected
        await socket.send_json_to({"type": "subscribe", "window": "1h"})
        first_cards = await socket.receive_json_from(timeout=5)
        await sync_to_async(broadcast_to_project)(
            project.pk, {"type": "spc.points", "chart": 7, "status": "baseline", "points": []}
        )
        points = await socket.receive_json_from(timeout=5)
        await sync_to_async(post_events)(client, key, traffic(5, 3))
        received = {}
        while "cards" not in received:  # the evaluation's points may come in between
            message = await socket.receive_json_from(timeout=10)
            received[message["type"]] = message
        await socket.disconnect()
        return first_cards, points, received

    first_cards, points, received = async_to_sync(scenario)()
    assert first_cards["type"] == "cards" and first_cards["window"] == "1h"
    assert points == {"type": "points", "chart": 7, "status": "baseline", "points": []}
    by_type = received
    assert by_type["activity"]
    requests = next(c for c in by_type["cards"]["cards"] if c["key"] == "requests")
    assert requests["value"] == "3"


def test_a_bad_subscribe_message_falls_back_to_the_default_window(client, owner, project):
    headers = session_headers(client, owner)

    async def scenario():
        socket = WebsocketCommunicator(application, "/ws/o/acme/p/web/", headers=headers)
        await socket.connect(timeout=5)
        await socket.send_json_to({"type": "subscribe", "window": "forever", "model": 5})
        message = await socket.receive_json_from(timeout=5)
        await socket.send_json_to(["not", "a", "dict"])
        await socket.send_to(text_data="{not json")
        nothing = await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()
        return message, nothing

    message, nothing = async_to_sync(scenario)()
    assert message["type"] == "cards" and message["window"] == "24h"
    assert nothing


def test_a_member_of_another_organization_receives_nothing_of_this_project(
    client, owner, outsider, project, other_project
):
    headers = session_headers(client, outsider)
    # The outsider is also a viewer of nothing in acme; it watches its own project.
    assert not Membership.objects.filter(user=outsider, organization=project.organization)

    async def scenario():
        socket = WebsocketCommunicator(application, "/ws/o/globex/p/web/", headers=headers)
        connected, _ = await socket.connect(timeout=5)
        assert connected
        await sync_to_async(broadcast_to_project)(
            project.pk, {"type": "spc.points", "chart": 1, "status": "x", "points": []}
        )
        await sync_to_async(broadcast_to_project)(
            project.pk, {"type": "spc.violation", "chart": 1, "violation": {"id": 1}}
        )
        await sync_to_async(broadcast_to_project)(
            other_project.pk, {"type": "spc.points", "chart": 2, "status": "y", "points": []}
        )
        own = await socket.receive_json_from(timeout=5)
        nothing_else = await socket.receive_nothing(timeout=0.5)
        await socket.disconnect()
        return own, nothing_else

    own, nothing_else = async_to_sync(scenario)()
    assert own["chart"] == 2
    assert nothing_else


def test_a_removed_member_cannot_reconnect(client, member, organization, project):
    headers = session_headers(client, member)
    assert connect("/ws/o/acme/p/web/", headers)[0]
    Membership.objects.filter(user=member, organization=organization).delete()
    connected, code = connect("/ws/o/acme/p/web/", headers)
    assert not connected and code == 4404
    assert Role.MEMBER  # roles unchanged for the others
