"""Every tenant page and endpoint answers 404 to a member of another organization."""

import pytest

from tenants.models import ApiKey, Invitation, Membership, Role
from tests.tenancy import assert_cross_tenant_404

ORG_PAGES = [
    ("get", "/o/acme/"),
    ("get", "/o/acme/settings/"),
    ("post", "/o/acme/settings/"),
    ("post", "/o/acme/delete/"),
    ("post", "/o/acme/leave/"),
    ("get", "/o/acme/audit/"),
    ("get", "/o/acme/members/"),
    ("post", "/o/acme/members/invite/"),
    ("get", "/o/acme/projects/new/"),
    ("post", "/o/acme/projects/new/"),
]
PROJECT_PAGES = [
    ("get", "/o/acme/p/web/"),
    ("get", "/o/acme/p/web/settings/"),
    ("post", "/o/acme/p/web/settings/"),
    ("post", "/o/acme/p/web/delete/"),
    ("get", "/o/acme/p/web/keys/"),
    ("post", "/o/acme/p/web/keys/new/"),
]


@pytest.mark.parametrize(("method", "url"), ORG_PAGES + PROJECT_PAGES)
def test_pages_of_another_organization_are_404(
    client_for, outsider, project, other_project, method, url
):
    assert_cross_tenant_404(client_for(outsider), url, method=method)


def test_object_ids_of_another_organization_are_404_even_through_my_own_org(
    client_for, outsider, organization, project, other_organization, other_project, owner, member
):
    """The outsider owns Globex; Acme's membership, invitation and key ids looked up through
    Globex's URLs must not be found."""
    client = client_for(outsider)
    acme_member = Membership.objects.get(user=member, organization=organization)
    invitation, _ = Invitation.create_for(organization, "x@example.com", Role.MEMBER, owner)
    key, _ = ApiKey.create_for(project, "k", ["read"])
    assert_cross_tenant_404(
        client, f"/o/globex/members/{acme_member.pk}/role/", "post", {"role": "viewer"}
    )
    assert_cross_tenant_404(client, f"/o/globex/members/{acme_member.pk}/remove/", "post")
    assert_cross_tenant_404(client, f"/o/globex/invitations/{invitation.pk}/revoke/", "post")
    assert_cross_tenant_404(client, f"/o/globex/p/web/keys/{key.pk}/revoke/", "post")
    assert Membership.objects.get(pk=acme_member.pk).role == Role.MEMBER
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None


def test_the_key_check_only_ever_shows_the_keys_own_project(
    api_client, project, other_project, make_api_key
):
    other_key = make_api_key(other_project)
    body = api_client.get("/api/v1/project", HTTP_AUTHORIZATION=f"Bearer {other_key}").json()
    assert body["organization"]["slug"] == "globex"


def test_unknown_api_paths_answer_json_404(api_client, db):
    response = api_client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
