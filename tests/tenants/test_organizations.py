"""Organizations: create, switch, rename, delete (owner, typed name), leave."""

import pytest

from tenants.models import AuditLogEntry, Membership, Organization, Project, Role


def test_creating_an_organization_makes_the_creator_its_owner(client_for, outsider):
    client = client_for(outsider)
    client.post("/organizations/new/", {"name": "Initech"})
    org = Organization.objects.get(name="Initech")
    assert Membership.objects.get(user=outsider, organization=org).role == Role.OWNER


def test_an_empty_name_is_refused_with_a_message(client_for, outsider):
    response = client_for(outsider).post("/organizations/new/", {"name": "   "})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not Organization.objects.filter(name="").exists()


def test_slugs_stay_unique(client_for, outsider, organization):
    client_for(outsider).post("/organizations/new/", {"name": "Acme"})
    slugs = sorted(Organization.objects.filter(name="Acme").values_list("slug", flat=True))
    assert slugs == ["acme", "acme-2"]


def test_home_returns_to_the_last_organization_visited(client_for, owner, organization):
    second = Organization.create_with_owner("Second", owner)
    client = client_for(owner)
    client.get(f"/o/{second.slug}/")
    assert client.get("/")["Location"] == f"/o/{second.slug}/"
    client.get("/o/acme/")
    assert client.get("/")["Location"] == "/o/acme/"


def test_the_switcher_lists_only_my_organizations(
    client_for, owner, organization, other_organization
):
    html = client_for(owner).get("/o/acme/").content.decode()
    assert "Acme" in html and "Globex" not in html


@pytest.mark.parametrize("who", ["owner", "admin_user"])
def test_owners_and_admins_rename(client_for, organization, who, request):
    user = request.getfixturevalue(who)
    response = client_for(user).post("/o/acme/settings/", {"name": "Acme Corp"})
    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.name == "Acme Corp"
    assert AuditLogEntry.objects.filter(action="organization.renamed", target="Acme Corp").exists()


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_members_and_viewers_cannot_rename(client_for, organization, who, request):
    response = client_for(request.getfixturevalue(who)).post("/o/acme/settings/", {"name": "X"})
    assert response.status_code == 403
    organization.refresh_from_db()
    assert organization.name == "Acme"


def test_only_the_owner_deletes_after_typing_the_name(
    client_for, owner, admin_user, organization, project
):
    assert (
        client_for(admin_user).post("/o/acme/delete/", {"confirm_name": "Acme"}).status_code == 403
    )
    response = client_for(owner).post("/o/acme/delete/", {"confirm_name": "acme"})
    assert response.status_code == 400
    assert "Type “Acme” exactly" in response.content.decode()
    assert Organization.objects.filter(pk=organization.pk).exists()
    response = client_for(owner).post("/o/acme/delete/", {"confirm_name": "Acme"})
    assert response.status_code == 302
    assert not Organization.objects.filter(pk=organization.pk).exists()
    assert not Project.objects.filter(pk=project.pk).exists()


def test_a_member_can_leave(client_for, member, organization):
    response = client_for(member).post("/o/acme/leave/")
    assert response.status_code == 302
    assert not Membership.objects.filter(user=member, organization=organization).exists()


def test_the_last_owner_cannot_leave(client_for, owner, organization):
    response = client_for(owner).post("/o/acme/leave/", follow=True)
    assert "You are the last owner" in response.content.decode()
    assert Membership.objects.filter(user=owner, organization=organization).exists()


def test_an_owner_can_leave_when_another_owner_remains(client_for, owner, admin_user, organization):
    Membership.objects.filter(user=admin_user).update(role=Role.OWNER)
    client_for(owner).post("/o/acme/leave/")
    assert not Membership.objects.filter(user=owner, organization=organization).exists()


def test_anonymous_visitors_are_sent_to_log_in(client, organization):
    response = client.get("/o/acme/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
