"""Tenant pages and the key-check API endpoint."""

from django.urls import path

from tenants.api import KeyProjectView
from tenants.views import home, keys, members, organizations, projects

ORG = "o/<slug:org_slug>/"
PROJECT = ORG + "p/<slug:project_slug>/"

urlpatterns = [
    path("", home.home, name="home"),
    path("api/v1/project", KeyProjectView.as_view(), name="api-project"),
    path("organizations/new/", organizations.organization_create, name="organization-create"),
    path("invitations/<str:token>/", members.invitation_accept, name="invitation-accept"),
    path(ORG + "settings/", organizations.organization_settings, name="organization-settings"),
    path(ORG + "delete/", organizations.organization_delete, name="organization-delete"),
    path(ORG + "leave/", organizations.organization_leave, name="organization-leave"),
    path(ORG + "audit/", organizations.audit_log, name="organization-audit"),
    path(ORG + "members/", members.member_list, name="organization-members"),
    path(ORG + "members/invite/", members.member_invite, name="member-invite"),
    path(ORG + "members/<int:membership_id>/role/", members.member_role, name="member-role"),
    path(ORG + "members/<int:membership_id>/remove/", members.member_remove, name="member-remove"),
    path(
        ORG + "invitations/<int:invitation_id>/revoke/",
        members.invitation_revoke,
        name="invitation-revoke",
    ),
    path(ORG + "projects/new/", projects.project_create, name="project-create"),
    path(PROJECT + "settings/", projects.project_settings, name="project-settings"),
    path(PROJECT + "delete/", projects.project_delete, name="project-delete"),
    path(PROJECT + "keys/", keys.key_list, name="project-keys"),
    path(PROJECT + "keys/new/", keys.key_create, name="key-create"),
    path(PROJECT + "keys/<int:key_id>/revoke/", keys.key_revoke, name="key-revoke"),
]
