"""Operator surfaces closed to strangers: the admin (brute-force lockout, off, allow-list),
/metrics (bearer token or networks), the demo LLM (DEBUG or its setting only), and
invitation tokens kept out of the logs."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

import llmscope_site.asgi  # noqa: F401 - sets logging up as when serving, filter included
from llmscope_site import log_redaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser(
        username="root@example.com", email="root@example.com", password="the-right-passphrase"
    )


def admin_login(client, password: str, address: str = "203.0.113.7"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "root@example.com", "password": password},
        REMOTE_ADDR=address,
    )


def test_the_admin_login_locks_out_after_repeated_wrong_passwords(client, superuser):
    for _ in range(20):
        assert admin_login(client, "wrong").status_code in (200, 429)
    response = admin_login(client, "the-right-passphrase")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/", REMOTE_ADDR="203.0.113.7").status_code == 302  # to the login


def test_the_lockout_also_holds_for_the_same_user_from_another_address(client, superuser):
    for _ in range(5):
        admin_login(client, "wrong", address="203.0.113.7")
    assert admin_login(client, "the-right-passphrase", "198.51.100.9").status_code == 429


def test_a_few_wrong_passwords_then_the_right_one_still_log_in(client, superuser):
    for _ in range(3):
        assert admin_login(client, "wrong").status_code == 200
    assert admin_login(client, "the-right-passphrase").status_code == 302
    assert client.get("/admin/", REMOTE_ADDR="203.0.113.7").status_code == 200


def test_the_admin_lockout_does_not_lock_the_product_login(client, superuser):
    """The product login keeps allauth's own limits; the admin lockout stays on /admin/."""
    for _ in range(6):
        admin_login(client, "wrong")
    response = client.post(
        "/accounts/login/",
        {"login": "root@example.com", "password": "the-right-passphrase"},
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(superuser.pk)


@override_settings(LLMSCOPE_ADMIN_ENABLED=False)
def test_the_admin_can_be_turned_off(client, superuser):
    client.force_login(superuser)
    assert client.get("/admin/").status_code == 404
    assert admin_login(client, "the-right-passphrase").status_code == 404


@override_settings(LLMSCOPE_ADMIN_ALLOWED_NETWORKS=["10.0.0.0/8", "::1/128"])
def test_the_admin_can_be_restricted_to_networks(client, superuser):
    client.force_login(superuser)
    assert client.get("/admin/", REMOTE_ADDR="203.0.113.7").status_code == 404
    assert client.get("/admin/", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/admin/", REMOTE_ADDR="::1").status_code == 200


def test_metrics_are_closed_without_a_token_or_network(client):
    response = client.get("/metrics")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"llmscope_http_requests_total" not in response.content


@override_settings(LLMSCOPE_METRICS_TOKEN="scrape-secret-1234")
def test_metrics_need_the_bearer_token(client):
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret-1234")
    assert response.status_code == 200
    assert b"llmscope_http_requests_total" in response.content


@override_settings(LLMSCOPE_METRICS_ALLOWED_NETWORKS=["10.0.0.0/8"])
def test_metrics_are_open_to_the_allowed_networks(client):
    assert client.get("/metrics", REMOTE_ADDR="10.9.8.7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.7").status_code == 401


DEMO_BODY = '{"model": "demo", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}'


@override_settings(DEBUG=False, LLMSCOPE_DEMO_LLM=False)
def test_the_demo_llm_is_not_served_in_production(client):
    response = client.post(
        "/demo-llm/v1/chat/completions", DEMO_BODY, content_type="application/json"
    )
    assert response.status_code == 404


@override_settings(DEBUG=False, LLMSCOPE_DEMO_LLM=True)
def test_the_demo_llm_is_served_when_its_setting_is_on(client):
    response = client.post(
        "/demo-llm/v1/chat/completions", DEMO_BODY, content_type="application/json"
    )
    assert response.status_code in (200, 429, 500, 503)  # an answer of the demo model


def test_make_run_turns_the_demo_llm_on():
    """`make run` runs with DEBUG=1, and the demo LLM follows DEBUG by default."""
    import subprocess
    import sys

    code = "from django.conf import settings; print(settings.LLMSCOPE_DEMO_LLM)"
    env = {"DEBUG": "1", "DJANGO_SETTINGS_MODULE": "llmscope_site.settings", "PATH": ""}
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert out.stdout.strip() == "True"
    env["DEBUG"] = "0"
    env["SECRET_KEY"] = "x" * 50
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    "path",
    [
        "/invitations/Zx81-secretTOKEN_value/",
        "/accounts/login/?next=/invitations/Zx81-secretTOKEN_value/",
        "/accounts/login/?next=%2Finvitations%2FZx81-secretTOKEN_value%2F",
    ],
)
def test_invitation_tokens_are_redacted_from_the_access_log(path, caplog):
    logger = logging.getLogger("uvicorn.access")
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        # uvicorn's access-log call: client, method, path, HTTP version, status.
        logger.info('%s - "%s %s HTTP/%s" %d', "203.0.113.7:5000", "GET", path, "1.1", 200)
    assert "secretTOKEN" not in caplog.text
    assert "invitations" in caplog.text.lower() and "[redacted]" in caplog.text


def test_django_request_warnings_redact_invitation_tokens(client, owner, caplog):
    log_redaction.install()
    client.force_login(owner)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/invitations/Zx81-secretTOKEN_value/")
    assert response.status_code == 404
    assert "Not Found" in caplog.text and "[redacted]" in caplog.text
    assert "secretTOKEN" not in caplog.text
