"""Keyset pagination, newest first, with one cursor format for every list of the product.

Lists of events and violations grow at the head while a client pages through them; an offset
would skip or repeat rows. A page instead ends at a (time, id) key and the next one starts
strictly after it, so concurrent inserts never shift a page. The cursor is that key, opaque
to clients: URL-safe base64 of the JSON `["<ISO 8601 time>", <id>]`, without padding.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Model, Q, QuerySet


class BadCursor(ValueError):
    """Not a cursor this server hands out (mangled, or from an older format)."""

    def __init__(self) -> None:
        super().__init__("not a cursor returned by this endpoint; use the `next` of a page")


def encode_cursor(moment: datetime, pk: int) -> str:
    """The cursor of the (time, id) key a page ended at."""
    raw = json.dumps([moment.isoformat(), pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (time, id) key of a cursor; raises BadCursor for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, pk = json.loads(raw)
        parsed = datetime.fromisoformat(moment)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadCursor() from None
    if parsed.tzinfo is None or not isinstance(pk, int) or isinstance(pk, bool):
        raise BadCursor()
    return parsed, pk


@dataclass(frozen=True)
class Page:
    """One page of a list: its objects, and the cursor of the next page (None at the end)."""

    items: list[Any]
    next: str | None


def newest_first(qs: QuerySet, time_field: str) -> QuerySet:
    """`qs` in the order keyset pages follow: newest first, ties by descending id."""
    return qs.order_by(f"-{time_field}", "-pk")


def keyset_page(qs: QuerySet, time_field: str, limit: int, cursor: str | None = None) -> Page:
    """The page of `qs` (already filtered and scoped) after `cursor`, newest first.

    Raises BadCursor for a cursor this module did not make.
    """
    qs = newest_first(qs, time_field)
    if cursor:
        moment, pk = decode_cursor(cursor)
        qs = qs.filter(Q(**{f"{time_field}__lt": moment}) | Q(**{time_field: moment, "pk__lt": pk}))
    items = list(qs[: limit + 1])
    if len(items) <= limit:
        return Page(items, None)
    items = items[:limit]
    last: Model = items[-1]
    return Page(items, encode_cursor(getattr(last, time_field), last.pk))


def iter_pages(qs: QuerySet, time_field: str, size: int) -> Iterator[list[Any]]:
    """Every object of `qs`, newest first, one keyset page of `size` at a time (exports):
    memory stays flat and each query stays cheap however many rows match."""
    cursor = None
    while True:
        page = keyset_page(qs, time_field, size, cursor)
        if page.items:
            yield page.items
        if page.next is None:
            return
        cursor = page.next
