"""The audit log: recorded by every team change, readable by admins and owners only."""

import pytest

from tenants import audit
from tenants.models import AuditAction


def test_admins_see_the_log(client_for, admin_user, owner, organization):
    audit.record(organization, owner, AuditAction.KEY_CREATED, "deploy key")
    html = client_for(admin_user).get("/o/acme/audit/").content.decode()
    assert "API key created" in html and "deploy key" in html and "owner@example.com" in html


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_members_and_viewers_do_not(client_for, organization, who, request):
    assert client_for(request.getfixturevalue(who)).get("/o/acme/audit/").status_code == 403


def test_entries_of_other_organizations_never_show(
    client_for, owner, outsider, organization, other_organization
):
    audit.record(other_organization, outsider, AuditAction.KEY_CREATED, "globex secret key")
    assert "globex secret key" not in client_for(owner).get("/o/acme/audit/").content.decode()
