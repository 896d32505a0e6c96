"""API authentication and the base views every API endpoint builds on.

`Authorization: Bearer lls_…` is turned into the key's project and scopes. Endpoints declare
the scope each HTTP method needs once, in `required_scopes`. The same read endpoints are
served to logged-in members under /o/<org>/p/<project>/api/… through `SessionProjectAPIView`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants.access import get_membership, get_project
from tenants.models import ApiKey, Project


class ApiKeyAuthentication(BaseAuthentication):
    """Bearer project API keys. `request.auth` is the ApiKey; `request.user` is anonymous."""

    keyword = "Bearer"

    def authenticate(self, request: Request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None  # NotAuthenticated (401) is raised by the permission check
        parts = header.split()
        if len(parts) != 2 or parts[0].lower() != "bearer":
            raise exceptions.AuthenticationFailed(
                "Malformed Authorization header; expected “Authorization: Bearer lls_…”."
            )
        key = ApiKey.authenticate(parts[1])
        if key is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked API key.")
        key.touch()
        return AnonymousUser(), key

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="llmscope"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "tenants.api.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A project API key, lls_…"}


class ScopePermission(BasePermission):
    """Allows a request whose API key carries the scope its method needs.

    The view declares `required_scopes = {"GET": "read", "POST": "ingest"}`; a method absent
    from the map needs any valid key. No key at all answers 401, a key without the scope 403.
    """

    def has_permission(self, request: Request, view: APIView) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            raise exceptions.NotAuthenticated(
                "Missing API key; send “Authorization: Bearer lls_…”."
            )
        scope = getattr(view, "required_scopes", {}).get(request.method)
        if scope is None and request.method == "HEAD":
            scope = getattr(view, "required_scopes", {}).get("GET")
        if scope and not key.has_scope(scope):
            raise exceptions.PermissionDenied(f"This API key lacks the “{scope}” scope.")
        return True


class ProjectAPIView(APIView):
    """Base for API-key endpoints: `self.project` is the key's project."""

    authentication_classes: ClassVar = [ApiKeyAuthentication]
    permission_classes: ClassVar = [ScopePermission]
    required_scopes: ClassVar[dict[str, str]] = {}
    project: Project

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.project = request.auth.project


class MemberReadPermission(BasePermission):
    """A logged-in member of the URL's organization (any role may read)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not request.user or not request.user.is_authenticated:
            raise exceptions.NotAuthenticated("Log in to use this endpoint.")
        return True


class SessionProjectAPIView(APIView):
    """Base for the session twins of read endpoints, under /o/<org>/p/<project>/api/….

    The organization and project come from the URL through the user's membership; another
    tenant's project answers 404. Only safe methods unless a subclass allows more.
    """

    authentication_classes: ClassVar = [SessionAuthentication]
    permission_classes: ClassVar = [MemberReadPermission]
    project: Project

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        try:
            membership = get_membership(request.user, kwargs["org_slug"])
            self.project = get_project(membership, kwargs["project_slug"])
        except Http404:
            raise exceptions.NotFound() from None
        self.membership = membership


class _OrganizationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()


class KeyProjectView(ProjectAPIView):
    """`GET /api/v1/project`: the key's project, so a client can verify its key."""

    required_scopes: ClassVar = {}

    @extend_schema(
        summary="The API key's project",
        responses=inline_serializer(
            "KeyProject",
            {
                "id": serializers.IntegerField(),
                "name": serializers.CharField(),
                "slug": serializers.CharField(),
                "organization": _OrganizationSerializer(),
                "scopes": serializers.ListField(child=serializers.CharField()),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        org = self.project.organization
        return Response(
            {
                "id": self.project.id,
                "name": self.project.name,
                "slug": self.project.slug,
                "organization": {"id": org.id, "name": org.name, "slug": org.slug},
                "scopes": list(request.auth.scopes),
            }
        )
