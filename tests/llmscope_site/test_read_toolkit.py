"""The read toolkit every list and export uses: keyset cursors and streamed CSV."""

from __future__ import annotations

import asyncio
import base64
import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.test import AsyncRequestFactory, RequestFactory

from llmscope_site.csv_export import csv_response, csv_text
from llmscope_site.pagination import (
    BadCursor,
    decode_cursor,
    encode_cursor,
    iter_pages,
    keyset_page,
)
from monitoring.models import Event

NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_a_cursor_gives_back_its_key():
    assert decode_cursor(encode_cursor(NOON, 42)) == (NOON, 42)
    later = NOON + timedelta(microseconds=123)
    assert decode_cursor(encode_cursor(later, 7)) == (later, 7)


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        "!!!",
        _b64(f"{NOON.isoformat()}|42"),  # the events list's former format
        _b64('["2026-03-01T12:00:00", 42]'),  # no timezone
        _b64(f'["{NOON.isoformat()}", true]'),
        _b64(f'["{NOON.isoformat()}", "42"]'),
        _b64('{"t": 1}'),
        _b64("[1, 2, 3]"),
        "",
    ],
)
def test_anything_else_is_a_bad_cursor(cursor):
    with pytest.raises(BadCursor, match="not a cursor returned by this endpoint"):
        decode_cursor(cursor)


def _events(project, moments: list[datetime]) -> list[Event]:
    return Event.objects.bulk_create(
        Event(
            organization=project.organization,
            project=project,
            model="m",
            latency_ms=float(i),
            timestamp=moment,
        )
        for i, moment in enumerate(moments)
    )


@pytest.mark.django_db
def test_pages_follow_each_other_without_gap_or_repeat_even_on_equal_times(project):
    # Seven events share one timestamp: the id breaks the tie, so no page boundary loses one.
    moments = [NOON] * 7 + [NOON - timedelta(seconds=s) for s in (1, 2, 3)]
    _events(project, [*moments, NOON + timedelta(seconds=1)])
    qs = Event.objects.for_project(project).filter(timestamp__lte=NOON)

    seen, cursor, pages = [], None, 0
    while True:
        page = keyset_page(qs, "timestamp", 3, cursor)
        seen += page.items
        pages += 1
        if page.next is None:
            break
        cursor = page.next
        assert pages < 10

    assert pages == 4 and len(seen) == 10
    assert len({e.pk for e in seen}) == 10
    keys = [(e.timestamp, e.pk) for e in seen]
    assert keys == sorted(keys, reverse=True)
    # A page inserted meanwhile at the head does not shift what the cursor points at.
    _events(project, [NOON])
    assert keyset_page(qs, "timestamp", 3, cursor).items == seen[9:]
    assert [e.pk for page in iter_pages(qs, "timestamp", 4) for e in page][1:] == [
        e.pk for e in seen
    ]


def test_csv_text_quotes_and_leaves_none_empty():
    text = csv_text([["a,b", None, 'say "hi"', 3]])
    assert text == '"a,b",,"say ""hi""",3\r\n'


def _pages():
    yield [[1, "one"], [2, None]]
    yield []
    yield [[3, "three, four"]]


async def _read_async(response) -> bytes:
    return b"".join([chunk async for chunk in response.streaming_content])


def test_a_csv_download_streams_the_same_bytes_under_wsgi_and_asgi():
    wsgi = csv_response(RequestFactory().get("/x"), "n.csv", ("n", "name"), _pages)
    asgi = csv_response(AsyncRequestFactory().get("/x"), "n.csv", ("n", "name"), _pages)

    assert not wsgi.is_async and asgi.is_async
    sync_body = b"".join(wsgi.streaming_content)
    assert asyncio.run(_read_async(asgi)) == sync_body
    assert list(csv.reader(io.StringIO(sync_body.decode()))) == [
        ["n", "name"],
        ["1", "one"],
        ["2", ""],
        ["3", "three, four"],
    ]
    assert wsgi["Content-Disposition"] == 'attachment; filename="n.csv"'
    assert wsgi["Content-Type"] == "text/csv; charset=utf-8"
