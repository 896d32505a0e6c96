"""Probe transports: one small class per provider kind, and the registry that maps them."""

from __future__ import annotations

from .anthropic_messages import AnthropicMessagesTransport
from .base import (
    STATUS_ERROR,
    STATUS_OK,
    ErrorType,
    ProbeCall,
    ProbeMeasurement,
    Transport,
)
from .ollama_chat import OllamaChatTransport
from .openai_chat import DemoTransport, OpenAIChatTransport, OpenAICompatibleTransport

TRANSPORTS: dict[str, type[Transport]] = {
    cls.kind: cls
    for cls in (
        OpenAIChatTransport,
        AnthropicMessagesTransport,
        OllamaChatTransport,
        OpenAICompatibleTransport,
        DemoTransport,
    )
}


def transport_for(kind: str) -> Transport:
    """The transport instance for a provider kind; KeyError for an unknown kind."""
    return TRANSPORTS[kind]()


__all__ = [
    "STATUS_ERROR",
    "STATUS_OK",
    "TRANSPORTS",
    "ErrorType",
    "ProbeCall",
    "ProbeMeasurement",
    "Transport",
    "transport_for",
]
