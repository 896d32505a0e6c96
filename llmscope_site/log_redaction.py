"""Secrets that travel in URL paths never reach the logs.

An invitation link carries its token in the path (`/invitations/<token>/`), and a path is
what access logs and Django's 4xx warnings print. This filter rewrites such paths to
`/invitations/[redacted]/` in every record of the loggers that print request paths: the
ASGI server's access log and `django.request`.
"""

from __future__ import annotations

import logging
import re

SECRET_PATHS = re.compile(r"((?:/|%2F)invitations(?:/|%2F))[^/?#&\s\"%]+", re.IGNORECASE)
REDACTED = r"\1[redacted]"
# uvicorn's access log, Django's request warnings, and the development server's log.
PATH_LOGGERS = ("uvicorn.access", "django.request", "django.server")


def redact(text: str) -> str:
    """`text` with every secret path segment replaced."""
    return SECRET_PATHS.sub(REDACTED, text)


class RedactSecretPaths(logging.Filter):
    """Rewrites the message and the arguments of a record; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _redacted(v) for k, v in record.args.items()}
        return True


def _redacted(value):
    return redact(value) if isinstance(value, str) else value


def install() -> None:
    """Attach the filter to every logger that prints request paths (idempotent)."""
    for name in PATH_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecretPaths) for f in logger.filters):
            logger.addFilter(RedactSecretPaths())
