"""Invitations: single use, 7 days, for one email, only for someone not yet a member."""

from datetime import timedelta

from django.utils import timezone

from tenants import team
from tenants.invitations import delete_stale_invitations
from tenants.models import Invitation, Membership, Role
from tests.conftest import make_user


def invite(organization, owner, email="new@example.com", role=Role.MEMBER):
    inviter = Membership.objects.get(user=owner, organization=organization)
    return team.invite(organization, email, role, inviter)


def test_the_invited_user_joins_with_the_role(client_for, organization, owner):
    _invitation, token = invite(organization, owner, role=Role.VIEWER)
    newcomer = make_user("new@example.com")
    client = client_for(newcomer)
    assert "Join Acme" in client.get(f"/invitations/{token}/").content.decode()
    response = client.post(f"/invitations/{token}/")
    assert response["Location"] == "/o/acme/"
    assert Membership.objects.get(user=newcomer, organization=organization).role == Role.VIEWER


def test_an_invitation_works_once(client_for, organization, owner):
    _, token = invite(organization, owner)
    newcomer = make_user("new@example.com")
    client_for(newcomer).post(f"/invitations/{token}/")
    Membership.objects.filter(user=newcomer).delete()
    response = client_for(newcomer).post(f"/invitations/{token}/")
    assert response.status_code == 400
    assert "already been used" in response.content.decode()
    assert not Membership.objects.filter(user=newcomer).exists()


def test_an_expired_invitation_is_refused(client_for, organization, owner):
    invitation, token = invite(organization, owner)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = client_for(make_user("new@example.com")).post(f"/invitations/{token}/")
    assert response.status_code == 400
    assert "expired" in response.content.decode()


def test_invitations_expire_after_seven_days(organization, owner):
    invitation, _ = invite(organization, owner)
    lifetime = invitation.expires_at - invitation.created_at
    assert timedelta(days=7) - timedelta(seconds=5) < lifetime <= timedelta(days=7)


def test_someone_with_another_email_cannot_accept(client_for, organization, owner):
    _, token = invite(organization, owner)
    response = client_for(make_user("intruder@example.com")).post(f"/invitations/{token}/")
    assert response.status_code == 400
    assert "This invitation is for new@example.com" in response.content.decode()
    assert Membership.objects.filter(organization=organization).count() == 4


def test_an_existing_member_cannot_accept_again(client_for, organization, owner, member):
    _invitation, token = Invitation.create_for(
        organization, "member@example.com", Role.ADMIN, owner
    )
    response = client_for(member).post(f"/invitations/{token}/")
    assert response.status_code == 400
    assert "already a member" in response.content.decode()
    assert Membership.objects.get(user=member, organization=organization).role == Role.MEMBER


def test_an_unknown_token_is_404(client_for, outsider, db):
    assert client_for(outsider).get("/invitations/not-a-token/").status_code == 404


def test_accepting_needs_a_login(client, organization, owner):
    _, token = invite(organization, owner)
    response = client.post(f"/invitations/{token}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_new_invitation_replaces_the_pending_one(client_for, organization, owner):
    _, first = invite(organization, owner)
    _, second = invite(organization, owner)
    newcomer = make_user("new@example.com")
    assert client_for(newcomer).post(f"/invitations/{first}/").status_code == 400
    assert client_for(newcomer).post(f"/invitations/{second}/").status_code == 302


def test_revoking_an_invitation(client_for, admin_user, organization, owner):
    invitation, token = invite(organization, owner)
    client_for(admin_user).post(f"/o/acme/invitations/{invitation.pk}/revoke/")
    assert not Invitation.objects.filter(pk=invitation.pk).exists()
    assert client_for(make_user("new@example.com")).get(f"/invitations/{token}/").status_code == 404


def test_stale_invitations_are_deleted_but_recent_ones_kept(organization, owner):
    old, _ = invite(organization, owner, email="old@example.com")
    recent, _ = invite(organization, owner, email="recent@example.com")
    Invitation.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=31))
    Invitation.objects.filter(pk=recent.pk).update(expires_at=timezone.now() - timedelta(days=1))
    assert delete_stale_invitations() == 1
    assert list(Invitation.objects.values_list("email", flat=True)) == ["recent@example.com"]
