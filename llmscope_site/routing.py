"""WebSocket URL routes, collected from the apps that serve sockets."""

from django.urls import path

from tenants.consumers import OrganizationEventsConsumer

websocket_urlpatterns = [
    path("ws/o/<slug:org_slug>/", OrganizationEventsConsumer.as_asgi()),
]
