"""SPC API (key and session twins) and chart pages."""

from django.urls import path

from spc import api, views

PROJECT = "o/<slug:org_slug>/p/<slug:project_slug>/"

urlpatterns = [
    path("api/v1/spc/charts", api.ChartListView.as_view(), name="api-charts"),
    path("api/v1/spc/charts/<int:chart_id>", api.ChartDetailView.as_view(), name="api-chart"),
    path("api/v1/violations", api.ViolationListView.as_view(), name="api-violations"),
    path("api/v1/spc/signals", api.SignalListView.as_view(), name="api-signals"),
    path(
        PROJECT + "api/spc/signals", api.SessionSignalListView.as_view(), name="session-api-signals"
    ),
    path(
        "api/v1/violations/<int:violation_id>/acknowledge",
        api.AcknowledgeView.as_view(),
        name="api-violation-acknowledge",
    ),
    path(
        "api/v1/export/violations.csv", api.ViolationsCsvView.as_view(), name="api-violations-csv"
    ),
    path(PROJECT + "api/spc/charts", api.SessionChartListView.as_view(), name="session-api-charts"),
    path(
        PROJECT + "api/spc/charts/<int:chart_id>",
        api.SessionChartDetailView.as_view(),
        name="session-api-chart",
    ),
    path(
        PROJECT + "api/violations",
        api.SessionViolationListView.as_view(),
        name="session-api-violations",
    ),
    path(
        PROJECT + "api/violations/<int:violation_id>/acknowledge",
        api.SessionAcknowledgeView.as_view(),
        name="session-api-violation-acknowledge",
    ),
    path(
        PROJECT + "api/export/violations.csv",
        api.SessionViolationsCsvView.as_view(),
        name="session-api-violations-csv",
    ),
    path(PROJECT + "charts/", views.chart_list, name="chart-list"),
    path(PROJECT + "charts/new/", views.chart_create, name="chart-create"),
    path(PROJECT + "charts/<int:chart_id>/edit/", views.chart_edit, name="chart-edit"),
    path(PROJECT + "charts/<int:chart_id>/delete/", views.chart_delete, name="chart-delete"),
    path(PROJECT + "charts/<int:chart_id>/reset/", views.chart_reset, name="chart-reset"),
]
