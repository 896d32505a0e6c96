"""Probe pages and the demo LLM."""

urlpatterns: list = []
