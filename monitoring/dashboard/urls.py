"""Dashboard URLs (the project and organization homes themselves keep their tenants names)."""

from django.urls import path

from monitoring.dashboard import views

P = "o/<slug:org_slug>/p/<slug:project_slug>/"

urlpatterns = [
    path(P + "dashboard/charts/<int:chart_id>/data/", views.chart_data, name="dashboard-chart"),
    path(P + "dashboard/events/", views.event_list, name="dashboard-events"),
    path(P + "dashboard/export/events.csv", views.event_export, name="dashboard-events-csv"),
    path(P + "dashboard/violations/", views.violation_list, name="dashboard-violations"),
    path(
        P + "dashboard/violations/<int:violation_id>/",
        views.violation_detail,
        name="dashboard-violation",
    ),
    path(
        P + "dashboard/violations/<int:violation_id>/<str:action>/",
        views.violation_action,
        name="dashboard-violation-action",
    ),
    path(P + "setup/", views.setup_wizard, name="dashboard-wizard"),
    path(P + "setup/status/", views.wizard_status, name="dashboard-wizard-status"),
]
