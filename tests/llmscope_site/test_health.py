"""/healthz and /readyz as API.md describes them."""

from django.test import override_settings


def test_healthz_answers_while_the_process_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_checks_the_database(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


def test_readyz_answers_503_naming_an_unreachable_redis(client, db):
    # Port 1 on loopback: nothing listens there, the connection is refused at once.
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["redis"] == "error"
    assert "redis" in body["errors"]


@override_settings(LLMSCOPE_METRICS_TOKEN="scrape-secret")
def test_metrics_exposes_prometheus_text(client, db):
    client.get("/healthz")
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret")
    assert response.status_code == 200
    assert b"llmscope_http_requests_total" in response.content


def test_the_openapi_schema_describes_the_key_check(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert "/api/v1/project" in response.content.decode()
