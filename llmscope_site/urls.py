"""Root URLs. Apps own their URLs; API paths are absolute (they are the public contract)."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from llmscope_site import errors, health, prometheus

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", prometheus.metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("tenants.urls")),
    path("", include("monitoring.urls")),
    path("", include("monitoring.probes.urls")),
    path("", include("dashboard.urls")),
    path("", include("spc.urls")),
    path("", include("alerts.urls")),
    path("", include("billing.urls")),
]

handler404 = errors.not_found
handler500 = errors.server_error
