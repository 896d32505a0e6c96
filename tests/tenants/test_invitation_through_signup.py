"""An invitation opened while signed out survives sign-up and sign-in, whichever link the
invitee uses, and the account pages say that it waits."""

from tenants.models import Membership, Role
from tests.conftest import make_user
from tests.tenants.test_invitations import invite

PASSWORD = "a-long-passphrase-42"


def test_signed_out_the_invitation_page_offers_both_ways_in(client, organization, owner):
    _, token = invite(organization, owner, role=Role.VIEWER)
    response = client.get(f"/invitations/{token}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Join Acme" in html and "Create an account" in html and "sign in" in html


def test_sign_up_from_the_header_link_still_lands_on_the_invitation(client, organization, owner):
    _, token = invite(organization, owner, email="new@example.com", role=Role.VIEWER)
    client.get(f"/invitations/{token}/")
    # The header's "Sign up" carries no `next`: the sign-up page still names the invitation.
    signup = client.get("/accounts/signup/").content.decode()
    assert "You are invited to join <strong>Acme</strong>" in signup
    response = client.post(
        "/accounts/signup/",
        {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"/invitations/{token}/"
    assert "Accept and join" in response.content.decode()
    accepted = client.post(f"/invitations/{token}/")
    assert accepted["Location"] == "/o/acme/"
    newcomer = Membership.objects.get(organization=organization, user__email="new@example.com")
    assert newcomer.role == Role.VIEWER
    # Once accepted, the next visit home goes to the organization, not the invitation.
    assert client.get("/")["Location"] == "/o/acme/"


def test_sign_in_lands_on_the_invitation_and_the_page_says_so(client, organization, owner):
    _, token = invite(organization, owner, email="known@example.com")
    make_user("known@example.com", PASSWORD)
    client.get(f"/invitations/{token}/")
    login_page = client.get("/accounts/login/").content.decode()
    assert "You are invited to join <strong>Acme</strong>" in login_page
    response = client.post(
        "/accounts/login/", {"login": "known@example.com", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"/invitations/{token}/"


def test_a_revoked_invitation_is_forgotten(client, organization, owner):
    invitation, token = invite(organization, owner, email="new@example.com")
    client.get(f"/invitations/{token}/")
    invitation.delete()
    assert "You are invited" not in client.get("/accounts/login/").content.decode()
    make_user("new@example.com", PASSWORD)
    client.post("/accounts/login/", {"login": "new@example.com", "password": PASSWORD})
    assert client.get("/")["Location"] == "/organizations/new/"
