"""The OpenAPI schema (/api/schema/) describes every ingest and read endpoint."""

import pytest

pytestmark = pytest.mark.django_db

PATHS = [
    "/api/v1/events",
    "/v1/traces",
    "/api/v1/telemetry",
    "/api/v1/metrics/summary",
    "/api/v1/metrics/timeseries",
    "/api/v1/export/events.csv",
    "/o/{org_slug}/p/{project_slug}/api/metrics/summary",
    "/o/{org_slug}/p/{project_slug}/api/events",
]


def test_the_schema_lists_the_ingest_and_read_endpoints(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    for path in PATHS:
        assert path in schema["paths"], path
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/events"])
    parameters = {
        p["name"] for p in schema["paths"]["/api/v1/metrics/timeseries"]["get"]["parameters"]
    }
    assert {"metric", "interval", "start", "end", "model"} <= parameters
