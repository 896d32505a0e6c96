"""Instrumentation of LLM client libraries (used through `llmscope.instrument_*`)."""
