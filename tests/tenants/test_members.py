"""Members: invite, change roles (owners only touch owners), remove; one owner always remains."""

import re

import pytest
from django.core import mail

from tenants.models import AuditLogEntry, Invitation, Membership, Role


def membership(user, org):
    return Membership.objects.get(user=user, organization=org)


def test_an_admin_invites_by_email(client_for, admin_user, organization):
    response = client_for(admin_user).post(
        "/o/acme/members/invite/", {"email": "New@Example.com", "role": "member"}
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(organization=organization)
    assert invitation.email == "new@example.com"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new@example.com"]
    assert re.search(r"/invitations/[\w-]+/", mail.outbox[0].body)
    assert AuditLogEntry.objects.filter(action="member.invited", target="new@example.com").exists()


def test_a_member_cannot_manage_members(client_for, member, viewer, organization):
    client = client_for(member)
    assert (
        client.post(
            "/o/acme/members/invite/", {"email": "x@example.com", "role": "member"}
        ).status_code
        == 403
    )
    target = membership(viewer, organization)
    assert client.post(f"/o/acme/members/{target.pk}/role/", {"role": "admin"}).status_code == 403
    assert client.post(f"/o/acme/members/{target.pk}/remove/").status_code == 403
    assert membership(viewer, organization).role == Role.VIEWER
    assert not Invitation.objects.exists()


def test_inviting_an_existing_member_explains(client_for, admin_user, organization):
    response = client_for(admin_user).post(
        "/o/acme/members/invite/", {"email": "member@example.com", "role": "viewer"}
    )
    assert response.status_code == 400
    assert "already a member" in response.content.decode()
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    "data", [{"email": "nope", "role": "member"}, {"email": "a@b.co", "role": "boss"}]
)
def test_bad_invitation_input_is_refused(client_for, admin_user, organization, data):
    response = client_for(admin_user).post("/o/acme/members/invite/", data)
    assert response.status_code == 400
    assert not Invitation.objects.exists()


def test_an_admin_cannot_invite_an_owner(client_for, admin_user, organization):
    response = client_for(admin_user).post(
        "/o/acme/members/invite/", {"email": "boss@example.com", "role": "owner"}
    )
    assert response.status_code == 400
    assert "Only an owner can invite another owner" in response.content.decode()


def test_an_admin_changes_a_members_role_in_place_over_htmx(
    client_for, admin_user, viewer, organization
):
    target = membership(viewer, organization)
    response = client_for(admin_user).post(
        f"/o/acme/members/{target.pk}/role/", {"role": "member"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith(f'<tr id="member-{target.pk}"')
    assert "<html" not in html
    assert membership(viewer, organization).role == Role.MEMBER
    entry = AuditLogEntry.objects.get(action="member.role_changed")
    assert entry.data == {"old": "viewer", "new": "member"}


def test_only_an_owner_makes_or_unmakes_owners(client_for, owner, admin_user, member, organization):
    target = membership(member, organization)
    response = client_for(admin_user).post(
        f"/o/acme/members/{target.pk}/role/", {"role": "owner"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert "Only an owner" in response.content.decode()
    assert membership(member, organization).role == Role.MEMBER

    owner_row = membership(owner, organization)
    client_for(admin_user).post(f"/o/acme/members/{owner_row.pk}/role/", {"role": "viewer"})
    assert membership(owner, organization).role == Role.OWNER

    client_for(owner).post(f"/o/acme/members/{target.pk}/role/", {"role": "owner"})
    assert membership(member, organization).role == Role.OWNER


def test_the_last_owner_cannot_be_demoted(client_for, owner, organization):
    own = membership(owner, organization)
    response = client_for(owner).post(
        f"/o/acme/members/{own.pk}/role/", {"role": "admin"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert "at least one owner" in response.content.decode()
    assert membership(owner, organization).role == Role.OWNER


def test_an_unknown_role_is_refused(client_for, owner, viewer, organization):
    target = membership(viewer, organization)
    response = client_for(owner).post(
        f"/o/acme/members/{target.pk}/role/", {"role": "superuser"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert membership(viewer, organization).role == Role.VIEWER


def test_removing_a_member(client_for, admin_user, viewer, organization):
    target = membership(viewer, organization)
    response = client_for(admin_user).post(
        f"/o/acme/members/{target.pk}/remove/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and response.content == b""
    assert not Membership.objects.filter(pk=target.pk).exists()
    assert AuditLogEntry.objects.filter(
        action="member.removed", target="viewer@example.com"
    ).exists()


def test_an_admin_cannot_remove_an_owner(client_for, admin_user, owner, organization):
    target = membership(owner, organization)
    client_for(admin_user).post(f"/o/acme/members/{target.pk}/remove/")
    assert Membership.objects.filter(pk=target.pk).exists()


def test_the_members_page_shows_everyone_to_a_viewer_without_controls(
    client_for, viewer, organization
):
    html = client_for(viewer).get("/o/acme/members/").content.decode()
    for email in ("owner@", "admin@", "member@", "viewer@"):
        assert email in html
    assert "<select" not in html and "Send invitation" not in html
