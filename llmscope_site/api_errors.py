"""Every API error in the shape of API.md: {"error", "message", "details"}."""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response


class InvalidJSON(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_json"
    default_detail = "The request body is not valid JSON."


class ApiValidationError(exceptions.APIException):
    """400 validation_error with per-item details: [{"index", "field", "message"}]."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "validation_error"
    default_detail = "The request failed validation."

    def __init__(self, details: list[dict[str, Any]], message: str | None = None) -> None:
        count = len(details)
        default = f"{count} problem{'s' if count != 1 else ''} found; nothing was stored."
        super().__init__(message or default)
        self.details = details


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"
    default_detail = "The request body is over the limit."


class RateLimited(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "rate_limited"
    default_detail = "Too many requests for this API key; retry later."

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


class QuotaExceeded(RateLimited):
    default_code = "quota_exceeded"
    default_detail = "The organization's plan quota is used up for this period."


# DRF's own exceptions, mapped to the codes API.md names.
_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.ParseError: "invalid_json",
    exceptions.ValidationError: "validation_error",
    exceptions.NotAuthenticated: "unauthorized",
    exceptions.AuthenticationFailed: "unauthorized",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "rate_limited",
}


def error_body(code: str, message: str, details: list | None = None) -> dict[str, Any]:
    """The one error shape of the API."""
    return {"error": code, "message": message, "details": details or []}


def error_response(code: str, message: str, status_code: int, details: list | None = None):
    """A plain Django JSON error response, for code outside DRF views (404 handler, OTLP)."""
    return JsonResponse(error_body(code, message, details), status=status_code)


def _flatten_drf_details(detail: Any, field: str = "") -> list[dict[str, Any]]:
    if isinstance(detail, dict):
        out: list[dict[str, Any]] = []
        for key, value in detail.items():
            name = f"{field}.{key}" if field else str(key)
            out.extend(_flatten_drf_details(value, "" if key == "non_field_errors" else name))
        return out
    if isinstance(detail, list):
        out = []
        for item in detail:
            out.extend(_flatten_drf_details(item, field))
        return out
    return [{"field": field, "message": str(detail)}]


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler producing the API.md error shape for every error."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a real bug: let Django's 500 handling log it

    # DRF's own classes get API.md's names; ours already carry them as default_code.
    code = _CODES.get(type(exc)) or str(exc.default_code)

    details: list[dict[str, Any]] = getattr(exc, "details", None) or []
    if isinstance(exc, exceptions.ValidationError):
        details = _flatten_drf_details(exc.detail)
        message = "The request failed validation."
    elif isinstance(exc, exceptions.NotFound):
        message = "Not found."
    else:
        message = str(exc.detail) if not isinstance(exc.detail, list | dict) else exc.default_detail

    response = Response(error_body(code, message, details), status=exc.status_code)
    retry_after = getattr(exc, "retry_after", None) or getattr(exc, "wait", None)
    if exc.status_code == 429 and retry_after:
        response["Retry-After"] = str(max(1, math.ceil(retry_after)))
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        response["WWW-Authenticate"] = auth_header
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        response["WWW-Authenticate"] = 'Bearer realm="llmscope"'
    return response
