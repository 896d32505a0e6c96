"""API key authentication on GET /api/v1/project: the 401/403 answers of API.md."""

import hashlib

import pytest

from tenants.models import ApiKey

URL = "/api/v1/project"


def test_it_describes_the_keys_project(api_client, project, make_api_key):
    key = make_api_key(project, scopes=("ingest",))
    response = api_client.get(URL, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    assert response.json() == {
        "id": project.id,
        "name": "Web",
        "slug": "web",
        "organization": {"id": project.organization.id, "name": "Acme", "slug": "acme"},
        "scopes": ["ingest"],
    }


@pytest.mark.parametrize(
    "header",
    [None, "Bearer lls_unknownunknownunknownunknown", "Bearer", "Token abc", "Bearer a b"],
    ids=["missing", "unknown", "empty", "wrong-scheme", "malformed"],
)
def test_it_answers_401_json_for_a_bad_or_missing_key(api_client, project, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = api_client.get(URL, **extra)
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "unauthorized"
    assert body["message"]
    assert body["details"] == []
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_key_answers_401(api_client, project, make_api_key):
    key = make_api_key(project)
    ApiKey.objects.get(project=project).revoke()
    response = api_client.get(URL, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


def test_the_stored_value_is_not_the_key(project, make_api_key):
    key = make_api_key(project)
    row = ApiKey.objects.get(project=project)
    assert key.startswith("lls_")
    assert key not in (row.prefix, row.key_hash)
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key.startswith(row.prefix) and len(row.prefix) < len(key) // 2


def test_a_key_with_a_wrong_secret_but_a_real_prefix_is_refused(api_client, project, make_api_key):
    key = make_api_key(project)
    forged = key[:-4] + ("aaaa" if not key.endswith("aaaa") else "bbbb")
    response = api_client.get(URL, HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert response.status_code == 401
