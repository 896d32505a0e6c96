"""WebSocket URL routes, collected from the apps that serve sockets."""

from django.urls import path, re_path

from dashboard.consumers import ProjectDashboardConsumer
from tenants.consumers import OrganizationEventsConsumer, UnknownPathConsumer

websocket_urlpatterns = [
    path("ws/o/<slug:org_slug>/", OrganizationEventsConsumer.as_asgi()),
    path("ws/o/<slug:org_slug>/p/<slug:project_slug>/", ProjectDashboardConsumer.as_asgi()),
    # Last: any other path is refused cleanly instead of raising "No route found".
    re_path(r"", UnknownPathConsumer.as_asgi()),
]
