"""Prometheus metrics: the registry the `/metrics` endpoint exposes, and request counting.

Each process keeps its own counters (scrape each web and worker process, or run the web
server as one process per container, as compose/ does).
"""

from __future__ import annotations

import ipaddress
import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

HTTP_REQUESTS = Counter(
    "llmscope_http_requests_total", "HTTP requests answered", ["method", "status"]
)
HTTP_LATENCY = Histogram(
    "llmscope_http_request_duration_seconds",
    "Time to answer an HTTP request",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TASK_FAILURES = Counter("llmscope_task_failures_total", "Celery tasks that raised", ["task"])


class RequestMetricsMiddleware:
    """Counts every answered request by method and status, and times it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        HTTP_LATENCY.observe(time.perf_counter() - started)
        HTTP_REQUESTS.labels(request.method, str(response.status_code)).inc()
        return response


def scrape_allowed(request: HttpRequest) -> bool:
    """A scrape needs `Authorization: Bearer <LLMSCOPE_METRICS_TOKEN>` or a client address in
    `LLMSCOPE_METRICS_ALLOWED_NETWORKS`; with neither configured, nobody may scrape."""
    token = settings.LLMSCOPE_METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, presented = header.partition(" ")
    if token and scheme.lower() == "bearer" and constant_time_compare(presented.strip(), token):
        return True
    try:
        client = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(
        client in ipaddress.ip_network(network, strict=False)
        for network in settings.LLMSCOPE_METRICS_ALLOWED_NETWORKS
    )


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text exposition of this process's metrics, for allowed scrapers only."""
    if not scrape_allowed(request):
        response = HttpResponse(
            "A bearer token is required.\n", status=401, content_type="text/plain"
        )
        response["WWW-Authenticate"] = 'Bearer realm="llmscope-metrics"'
        return response
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)
