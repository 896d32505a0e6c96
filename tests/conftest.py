"""Fixtures shared by the whole suite: three kinds of users around two organizations.

`organization` has an owner, an admin, a member and a viewer; `outsider` owns
`other_organization` and belongs to nothing else, so every cross-tenant test has its actor.
"""

from __future__ import annotations

import os

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tenants.models import ApiKey, Membership, Organization, Project, Role

REDIS_URL = os.environ.get("REDIS_URL", "")


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    skip_redis = pytest.mark.skip(reason="needs REDIS_URL (a real Redis and Celery worker)")
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL=postgres://...)")
    for item in items:
        if "redis" in item.keywords and not REDIS_URL:
            item.add_marker(skip_redis)
        if "postgres" in item.keywords and not settings.IS_POSTGRES:
            item.add_marker(skip_pg)


def make_user(email: str, password: str = "correct-horse-battery"):
    from allauth.account.models import EmailAddress

    user = get_user_model().objects.create_user(username=email, email=email, password=password)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.fixture(autouse=True)
def _fresh_process_memos():
    """Process-wide memos must not outlive the test database they describe."""
    from spc.autocreate import forget_known_series
    from spc.triggers import forget_chart_filters

    forget_known_series()
    forget_chart_filters()
    yield
    forget_known_series()
    forget_chart_filters()


@pytest.fixture
def owner(db):
    return make_user("owner@example.com")


@pytest.fixture
def admin_user(db):
    return make_user("admin@example.com")


@pytest.fixture
def member(db):
    return make_user("member@example.com")


@pytest.fixture
def viewer(db):
    return make_user("viewer@example.com")


@pytest.fixture
def outsider(db):
    return make_user("outsider@example.com")


@pytest.fixture
def organization(owner, admin_user, member, viewer):
    org = Organization.objects.create(name="Acme", slug="acme")
    for user, role in (
        (owner, Role.OWNER),
        (admin_user, Role.ADMIN),
        (member, Role.MEMBER),
        (viewer, Role.VIEWER),
    ):
        Membership.objects.create(user=user, organization=org, role=role)
    return org


@pytest.fixture
def other_organization(outsider):
    org = Organization.objects.create(name="Globex", slug="globex")
    Membership.objects.create(user=outsider, organization=org, role=Role.OWNER)
    return org


@pytest.fixture
def project(organization):
    return Project.objects.create(organization=organization, name="Web", slug="web")


@pytest.fixture
def other_project(other_organization):
    return Project.objects.create(organization=other_organization, name="Web", slug="web")


@pytest.fixture
def make_api_key():
    def make(project: Project, scopes=("ingest", "read"), name: str = "test key") -> str:
        _, plaintext = ApiKey.create_for(project, name, scopes)
        return plaintext

    return make


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def client_for(client):
    """Log `client` in as the given user and return it."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def celery_worker_live(transactional_db):
    """A real Celery worker on the Redis broker, in a thread of this process.

    It shares the test database (committed data only: use with `transactional_db`).
    """
    from celery.contrib.testing.worker import start_worker

    from llmscope_site.celery import app

    with start_worker(
        app,
        pool="threads",
        concurrency=4,
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=10,
    ) as worker:
        yield worker
