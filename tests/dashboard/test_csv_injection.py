"""Every events export neutralises cells a spreadsheet would run as formulas (OWASP)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.dashboard.conftest import post_events

pytestmark = pytest.mark.django_db

HOSTILE = {
    "model": '=HYPERLINK("http://evil.example","x")',
    "provider": "+cmd",
    "environment": "-2+3",
    "error_type": "@SUM(1)",
    "tags": {"team": "\rboom", "owner": "\tx"},
}


def rows_of(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/export/events.csv",
        "/o/acme/p/web/api/export/events.csv",
        "/o/acme/p/web/dashboard/export/events.csv",
    ],
)
def test_events_exports_neutralise_formulas(client, owner, project, make_api_key, path):
    key = make_api_key(project, scopes=("ingest", "read"))
    event = {"latency_ms": -0.0 + 120.0, "status": "error", **HOSTILE}
    assert post_events(client, key, [event]).status_code == 202
    if path.startswith("/api/"):
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {key}")
    else:
        client.force_login(owner)
        response = client.get(path)
    assert response.status_code == 200
    header, row = rows_of(response)[:2]
    cells = dict(zip(header, row, strict=True))
    assert cells["model"] == "'" + HOSTILE["model"]
    assert cells["provider"] == "'+cmd"
    assert cells["environment"] == "'-2+3"
    assert cells["error_type"] == "'@SUM(1)"
    assert json.loads(cells["tags"]) == HOSTILE["tags"]  # a JSON object: starts with "{"
    assert float(cells["latency_ms"]) == 120.0
    for value in row:
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
