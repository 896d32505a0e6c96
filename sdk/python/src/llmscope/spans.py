"""`@llmscope.observe` and `with llmscope.span(...)`: any call as an event, with tags.

Tags of a span also go on every event recorded inside it (an instrumented OpenAI call made
within `span("answer", tags={"tenant": "acme"})` carries `tenant=acme`).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar, overload

from . import measure
from .client import current_tags

F = TypeVar("F", bound=Callable[..., Any])
OPERATIONS = ("chat", "completion", "embedding", "other")


class Span:
    """A measured block of code; becomes one event when it ends.

    Inside the block: `set(input_tokens=..., output_tokens=..., ...)` adds event fields,
    `tag(key=value)` adds tags, `first_token()` marks the time to first token.
    """

    def __init__(
        self,
        name: str,
        *,
        model: str | None = None,
        provider: str | None = None,
        operation: str = "other",
        tags: dict[str, Any] | None = None,
    ) -> None:
        if operation not in OPERATIONS:
            raise ValueError(f"operation must be one of {', '.join(OPERATIONS)}")
        self.name = name
        self.fields: dict[str, Any] = {"model": model or name, "operation": operation}
        if provider:
            self.fields["provider"] = provider
        self.tags = {str(k): str(v) for k, v in (tags or {}).items()}
        self._measurement: measure.Measurement | None = None
        self._token: Any = None

    def set(self, **fields: Any) -> Span:
        """Add event fields (input_tokens, output_tokens, cost_usd, http_status, ...)."""
        self.fields.update(fields)
        return self

    def tag(self, **tags: Any) -> Span:
        self.tags.update({k: str(v) for k, v in tags.items()})
        return self

    def first_token(self) -> None:
        if self._measurement is not None:
            self._measurement.first_token()

    def __enter__(self) -> Span:
        outer = current_tags.get()
        if self.tags:
            self._token = current_tags.set({**outer, **self.tags} if outer else dict(self.tags))
        self._measurement = measure.start({})
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if self._token is not None:
            current_tags.reset(self._token)
            self._token = None
        m = self._measurement
        if m is not None:
            m.fields.update(self.fields)
            if self.tags:
                m.fields["tags"] = dict(self.tags)
            m.finish(exc)
        # Returning None: an exception inside the block goes on, unchanged.

    async def __aenter__(self) -> Span:
        return self.__enter__()

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self.__exit__(exc_type, exc, tb)


def span(
    name: str,
    *,
    model: str | None = None,
    provider: str | None = None,
    operation: str = "other",
    tags: dict[str, Any] | None = None,
) -> Span:
    """Measure a block: `with llmscope.span("rerank", model="bge-reranker") as s: ...`.

    The event's model is `model`, or the span's name when none is given.
    """
    return Span(name, model=model, provider=provider, operation=operation, tags=tags)


@overload
def observe(function: F) -> F: ...
@overload
def observe(
    function: None = None,
    *,
    name: str | None = None,
    model: str | None = None,
    provider: str | None = None,
    operation: str = "other",
    tags: dict[str, Any] | None = None,
) -> Callable[[F], F]: ...


def observe(
    function: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    model: str | None = None,
    provider: str | None = None,
    operation: str = "other",
    tags: dict[str, Any] | None = None,
) -> Any:
    """Decorator: each call of the function (sync or async) becomes an event.

    `@llmscope.observe` or `@llmscope.observe(model="my-llm", provider="vllm", tags={...})`;
    the model defaults to the function's qualified name. Return values and exceptions pass
    through unchanged.
    """
    if operation not in OPERATIONS:
        raise ValueError(f"operation must be one of {', '.join(OPERATIONS)}")

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        label = name or func.__qualname__

        def new_span() -> Span:
            return Span(label, model=model, provider=provider, operation=operation, tags=tags)

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with new_span():
                    return await func(*args, **kwargs)

            return async_wrapper

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with new_span():
                return func(*args, **kwargs)

        return wrapper

    return decorate(function) if function is not None else decorate
