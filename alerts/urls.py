"""Alerts: incidents API (key and session twins), channel, rule and incident pages."""

from django.urls import path

from alerts import api
from alerts.views import channels, incidents, rules

ORG = "o/<slug:org_slug>/"
PROJECT = ORG + "p/<slug:project_slug>/"

urlpatterns = [
    path("api/v1/incidents", api.IncidentListView.as_view(), name="api-incidents"),
    path(
        "api/v1/incidents/<int:incident_id>", api.IncidentDetailView.as_view(), name="api-incident"
    ),
    path(
        "api/v1/incidents/<int:incident_id>/acknowledge",
        api.IncidentAcknowledgeView.as_view(),
        name="api-incident-acknowledge",
    ),
    path(
        PROJECT + "api/incidents",
        api.SessionIncidentListView.as_view(),
        name="session-api-incidents",
    ),
    path(
        PROJECT + "api/incidents/<int:incident_id>",
        api.SessionIncidentDetailView.as_view(),
        name="session-api-incident",
    ),
    path(
        PROJECT + "api/incidents/<int:incident_id>/acknowledge",
        api.SessionIncidentAcknowledgeView.as_view(),
        name="session-api-incident-acknowledge",
    ),
    path(ORG + "channels/", channels.channel_list, name="channel-list"),
    path(ORG + "channels/new/<str:kind>/", channels.channel_create, name="channel-create"),
    path(ORG + "channels/<int:channel_id>/edit/", channels.channel_edit, name="channel-edit"),
    path(ORG + "channels/<int:channel_id>/delete/", channels.channel_delete, name="channel-delete"),
    path(ORG + "channels/<int:channel_id>/test/", channels.channel_test, name="channel-test"),
    path(
        ORG + "channels/<int:channel_id>/deliveries/",
        channels.channel_deliveries,
        name="channel-deliveries",
    ),
    path(PROJECT + "alerts/", rules.rule_list, name="rule-list"),
    path(PROJECT + "alerts/new/<str:kind>/", rules.rule_create, name="rule-create"),
    path(PROJECT + "alerts/<int:rule_id>/edit/", rules.rule_edit, name="rule-edit"),
    path(PROJECT + "alerts/<int:rule_id>/mute/", rules.rule_mute, name="rule-mute"),
    path(PROJECT + "alerts/<int:rule_id>/delete/", rules.rule_delete, name="rule-delete"),
    path(PROJECT + "alerts/maintenance/", rules.window_create, name="maintenance-create"),
    path(
        PROJECT + "alerts/maintenance/<int:window_id>/delete/",
        rules.window_delete,
        name="maintenance-delete",
    ),
    path(PROJECT + "incidents/", incidents.incident_list, name="incident-list"),
    path(
        PROJECT + "incidents/<int:incident_id>/", incidents.incident_detail, name="incident-detail"
    ),
    path(
        PROJECT + "incidents/<int:incident_id>/acknowledge/",
        incidents.incident_acknowledge,
        name="incident-acknowledge",
    ),
    path("alerts/ack/<str:token>/", incidents.acknowledge_link, name="incident-ack-link"),
    path("alerts/charts/<str:token>.png", incidents.chart_png, name="incident-chart-png"),
]
