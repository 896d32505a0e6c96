"""The Django admin behind two settings: off entirely, or only from some networks.

A refused request gets the site's plain 404, so the admin's existence does not show.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse

ADMIN_PREFIX = "/admin/"


def admin_reachable(request: HttpRequest) -> bool:
    """True when the admin is on and the client's address is in the allowed networks."""
    if not settings.LLMSCOPE_ADMIN_ENABLED:
        return False
    networks = settings.LLMSCOPE_ADMIN_ALLOWED_NETWORKS
    if not networks:
        return True
    try:
        client = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(client in ipaddress.ip_network(n, strict=False) for n in networks)


class AdminGateMiddleware:
    """Answers 404 for every /admin/ path the settings close."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(ADMIN_PREFIX) and not admin_reachable(request):
            raise Http404
        return self.get_response(request)
