"""The whole path a new user takes: sign up → organization → project → key → API call."""

import re

from django.core import mail
from django.test import override_settings

from tenants.models import ApiKey, Membership, Organization, Project, Role


def test_a_new_user_gets_from_sign_up_to_a_working_api_key(client, api_client, db):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "ada@example.com",
            "password1": "a-long-passphrase-42",
            "password2": "a-long-passphrase-42",
        },
    )
    assert response.status_code == 302

    # With no organization yet, home leads to creating one.
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/organizations/new/"

    response = client.post("/organizations/new/", {"name": "Ada Labs"})
    org = Organization.objects.get(name="Ada Labs")
    assert response["Location"] == f"/o/{org.slug}/projects/new/"
    assert Membership.objects.get(organization=org).role == Role.OWNER

    response = client.post(f"/o/{org.slug}/projects/new/", {"name": "Chat bot", "slug": ""})
    project = Project.objects.get(organization=org)
    assert project.slug == "chat-bot"
    assert response["Location"] == f"/o/{org.slug}/p/chat-bot/"

    response = client.post(
        f"/o/{org.slug}/p/chat-bot/keys/new/", {"name": "backend", "scopes": ["ingest", "read"]}
    )
    assert response.status_code == 200
    shown = re.search(r'id="new-key-value">(lls_[A-Za-z0-9]+)<', response.content.decode())
    assert shown, "the new key is shown on the page"
    key = shown.group(1)
    assert ApiKey.objects.get(project=project).scopes == ["ingest", "read"]

    # The key works on the API, and is never shown again.
    answer = api_client.get("/api/v1/project", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert answer.status_code == 200
    assert answer.json()["organization"]["slug"] == org.slug
    assert key not in client.get(f"/o/{org.slug}/p/chat-bot/keys/").content.decode()


def test_sign_up_with_bad_input_explains_and_creates_nobody(client, db):
    response = client.post(
        "/accounts/signup/", {"email": "not-an-email", "password1": "x", "password2": "y"}
    )
    assert response.status_code == 200
    assert "Enter a valid email address" in response.content.decode()
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.exists()


@override_settings(ACCOUNT_EMAIL_VERIFICATION="mandatory")
def test_mandatory_verification_sends_a_mail_and_blocks_login_until_confirmed(client, db):
    client.post(
        "/accounts/signup/",
        {
            "email": "bob@example.com",
            "password1": "a-long-passphrase-42",
            "password2": "a-long-passphrase-42",
        },
    )
    assert len(mail.outbox) == 1
    assert "bob@example.com" in mail.outbox[0].to
    link = re.search(r"https?://[^\s]+/accounts/confirm-email/[^\s]+", mail.outbox[0].body).group(0)

    client.logout()
    response = client.post(
        "/accounts/login/", {"login": "bob@example.com", "password": "a-long-passphrase-42"}
    )
    assert response.status_code == 302
    assert "confirm-email" in response["Location"] or "verification" in response["Location"]
    assert "_auth_user_id" not in client.session

    path = link.split("://", 1)[1].split("/", 1)[1]
    client.post("/" + path)
    response = client.post(
        "/accounts/login/", {"login": "bob@example.com", "password": "a-long-passphrase-42"}
    )
    assert "_auth_user_id" in client.session


def test_password_reset_mails_a_link_that_sets_a_new_password(client, owner):
    client.post("/accounts/password/reset/", {"email": "owner@example.com"})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^\s]+/accounts/password/reset/key/[^\s]+", mail.outbox[0].body)
    path = "/" + link.group(0).split("://", 1)[1].split("/", 1)[1]
    form_url = client.get(path)["Location"]  # allauth moves the key into the session
    response = client.post(
        form_url, {"password1": "brand-new-passphrase-7", "password2": "brand-new-passphrase-7"}
    )
    assert response.status_code == 302
    # Through the login page, as a person does (the admin's lockout backend needs a request).
    login = client.post(
        "/accounts/login/", {"login": "owner@example.com", "password": "brand-new-passphrase-7"}
    )
    assert login.status_code == 302 and "_auth_user_id" in client.session
