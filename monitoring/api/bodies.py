"""Reading request bodies with the API's limits: content type, gzip, size after decompression."""

from __future__ import annotations

import zlib

from django.conf import settings
from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.request import Request

from llmscope_site.api_errors import InvalidJSON, PayloadTooLarge

_IDENTITY = {"", "identity"}
_GZIP = {"gzip", "x-gzip"}


def media_type(request: Request) -> str:
    """The request's media type, lower-cased, without parameters."""
    return request.META.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()


def read_body(request: Request, accepted_types: tuple[str, ...]) -> tuple[bytes, str]:
    """The uncompressed body and its media type, or the API's 413 / 415 / 400 errors."""
    kind = media_type(request)
    if kind not in accepted_types:
        raise UnsupportedMediaType(
            kind or "(none)",
            detail=f"Content-Type must be {' or '.join(accepted_types)} (got “{kind or 'none'}”).",
        )
    encoding = request.META.get("HTTP_CONTENT_ENCODING", "").strip().lower()
    if encoding not in _IDENTITY | _GZIP:
        raise UnsupportedMediaType(
            encoding, detail=f"Content-Encoding must be gzip or absent (got “{encoding}”)."
        )
    limit = settings.LLMSCOPE_MAX_BODY_BYTES
    # Read from the stream, not `request.body`, so an oversized body is a 413 and not
    # Django's RequestDataTooBig, and at most one byte over the limit is held in memory.
    raw = request._request.read(limit + 1)
    if len(raw) > limit:
        raise PayloadTooLarge(f"The body is over the limit of {limit} bytes.")
    if encoding in _GZIP:
        raw = _gunzip(raw, limit)
    return raw, kind


def _gunzip(data: bytes, limit: int) -> bytes:
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = decompressor.decompress(data, limit + 1)
    except zlib.error:
        raise InvalidJSON("The body is declared gzip but is not valid gzip data.") from None
    if len(out) > limit:
        raise PayloadTooLarge(f"The body is over the limit of {limit} bytes after decompression.")
    if not decompressor.eof:
        raise InvalidJSON("The gzip body is truncated.")
    return out
