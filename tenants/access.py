"""Resolve the organization and project of a request through the user's membership.

Views never fetch a tenant object by id and check afterwards: these helpers look objects up
through the caller's membership, and an outsider gets 404 (existence does not leak). A member
whose role lacks the right gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from tenants.models import Membership, Project


def get_membership(user, org_slug: str) -> Membership:
    """The user's membership in the organization `org_slug`, or 404."""
    if not user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.select_related("organization", "user")
        .filter(user=user, organization__slug=org_slug)
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def get_project(membership: Membership, project_slug: str) -> Project:
    """A project of the membership's organization, looked up by (organization, slug), or 404."""
    project = (
        Project.objects.for_organization(membership.organization)
        .select_related("organization")
        .filter(slug=project_slug)
        .first()
    )
    if project is None:
        raise Http404
    return project


def _require(membership: Membership, right: str) -> None:
    if not membership.has_right(right):
        raise PermissionDenied(f"Your role ({membership.get_role_display()}) cannot do this.")


def organization_view(right: str = "view") -> Callable:
    """Decorate a view taking `org_slug`; it is called as view(request, organization, ...)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, org_slug: str, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = get_membership(request.user, org_slug)
            _require(membership, right)
            request.membership = membership
            return view(request, membership.organization, *args, **kwargs)

        return wrapper

    return decorator


def project_view(right: str = "view") -> Callable:
    """Decorate a view taking `org_slug` and `project_slug`; called as
    view(request, organization, project, ...)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(
            request: HttpRequest, org_slug: str, project_slug: str, *args, **kwargs
        ) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = get_membership(request.user, org_slug)
            project = get_project(membership, project_slug)
            _require(membership, right)
            request.membership = membership
            return view(request, membership.organization, project, *args, **kwargs)

        return wrapper

    return decorator
