"""LLMscope site: settings, root URLs, ASGI application, Celery app."""

from llmscope_site.celery import app as celery_app

__all__ = ["celery_app"]
