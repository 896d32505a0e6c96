"""Read endpoints: summary, timeseries, events list, CSV export; scopes and tenancy."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from monitoring.models import Event
from tests.monitoring.conftest import auth, event
from tests.tenancy import assert_cross_tenant_404

pytestmark = pytest.mark.django_db

READ_URLS = [
    "/api/v1/metrics/summary",
    "/api/v1/metrics/timeseries?metric=requests",
    "/api/v1/events",
    "/api/v1/export/events.csv",
]


def minutes_ago(n: float) -> str:
    return (datetime.now(UTC) - timedelta(minutes=n)).isoformat()


@pytest.fixture
def traffic(send, ingest_key):
    """Eight events over the last hour, two models, one error, one unpriced model."""
    events = [
        event(
            timestamp=minutes_ago(50),
            latency_ms=100,
            ttft_ms=10,
            input_tokens=1000,
            output_tokens=100,
        ),
        event(
            timestamp=minutes_ago(40),
            latency_ms=200,
            ttft_ms=20,
            input_tokens=1000,
            output_tokens=100,
        ),
        event(timestamp=minutes_ago(30), latency_ms=300, status="error", error_type="Timeout"),
        event(
            timestamp=minutes_ago(20),
            latency_ms=400,
            input_tokens=10,
            output_tokens=10,
            cost_usd=0.5,
        ),
        event(
            timestamp=minutes_ago(10),
            model="o3",
            latency_ms=1000,
            input_tokens=100,
            output_tokens=50,
        ),
        event(
            timestamp=minutes_ago(5),
            model="o3",
            latency_ms=2000,
            input_tokens=100,
            output_tokens=50,
        ),
        event(timestamp=minutes_ago(2), model="in-house-llm", latency_ms=50, input_tokens=5),
        event(timestamp=minutes_ago(200), latency_ms=5000),  # outside the 1h window
    ]
    assert send(ingest_key, events).status_code == 202


def get(client, key, url, **headers):
    return client.get(url, **auth(key), **headers)


def test_summary_answers_the_documented_shape(client, read_key, traffic):
    body = get(client, read_key, "/api/v1/metrics/summary?window=1h").json()
    assert body["window"] == "1h"
    assert body["requests"] == 7
    assert body["errors"] == 1
    assert body["error_rate"] == pytest.approx(1 / 7)
    assert set(body["latency_ms"]) == {"p50", "p95", "p99", "mean"}
    assert body["latency_ms"]["mean"] == pytest.approx(
        (100 + 200 + 300 + 400 + 1000 + 2000 + 50) / 7
    )
    assert body["latency_ms"]["p50"] == pytest.approx(300, rel=0.02)
    assert body["ttft_ms"]["mean"] == pytest.approx(15)
    assert body["input_tokens"] == 2215 and body["output_tokens"] == 310
    assert body["unpriced_models"] == ["in-house-llm"]
    assert body["unpriced_requests"] == 1
    models = {m["model"]: m for m in body["by_model"]}
    assert set(models) == {"gpt-4o", "o3", "in-house-llm"}
    assert models["gpt-4o"]["requests"] == 4
    assert models["gpt-4o"]["error_rate"] == pytest.approx(0.25)
    assert models["in-house-llm"]["cost_usd"] is None  # no price: unknown, never $0
    # gpt-4o: 2 × (1000 × 2.5 + 100 × 10) / 1e6 + 0.5 as sent; o3: 2 × (100 × 2 + 50 × 8) / 1e6
    assert models["gpt-4o"]["cost_usd"] == pytest.approx(0.007 + 0.5)
    assert models["o3"]["cost_usd"] == pytest.approx(0.0012)
    assert body["cost_usd"] == pytest.approx(0.5082)


def test_summary_filters_by_model_and_environment(client, read_key, send, ingest_key, traffic):
    send(ingest_key, [event(environment="staging", model="o3")])
    body = get(client, read_key, "/api/v1/metrics/summary?window=1h&model=o3").json()
    assert body["requests"] == 3
    staging = get(client, read_key, "/api/v1/metrics/summary?window=1h&environment=staging").json()
    assert staging["requests"] == 1


def test_longer_windows_include_older_events(client, read_key, traffic):
    assert get(client, read_key, "/api/v1/metrics/summary?window=6h").json()["requests"] == 8


def test_an_empty_project_has_a_zero_summary(client, read_key):
    body = get(client, read_key, "/api/v1/metrics/summary").json()
    assert body["requests"] == 0 and body["cost_usd"] == 0 and body["latency_ms"]["p50"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("window=2h", "window"),
        ("model=" + "m" * 129, "model"),
    ],
)
def test_summary_refuses_bad_parameters(client, read_key, query, field):
    response = get(client, read_key, f"/api/v1/metrics/summary?{query}")
    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"
    assert response.json()["details"][0]["field"] == field


def test_timeseries_counts_requests_per_interval(client, read_key, traffic):
    start = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    url = f"/api/v1/metrics/timeseries?metric=requests&interval=1h&start={start}".replace(
        "+", "%2B"
    )
    body = get(client, read_key, url).json()
    assert body["metric"] == "requests" and body["interval"] == "1h"
    assert sum(p["v"] for p in body["points"]) == 7
    assert all(set(p) == {"t", "v"} for p in body["points"])
    assert body["points"][0]["t"].endswith(":00:00Z")


def test_timeseries_of_latency_percentiles_and_cost(client, read_key, traffic):
    start = (datetime.now(UTC) - timedelta(minutes=15)).isoformat().replace("+", "%2B")
    p95 = get(
        client, read_key, f"/api/v1/metrics/timeseries?metric=latency_p95&interval=1m&start={start}"
    ).json()
    values = sorted(p["v"] for p in p95["points"])  # one point per minute with requests
    assert values == [pytest.approx(v, rel=0.02) for v in (50, 1000, 2000)]
    errors = get(client, read_key, "/api/v1/metrics/timeseries?metric=errors&interval=1m").json()
    assert sum(p["v"] for p in errors["points"]) == 1
    assert len(errors["points"]) in (60, 61)  # zero-filled minutes touching the default hour


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "metric"),
        ("metric=latency_p42", "metric"),
        ("metric=requests&interval=2m", "interval"),
        ("metric=requests&start=yesterday", "start"),
        ("metric=requests&start=2025-01-02T00:00:00Z&end=2025-01-01T00:00:00Z", "start"),
        ("metric=requests&interval=1m&start=2020-01-01T00:00:00Z", "interval"),
    ],
)
def test_timeseries_refuses_bad_parameters(client, read_key, query, field):
    response = get(client, read_key, f"/api/v1/metrics/timeseries?{query}")
    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == field


def test_events_are_listed_newest_first_with_a_cursor(client, read_key, traffic):
    first = get(client, read_key, "/api/v1/events?limit=3").json()
    assert [e["model"] for e in first["results"]] == ["in-house-llm", "o3", "o3"]
    assert first["next"]
    seen = [e["id"] for e in first["results"]]
    cursor = first["next"]
    while cursor:
        page = get(client, read_key, f"/api/v1/events?limit=3&cursor={cursor}").json()
        seen += [e["id"] for e in page["results"]]
        cursor = page["next"]
    assert len(seen) == len(set(seen)) == 8
    stamps = [e.timestamp for e in Event.objects.order_by("-timestamp")]
    assert stamps == sorted(stamps, reverse=True)


def test_event_list_items_carry_the_event_fields_and_received_at(client, read_key, traffic):
    item = get(client, read_key, "/api/v1/events?limit=1").json()["results"][0]
    for name in ("id", "timestamp", "received_at", "model", "latency_ms", "cost_usd", "tags"):
        assert name in item
    assert item["timestamp"].endswith("Z")


def test_events_are_filtered(client, read_key, traffic):
    errors = get(client, read_key, "/api/v1/events?status=error").json()["results"]
    assert [e["error_type"] for e in errors] == ["Timeout"]
    o3 = get(client, read_key, "/api/v1/events?model=o3").json()["results"]
    assert len(o3) == 2
    since = minutes_ago(15).replace("+", "%2B")
    recent = get(client, read_key, f"/api/v1/events?since={since}").json()["results"]
    assert len(recent) == 3
    until = minutes_ago(100).replace("+", "%2B")
    old = get(client, read_key, f"/api/v1/events?until={until}").json()["results"]
    assert [e["latency_ms"] for e in old] == [5000]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("status=broken", "status"),
        ("since=soon", "since"),
        ("cursor=!!!", "cursor"),
        ("since=2025-01-02T00:00:00Z&until=2025-01-01T00:00:00Z", "until"),
    ],
)
def test_the_event_list_refuses_bad_parameters(client, read_key, query, field):
    response = get(client, read_key, f"/api/v1/events?{query}")
    assert response.status_code == 400
    assert response.json()["details"] == [
        {"index": None, "field": field, "message": response.json()["details"][0]["message"]}
    ]


def test_events_export_as_streamed_csv(client, read_key, traffic):
    response = get(client, read_key, "/api/v1/export/events.csv?model=gpt-4o")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 5
    assert {r["model"] for r in rows} == {"gpt-4o"}
    assert "received_at" in rows[0] and rows[0]["tags"] == "{}"


@pytest.mark.parametrize("url", READ_URLS)
def test_an_ingest_only_key_may_not_read(client, ingest_key, url):
    response = get(client, ingest_key, url)
    assert response.status_code == 403 and response.json()["error"] == "forbidden"


@pytest.mark.parametrize("url", READ_URLS)
def test_read_endpoints_need_a_key(client, url):
    assert client.get(url).status_code == 401


def test_a_key_of_another_project_never_sees_these_events(
    client, traffic, other_project, make_api_key
):
    other_key = make_api_key(other_project, scopes=("read",))
    assert get(client, other_key, "/api/v1/metrics/summary?window=30d").json()["requests"] == 0
    assert get(client, other_key, "/api/v1/events").json()["results"] == []
    series = get(client, other_key, "/api/v1/metrics/timeseries?metric=requests&interval=1h").json()
    assert sum(p["v"] for p in series["points"]) == 0
    text = b"".join(get(client, other_key, "/api/v1/export/events.csv").streaming_content)
    assert text.decode().count("\n") == 1  # the header only


MEMBER_URLS = [
    "/o/acme/p/web/api/metrics/summary?window=1h",
    "/o/acme/p/web/api/metrics/timeseries?metric=requests&interval=1h",
    "/o/acme/p/web/api/events",
    "/o/acme/p/web/api/export/events.csv",
]


@pytest.mark.parametrize("url", MEMBER_URLS)
def test_members_read_the_same_endpoints_with_their_session(client_for, viewer, traffic, url):
    response = client_for(viewer).get(url)
    assert response.status_code == 200


def test_the_member_summary_has_the_same_shape(client_for, member, client, read_key, traffic):
    by_key = get(client, read_key, "/api/v1/metrics/summary?window=1h").json()
    by_session = client_for(member).get(MEMBER_URLS[0]).json()
    assert by_session.keys() == by_key.keys()
    assert by_session["requests"] == by_key["requests"] == 7


@pytest.mark.parametrize("url", MEMBER_URLS)
def test_other_organizations_get_404(client_for, outsider, other_project, traffic, url):
    assert_cross_tenant_404(client_for(outsider), url)


def test_an_unknown_project_of_ones_own_organization_is_404(client_for, member):
    assert client_for(member).get("/o/acme/p/nope/api/events").status_code == 404


def test_anonymous_visitors_are_refused(client):
    assert client.get(MEMBER_URLS[0]).status_code in (401, 403)


def test_a_cursor_of_the_former_format_is_refused_with_400(client, read_key, traffic):
    import base64

    newest = Event.objects.order_by("-timestamp", "-pk").first()
    former = base64.urlsafe_b64encode(f"{newest.timestamp.isoformat()}|{newest.pk}".encode())
    response = get(client, read_key, f"/api/v1/events?cursor={former.decode().rstrip('=')}")
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "validation_error"
    assert [d["field"] for d in body["details"]] == ["cursor"]


def test_the_events_csv_answers_a_client_asking_for_csv(client, read_key, traffic):
    response = get(client, read_key, "/api/v1/export/events.csv", HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode()
    assert len(list(csv.DictReader(io.StringIO(text)))) == 8
    # A bad filter is still the JSON error of API.md, labelled as JSON.
    response = get(client, read_key, "/api/v1/export/events.csv?status=x", HTTP_ACCEPT="text/csv")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["details"][0]["field"] == "status"
