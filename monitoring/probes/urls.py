"""Probe pages and the demo LLM."""

from django.urls import path

from . import views
from .demo_llm import views as demo_llm

_P = "o/<slug:org_slug>/p/<slug:project_slug>/probes/"

urlpatterns = [
    path(_P, views.probe_list, name="probe-list"),
    path(_P + "new/", views.probe_create, name="probe-create"),
    path(_P + "<int:probe_id>/", views.probe_detail, name="probe-detail"),
    path(_P + "<int:probe_id>/edit/", views.probe_edit, name="probe-edit"),
    path(_P + "<int:probe_id>/pause/", views.probe_pause, name="probe-pause"),
    path(_P + "<int:probe_id>/resume/", views.probe_resume, name="probe-resume"),
    path(_P + "<int:probe_id>/delete/", views.probe_delete, name="probe-delete"),
    path(_P + "<int:probe_id>/run/", views.probe_run, name="probe-run"),
    path("demo-llm/v1/chat/completions", demo_llm.chat_completions, name="demo-llm-chat"),
]
