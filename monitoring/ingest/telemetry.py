"""Host telemetry (`POST /api/v1/telemetry`): validation and storage of HostSample rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from django.db import transaction
from django.utils import timezone

from monitoring.ingest.schema import (
    NOT_JSON_ERRORS,
    AwareDatetime,
    BatchInvalid,
    FieldError,
    MalformedJSON,
    TimeWindow,
    not_json_message,
)
from monitoring.models import HostSample
from tenants.models import Project

MAX_SAMPLES = 1000
Percent = Annotated[float, msgspec.Meta(ge=0, le=100)]
Celsius = Annotated[float, msgspec.Meta(ge=-100, le=200)]
Host = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]


class SampleIn(msgspec.Struct):
    timestamp: AwareDatetime | None = None
    cpu_percent: Percent | None = None
    memory_percent: Percent | None = None
    gpu_percent: Percent | None = None
    gpu_memory_percent: Percent | None = None
    gpu_temperature_c: Celsius | None = None


class TelemetryIn(msgspec.Struct):
    host: Host
    samples: Annotated[list[SampleIn], msgspec.Meta(min_length=1, max_length=MAX_SAMPLES)]


RULES = {
    "timestamp": "must be an RFC 3339 date-time with a timezone, e.g. 2025-01-31T12:00:00Z",
    "cpu_percent": "must be a number between 0 and 100",
    "memory_percent": "must be a number between 0 and 100",
    "gpu_percent": "must be a number between 0 and 100",
    "gpu_memory_percent": "must be a number between 0 and 100",
    "gpu_temperature_c": "must be a number between -100 and 200",
}
_TYPES = {f.name: f.type for f in msgspec.structs.fields(SampleIn)}


def decode_telemetry(
    body: bytes, now: datetime | None = None, window: TimeWindow | None = None
) -> TelemetryIn:
    """Decode and validate a telemetry body; raise `MalformedJSON` or `BatchInvalid`.

    Sample timestamps must fall inside `window` (by default the last year up to five minutes
    ahead): a year-1 sample would break the nearest-sample lookups of violations.
    """
    window = window or TimeWindow(now or datetime.now(UTC))
    try:
        batch = msgspec.json.decode(body, type=TelemetryIn)
    except msgspec.ValidationError:
        batch = None
    except NOT_JSON_ERRORS as exc:
        raise MalformedJSON(not_json_message(exc)) from None
    if batch is None:
        raise BatchInvalid(_errors(_untyped(body)))
    problems = [
        FieldError(i, "timestamp", problem)
        for i, s in enumerate(batch.samples)
        if s.timestamp is not None and (problem := window.problem(s.timestamp))
    ]
    if "\x00" in batch.host:
        problems.insert(0, FieldError(None, "host", "must not contain NUL characters"))
    if problems:
        raise BatchInvalid(problems)
    return batch


def _untyped(body: bytes) -> Any:
    try:
        return msgspec.json.decode(body)
    except (*NOT_JSON_ERRORS, msgspec.ValidationError) as exc:
        raise MalformedJSON(not_json_message(exc)) from None


def _errors(payload: Any) -> list[FieldError]:
    if not isinstance(payload, dict):
        return [FieldError(None, None, 'The body must be a JSON object: {"host", "samples"}.')]
    errors = []
    host = payload.get("host")
    if not isinstance(host, str) or not 1 <= len(host) <= 255:
        errors.append(
            FieldError(None, "host", "must be a non-empty string of at most 255 characters")
        )
    samples = payload.get("samples")
    if not isinstance(samples, list) or not 1 <= len(samples) <= MAX_SAMPLES:
        errors.append(FieldError(None, "samples", f"must be a list of 1 to {MAX_SAMPLES} samples"))
        return errors
    for index, sample in enumerate(samples):
        if not isinstance(sample, dict):
            errors.append(FieldError(index, None, "must be a JSON object"))
            continue
        for name, field_type in _TYPES.items():
            if name in sample:
                try:
                    msgspec.convert(sample[name], field_type)
                except msgspec.ValidationError:
                    errors.append(FieldError(index, name, RULES[name]))
    return errors


def store_host_samples(project: Project, batch: TelemetryIn) -> int:
    """Store the samples of one host; returns how many."""
    now = timezone.now()
    rows = [
        HostSample(
            organization_id=project.organization_id,
            project=project,
            host=batch.host,
            timestamp=s.timestamp or now,
            received_at=now,
            cpu_percent=s.cpu_percent,
            memory_percent=s.memory_percent,
            gpu_percent=s.gpu_percent,
            gpu_memory_percent=s.gpu_memory_percent,
            gpu_temperature_c=s.gpu_temperature_c,
        )
        for s in batch.samples
    ]
    with transaction.atomic():
        HostSample.objects.bulk_create(rows, batch_size=500)
    return len(rows)
