"""Members and invitations of an organization."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from tenants import team
from tenants.access import organization_view
from tenants.forms import InvitationForm, RoleForm
from tenants.invitations import forget_pending, remember_pending, send_invitation_email
from tenants.models import Invitation, Membership, Organization, Role


def _members_context(request: HttpRequest, organization: Organization, **extra) -> dict:
    return {
        "organization": organization,
        "memberships": organization.memberships.select_related("user").order_by("created_at"),
        "invitations": Invitation.objects.pending().filter(organization=organization),
        "roles": Role.choices,
        "owner_count": _owner_count(organization),
        "invite_form": extra.pop("invite_form", InvitationForm()),
        **extra,
    }


def _owner_count(organization: Organization) -> int:
    return organization.memberships.filter(role=Role.OWNER).count()


@organization_view()
def member_list(request: HttpRequest, organization: Organization) -> HttpResponse:
    return render(request, "tenants/members.html", _members_context(request, organization))


@require_POST
@organization_view(right="manage_members")
def member_invite(request: HttpRequest, organization: Organization) -> HttpResponse:
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation, token = team.invite(
                organization,
                form.cleaned_data["email"],
                form.cleaned_data["role"],
                request.membership,
            )
        except team.TeamError as exc:
            form.add_error("email", str(exc))
        else:
            link = request.build_absolute_uri(reverse("invitation-accept", args=[token]))
            send_invitation_email(invitation, link)
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("organization-members", org_slug=organization.slug)
    context = _members_context(request, organization, invite_form=form)
    return render(request, "tenants/members.html", context, status=400)


def _target_membership(organization: Organization, membership_id: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user", "organization"),
        organization=organization,
        pk=membership_id,
    )


@require_POST
@organization_view(right="manage_members")
def member_role(request: HttpRequest, organization: Organization, membership_id: int):
    """Change a role; over HTMX it answers the updated row only."""
    target = _target_membership(organization, membership_id)
    form = RoleForm(request.POST)
    error = None
    if not form.is_valid():
        error = "Choose one of the listed roles."
    else:
        try:
            team.change_role(target, form.cleaned_data["role"], request.membership)
        except team.TeamError as exc:
            error = str(exc)
        target.refresh_from_db()
    if request.htmx:
        context = {
            "organization": organization,
            "m": target,
            "roles": Role.choices,
            "owner_count": _owner_count(organization),
            "error": error,
            "updated": error is None,
        }
        return render(request, "tenants/_member_row.html", context, status=400 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"{target.user.email} is now {target.get_role_display()}.")
    return redirect("organization-members", org_slug=organization.slug)


@require_POST
@organization_view(right="manage_members")
def member_remove(request: HttpRequest, organization: Organization, membership_id: int):
    target = _target_membership(organization, membership_id)
    try:
        team.remove_member(target, request.membership)
    except team.TeamError as exc:
        if request.htmx:
            context = {
                "organization": organization,
                "m": target,
                "roles": Role.choices,
                "owner_count": _owner_count(organization),
                "error": str(exc),
            }
            return render(request, "tenants/_member_row.html", context, status=400)
        messages.error(request, str(exc))
    else:
        if request.htmx:
            return HttpResponse("")
        messages.success(request, f"{target.user.email} was removed.")
    return redirect("organization-members", org_slug=organization.slug)


@require_POST
@organization_view(right="manage_members")
def invitation_revoke(request: HttpRequest, organization: Organization, invitation_id: int):
    invitation = get_object_or_404(Invitation, organization=organization, pk=invitation_id)
    try:
        team.revoke_invitation(invitation, request.user)
    except team.TeamError as exc:
        messages.error(request, str(exc))
    else:
        if request.htmx:
            return HttpResponse("")
        messages.success(request, f"Invitation for {invitation.email} revoked.")
    return redirect("organization-members", org_slug=organization.slug)


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Show the invitation, and accept it on POST. Unknown tokens are 404.

    Signed out, the page offers sign-in and sign-up, and the session remembers the
    invitation so the invitee comes back to it after either (see `home`)."""
    invitation = Invitation.find_by_token(token)
    if invitation is None:
        return render(request, "tenants/invitation_invalid.html", status=404)
    if not request.user.is_authenticated:
        if request.method == "POST":
            return redirect_to_login(request.get_full_path())
        remember_pending(request.session, token)
        return render(
            request, "tenants/invitation.html", {"invitation": invitation, "signed_out": True}
        )
    if request.method == "POST":
        try:
            membership = team.accept_invitation(invitation, request.user)
        except team.TeamError as exc:
            return render(
                request,
                "tenants/invitation.html",
                {"invitation": invitation, "error": str(exc)},
                status=400,
            )
        forget_pending(request.session)
        messages.success(request, f"Welcome to {membership.organization.name}.")
        return redirect("organization-home", org_slug=membership.organization.slug)
    return render(request, "tenants/invitation.html", {"invitation": invitation})
