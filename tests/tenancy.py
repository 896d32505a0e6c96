"""The cross-tenant check every view and endpoint gets: another organization answers 404."""

from __future__ import annotations

import json


def assert_cross_tenant_404(client, url: str, method: str = "get", data=None, **extra) -> None:
    """`client` is logged in as (or carries the key of) a member of another organization.

    The object behind `url` belongs to an organization the client is not part of: whatever
    the method, the answer must be 404, and an API answer must carry the `not_found` code.
    """
    response = getattr(client, method.lower())(url, data=data, **extra)
    assert response.status_code == 404, (
        f"{method.upper()} {url} answered {response.status_code} to an outsider, not 404"
    )
    if response.get("Content-Type", "").startswith("application/json"):
        assert json.loads(response.content)["error"] == "not_found"
