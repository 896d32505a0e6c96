"""API keys: shown once, hashed, scoped, revocable, last use recorded at most once a minute."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from tenants.api import ProjectAPIView
from tenants.models import ApiKey, AuditLogEntry


def test_an_admin_creates_a_key_and_sees_it_once(client_for, admin_user, project):
    client = client_for(admin_user)
    response = client.post("/o/acme/p/web/keys/new/", {"name": "ci", "scopes": ["read"]})
    html = response.content.decode()
    key = ApiKey.objects.get(project=project)
    assert "shown only this once" in html and key.prefix in html
    assert response["Cache-Control"] == "no-store"
    listing = client.get("/o/acme/p/web/keys/").content.decode()
    assert key.prefix in listing and "shown only this once" not in listing
    assert AuditLogEntry.objects.filter(action="key.created", target="ci").exists()


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_members_and_viewers_cannot_create_keys(client_for, project, who, request):
    client = client_for(request.getfixturevalue(who))
    response = client.post("/o/acme/p/web/keys/new/", {"name": "x", "scopes": ["read"]})
    assert response.status_code == 403
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "x"}, "Choose at least one scope"),
        ({"name": "x", "scopes": ["admin"]}, "Select a valid choice"),
        ({"name": "", "scopes": ["read"]}, "This field is required"),
    ],
)
def test_bad_key_input_is_explained(client_for, admin_user, project, data, message):
    response = client_for(admin_user).post("/o/acme/p/web/keys/new/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ApiKey.objects.exists()


def test_revoking_over_htmx_updates_the_row_and_the_key_stops_working(
    client_for, admin_user, project, make_api_key, api_client
):
    plaintext = make_api_key(project)
    key = ApiKey.objects.get(project=project)
    response = client_for(admin_user).post(
        f"/o/acme/p/web/keys/{key.pk}/revoke/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "revoked" in response.content.decode() and "<html" not in response.content.decode()
    assert (
        api_client.get("/api/v1/project", HTTP_AUTHORIZATION=f"Bearer {plaintext}").status_code
        == 401
    )
    assert AuditLogEntry.objects.filter(action="key.revoked").count() == 1


def test_last_used_is_refreshed_at_most_once_a_minute(api_client, project, make_api_key):
    plaintext = make_api_key(project)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
    api_client.get("/api/v1/project", **auth)
    first = ApiKey.objects.get(project=project).last_used_at
    assert first is not None
    api_client.get("/api/v1/project", **auth)
    assert ApiKey.objects.get(project=project).last_used_at == first
    ApiKey.objects.filter(project=project).update(
        last_used_at=timezone.now() - timedelta(minutes=2)
    )
    api_client.get("/api/v1/project", **auth)
    assert ApiKey.objects.get(project=project).last_used_at > first


class ReadOnlyEndpoint(ProjectAPIView):
    required_scopes = {"GET": "read", "POST": "ingest"}

    def get(self, request):
        return Response({"project": self.project.slug})

    def post(self, request):
        return Response({"ok": True})


@pytest.mark.parametrize(
    ("scopes", "method", "status"),
    [
        (("ingest",), "get", 403),
        (("read",), "get", 200),
        (("read",), "post", 403),
        (("ingest",), "post", 200),
        (("ingest", "read"), "get", 200),
    ],
)
def test_the_scope_permission(project, make_api_key, scopes, method, status):
    plaintext = make_api_key(project, scopes=scopes)
    request = getattr(APIRequestFactory(), method)("/x", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    response = ReadOnlyEndpoint.as_view()(request)
    response.render()
    assert response.status_code == status
    if status == 403:
        assert response.data["error"] == "forbidden"
        assert "scope" in response.data["message"]


def test_the_create_api_key_command_prints_only_the_key(project, capsys):
    from django.core.management import call_command

    call_command("create_api_key", "acme", "web", "--name", "cli", "--scopes", "read")
    out = capsys.readouterr().out.strip()
    assert out.startswith("lls_") and "\n" not in out
    assert ApiKey.authenticate(out).scopes == ["read"]


@pytest.mark.parametrize(
    ("args", "message"),
    [(["acme", "nope"], "No project"), (["acme", "web", "--scopes", "admin"], "Unknown scope")],
)
def test_the_create_api_key_command_explains_bad_input(project, args, message):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match=message):
        call_command("create_api_key", *args)
