"""Wrapping a client method so that each call becomes an event, streams included.

The wrapper returns what the method returned, the same object: for a stream, the client's own
stream object, whose item iterator is replaced by one that watches the items go by (the
first one that carries output sets TTFT; the last one, or the end of the stream, sets the
latency). Exceptions are recorded and re-raised as they are.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from .. import measure
from ..measure import Measurement, safely

# Set by the clients' `.with_raw_response` / `.with_streaming_response` views: the method
# then returns an HTTP response wrapper, not the parsed answer; those calls pass untouched.
RAW_RESPONSE_HEADER = "X-Stainless-Raw-Response"

OnStart = Callable[[Measurement, dict[str, Any]], None]
OnResult = Callable[[Measurement, Any], None]


def wrap_method(
    method: Callable[..., Any],
    *,
    provider: str,
    operation: str,
    tags: dict[str, str] | None,
    on_start: OnStart | None,
    on_response: OnResult,
    on_chunk: OnResult | None,
) -> Callable[..., Any]:
    """A drop-in replacement for a bound `create` method, sync or async."""

    def begin(kwargs: dict[str, Any]) -> Measurement | None:
        headers = kwargs.get("extra_headers")
        if headers and RAW_RESPONSE_HEADER in headers:
            return None
        m = measure.start(
            {"provider": provider, "model": str(kwargs.get("model") or ""), "operation": operation}
        )
        if m is not None:
            if tags:
                m.fields["tags"] = dict(tags)
            if on_start is not None and m.client.config.capture_content:
                safely(on_start, m, kwargs)
        return m

    async def finish_async(pending: Any, m: Measurement, stream: bool) -> Any:
        try:
            result = await pending
        except BaseException as exc:
            m.finish(exc)
            raise
        if stream and on_chunk is not None:
            return observe_async_stream(result, m, on_chunk)
        safely(on_response, m, result)
        m.finish()
        return result

    # The clients' async methods sit under sync decorators: look through them.
    if inspect.iscoroutinefunction(inspect.unwrap(method)):

        @functools.wraps(method)
        async def acreate(*args: Any, **kwargs: Any) -> Any:
            m = begin(kwargs)
            if m is None:
                return await method(*args, **kwargs)
            return await finish_async(method(*args, **kwargs), m, kwargs.get("stream") is True)

        acreate.__llmscope_wrapped__ = method  # type: ignore[attr-defined]
        return acreate

    @functools.wraps(method)
    def create(*args: Any, **kwargs: Any) -> Any:
        m = begin(kwargs)
        if m is None:
            return method(*args, **kwargs)
        try:
            result = method(*args, **kwargs)
        except BaseException as exc:
            m.finish(exc)
            raise
        if inspect.iscoroutine(result):  # async after all: measure until it is awaited
            return finish_async(result, m, kwargs.get("stream") is True)
        if kwargs.get("stream") is True and on_chunk is not None:
            return observe_stream(result, m, on_chunk)
        safely(on_response, m, result)
        m.finish()
        return result

    create.__llmscope_wrapped__ = method  # type: ignore[attr-defined]
    return create


def patch(resource: Any, name: str, **options: Any) -> bool:
    """Replace `resource.<name>` on this instance only; False if absent or already done."""
    method = getattr(resource, name, None) if resource is not None else None
    if method is None or hasattr(method, "__llmscope_wrapped__"):
        return False
    setattr(resource, name, wrap_method(method, **options))
    return True


def iterator_owner(stream: Any) -> Any:
    """The client's own stream object inside `stream`, which may be another library's wrapper
    around it (OpenTelemetry's instrumentation wraps it in a `.stream` attribute); None if
    the stream is of a shape we do not know."""
    obj = stream
    for _ in range(4):
        if any("_iterator" in vars(k) for k in type(obj).__mro__) or "_iterator" in getattr(
            obj, "__dict__", {}
        ):
            return obj
        inner = getattr(obj, "__dict__", {}).get("stream") or getattr(obj, "__wrapped__", None)
        if inner is None:
            return None
        obj = inner
    return None


def observe_stream(stream: Any, m: Measurement, on_chunk: OnResult) -> Any:
    """Watch a sync stream's items; returns the same stream object."""
    owner = iterator_owner(stream)
    if owner is None:
        m.finish()  # a stream of a shape we do not know: latency to the first byte only
        return stream
    inner = owner._iterator

    def watched() -> Iterator[Any]:
        last: float | None = None
        error: BaseException | None = None
        try:
            for item in inner:
                safely(on_chunk, m, item)
                last = time.perf_counter()
                yield item
        except GeneratorExit:
            # Closed before its end: the answer ended, for the caller, at the last item read.
            m.finish(end=last)
            raise
        except BaseException as exc:
            error = exc
            raise
        finally:
            m.finish(error)

    owner._iterator = watched()
    return stream


def observe_async_stream(stream: Any, m: Measurement, on_chunk: OnResult) -> Any:
    """Watch an async stream's items; returns the same stream object."""
    owner = iterator_owner(stream)
    if owner is None:
        m.finish()
        return stream
    inner = owner._iterator

    async def watched() -> AsyncIterator[Any]:
        last: float | None = None
        error: BaseException | None = None
        try:
            async for item in inner:
                safely(on_chunk, m, item)
                last = time.perf_counter()
                yield item
        except GeneratorExit:
            m.finish(end=last)
            raise
        except BaseException as exc:
            error = exc
            raise
        finally:
            m.finish(error)

    owner._iterator = watched()
    return stream


def int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def set_ints(event: dict[str, Any], **values: Any) -> None:
    """Set the token fields that are real non-negative integers."""
    for field, value in values.items():
        number = int_or_none(value)
        if number is not None:
            event[field] = number
