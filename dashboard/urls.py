"""Dashboard URLs: the organization and project homes, their fragments, the setup wizard."""

from django.urls import path

from dashboard import views

ORG = "o/<slug:org_slug>/"
P = ORG + "p/<slug:project_slug>/"

urlpatterns = [
    path("favicon.ico", views.favicon, name="favicon"),
    path("help/spc/", views.spc_help, name="help-spc"),
    path(ORG, views.organization_home, name="organization-home"),
    path(P, views.project_home, name="project-home"),
    path(P + "dashboard/charts/<int:chart_id>/data/", views.chart_data, name="dashboard-chart"),
    path(P + "dashboard/events/", views.event_list, name="dashboard-events"),
    path(P + "dashboard/export/events.csv", views.event_export, name="dashboard-events-csv"),
    path(P + "dashboard/violations/", views.violation_list, name="dashboard-violations"),
    path(P + "violations/", views.violation_history, name="dashboard-violation-history"),
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
