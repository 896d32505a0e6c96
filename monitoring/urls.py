"""Ingestion and read API URLs (absolute paths: they are the public contract)."""

urlpatterns: list = []
