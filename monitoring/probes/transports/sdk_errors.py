"""Error classification shared by the transports built on the official SDKs.

`openai` and `anthropic` are generated from the same template, so their exception trees have
the same shape: `APIStatusError` (with `status_code`), `APITimeoutError` (a subclass of
`APIConnectionError`), `APIResponseValidationError`. Errors raised while iterating a stream
can also surface as raw `httpx2` exceptions or JSON decoding errors, which the SDKs do not wrap.
"""

from __future__ import annotations

import json
from types import ModuleType

import httpx2

from .base import ErrorType, error_type_for_status


def classify_sdk_error(exc: Exception, sdk: ModuleType) -> tuple[str, str, int | None]:
    """(error_type, message, http_status) for an exception raised by `sdk` or its transport."""
    if isinstance(exc, sdk.APIStatusError):
        status = exc.status_code
        return error_type_for_status(status), _status_message(exc), status
    if isinstance(exc, sdk.APITimeoutError | httpx2.TimeoutException):
        return ErrorType.TIMEOUT, "request timed out", None
    if isinstance(exc, sdk.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, httpx2.TimeoutException):
            return ErrorType.TIMEOUT, "request timed out", None
        detail = str(cause) if cause else str(exc)
        return ErrorType.CONNECTION_ERROR, f"connection failed: {detail}", None
    if isinstance(exc, httpx2.DecodingError):
        return ErrorType.BAD_RESPONSE, f"broken response: {exc}", None
    # RemoteProtocolError lands here too: the server hung up mid-answer ("Server disconnected
    # without sending a response", a truncated body), a connection failure, not bad content.
    if isinstance(exc, httpx2.TransportError):
        return ErrorType.CONNECTION_ERROR, f"connection failed: {exc}", None
    if isinstance(exc, sdk.APIResponseValidationError | json.JSONDecodeError):
        return ErrorType.BAD_RESPONSE, f"malformed response: {exc}", None
    if isinstance(exc, sdk.APIError):
        # An error object inside an otherwise 200 stream: the provider failed mid-answer.
        return ErrorType.SERVER_ERROR, f"provider error: {exc}", None
    # Anything else from parsing (missing fields, wrong types) means the answer was not the
    # protocol we expected; we record it rather than crash the worker.
    return ErrorType.BAD_RESPONSE, f"unexpected response: {type(exc).__name__}: {exc}", None


def _status_message(exc: Exception) -> str:
    status = getattr(exc, "status_code", "?")
    body = getattr(exc, "body", None)
    detail = ""
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            detail = str(error.get("message") or "")
        elif error:
            detail = str(error)
    return f"HTTP {status}" + (f": {detail}" if detail else "")
