"""Streaming CSV exports: a header row, then the rows page by page, never the whole file.

Every export of the product (events, violations; API and pages) answers through
`csv_response`. A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
gets a leading `'` so that a spreadsheet opens it as text, never runs it as a formula (the
OWASP rule against CSV injection); numbers are written as they are, so a negative value
stays a number. Rows come in pages (keyset pages, llmscope_site/pagination.py) so memory
stays flat however many rows match. Under ASGI the body is an async iterator that fetches
each page in Django's sync thread: a sync iterator would be buffered whole by Django.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, StreamingHttpResponse

CsvRow = Sequence[Any]
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value, with a leading `'` when it is text a spreadsheet would read as a formula;
    None as an empty field."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_text(rows: Iterable[CsvRow]) -> str:
    """Rows as CSV text (RFC 4180 quoting, CRLF line ends), every cell through `safe_cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return buffer.getvalue()


def csv_response(
    request: HttpRequest,
    filename: str,
    header: CsvRow,
    pages: Callable[[], Iterator[Iterable[CsvRow]]],
    content_type: str = "text/csv; charset=utf-8",
) -> StreamingHttpResponse:
    """A streamed CSV download: `header`, then every page `pages()` yields, in order
    (`request`: Django's or DRF's).

    `pages` is called when the body starts streaming; each page (one database query, say)
    is fetched only when the previous one was sent.
    """
    django_request = getattr(request, "_request", request)  # a DRF Request wraps Django's
    if isinstance(django_request, ASGIRequest):
        body: Iterator[str] | AsyncIterator[str] = _async_chunks(header, pages)
    else:
        body = _sync_chunks(header, pages)
    response = StreamingHttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _sync_chunks(header: CsvRow, pages: Callable[[], Iterator[Iterable[CsvRow]]]):
    yield csv_text([header])
    for page in pages():
        yield csv_text(page)


_END = object()


async def _async_chunks(header: CsvRow, pages: Callable[[], Iterator[Iterable[CsvRow]]]):
    yield csv_text([header])
    iterator = await sync_to_async(pages)()

    def next_chunk() -> Any:
        page = next(iterator, _END)
        return page if page is _END else csv_text(page)

    while (chunk := await sync_to_async(next_chunk)()) is not _END:
        yield chunk


class CsvExportMixin:
    """For DRF views whose answer is a CSV download: a client may ask for `text/csv` (or any
    type) and gets the CSV; an error before the download starts is still the JSON of API.md,
    served as application/json whatever the `Accept` header said."""

    def perform_content_negotiation(self, request, force: bool = False):
        # Forced: with nothing acceptable, DRF falls back to the first (JSON) renderer instead
        # of refusing with 406 — the CSV itself does not go through a renderer.
        return super().perform_content_negotiation(request, force=True)
