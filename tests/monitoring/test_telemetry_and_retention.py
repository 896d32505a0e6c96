"""POST /api/v1/telemetry, and the retention task."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitoring.models import Event, EventRollup, EventRollupBucket, HostSample
from monitoring.retention import purge_expired
from monitoring.tasks import purge_expired_data
from tests.monitoring.conftest import auth, event

pytestmark = pytest.mark.django_db


def post_telemetry(client, key, body):
    return client.post("/api/v1/telemetry", data=body, content_type="application/json", **auth(key))


def test_host_samples_are_stored(client, ingest_key, project):
    stamp = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    body = {
        "host": "gpu-node-1",
        "samples": [
            {"timestamp": stamp.isoformat(), "cpu_percent": 55.5, "gpu_temperature_c": 71},
            {"memory_percent": 80, "gpu_percent": 99.9, "gpu_memory_percent": 12},
        ],
    }
    response = post_telemetry(client, ingest_key, body)
    assert response.status_code == 202 and response.json() == {"accepted": 2}
    first = HostSample.objects.get(project=project, cpu_percent=55.5)
    assert first.host == "gpu-node-1" and first.gpu_temperature_c == 71
    assert first.timestamp == stamp


@pytest.mark.parametrize(
    ("body", "index", "field"),
    [
        ({"samples": [{}]}, None, "host"),
        ({"host": "", "samples": [{}]}, None, "host"),
        ({"host": "h", "samples": []}, None, "samples"),
        ({"host": "h", "samples": [{}] * 1001}, None, "samples"),
        ({"host": "h", "samples": [{}, {"cpu_percent": 101}]}, 1, "cpu_percent"),
        ({"host": "h", "samples": [{"memory_percent": -1}]}, 0, "memory_percent"),
        ({"host": "h", "samples": [{"gpu_percent": "high"}]}, 0, "gpu_percent"),
        ({"host": "h", "samples": [{"gpu_temperature_c": 500}]}, 0, "gpu_temperature_c"),
        ({"host": "h", "samples": [{"timestamp": "noon"}]}, 0, "timestamp"),
        ({"host": "h", "samples": ["x"]}, 0, None),
    ],
)
def test_bad_samples_are_refused_with_details(client, ingest_key, body, index, field):
    response = post_telemetry(client, ingest_key, body)
    assert response.status_code == 400
    detail = response.json()["details"][0]
    assert (detail["index"], detail["field"]) == (index, field)
    assert not HostSample.objects.exists()


def test_telemetry_needs_the_ingest_scope(client, read_key):
    response = post_telemetry(client, read_key, {"host": "h", "samples": [{}]})
    assert response.status_code == 403


def test_telemetry_refuses_other_content_types(client, ingest_key):
    response = client.post(
        "/api/v1/telemetry", data="host=h", content_type="text/plain", **auth(ingest_key)
    )
    assert response.status_code == 415


def test_retention_deletes_only_what_is_past_each_projects_retention(
    send, ingest_key, project, other_project, make_api_key
):
    now = datetime.now(UTC)
    project.retention_days = 60  # ingest takes events within the retention of the day...
    project.save()
    other_project.retention_days = 90
    other_project.save()
    other_key = make_api_key(other_project, scopes=("ingest",))
    old, recent = (now - timedelta(days=45)).isoformat(), (now - timedelta(days=5)).isoformat()
    send(ingest_key, [event(timestamp=old)] * 3 + [event(timestamp=recent)])
    send(other_key, [event(timestamp=old), event(timestamp=recent)])
    project.retention_days = 30  # ...and a shorter retention later purges what it no longer keeps
    project.save()
    HostSample.objects.create(
        organization=project.organization,
        project=project,
        host="h",
        timestamp=now - timedelta(days=40),
    )
    report = purge_expired(now=now, batch_size=2)  # several batches
    assert report.events == 3 and report.host_samples == 1
    assert Event.objects.for_project(project).count() == 1
    assert Event.objects.for_project(other_project).count() == 2
    minutes = EventRollup.objects.filter(project=project).values("minute").distinct()
    assert minutes.count() == 2  # rollups outlive events


def test_rollups_older_than_a_year_are_deleted(send, ingest_key, project):
    now = datetime.now(UTC)
    project.retention_days = 400
    project.save()
    send(ingest_key, [event(timestamp=(now - timedelta(days=366)).isoformat()), event()])
    project.retention_days = 30
    project.save()
    result = purge_expired_data()  # the Celery task, run directly
    assert result["events"] == 1
    assert EventRollup.objects.values("minute").distinct().count() == 1
    assert EventRollupBucket.objects.values("minute").distinct().count() == 1


def test_the_retention_task_is_scheduled_daily():
    from datetime import timedelta as td

    from django.conf import settings

    from llmscope_site.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["purge-expired-monitoring-data"]
    assert entry["schedule"] == td(days=1)
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks


def test_a_host_name_with_a_nul_character_is_refused(client, ingest_key):
    response = post_telemetry(client, ingest_key, {"host": "a\u0000b", "samples": [{}]})
    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "host"
