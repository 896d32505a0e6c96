"""LLMscope for Python: every LLM call of an application as an event in LLMscope.

    import llmscope
    llmscope.init()                                  # LLMSCOPE_API_KEY, LLMSCOPE_URL
    client = llmscope.instrument_openai(OpenAI())    # or instrument_anthropic(Anthropic())

Events are sent in the background; the SDK never raises into the application and never makes
a call wait on the network.
"""

from .client import __version__, flush, get_client, init, shutdown
from .integrations.anthropic import instrument_anthropic
from .integrations.openai import instrument_openai
from .spans import Span, observe, span

__all__ = [
    "Span",
    "__version__",
    "flush",
    "get_client",
    "init",
    "instrument_anthropic",
    "instrument_openai",
    "observe",
    "shutdown",
    "span",
]
