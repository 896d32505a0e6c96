"""Team operations on an organization: invitations, roles, removal, leaving.

Each function enforces the organization's invariants (there is always an owner; only owners
touch owners) and writes its audit entry, so views stay a few lines long.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import quota
from tenants import audit
from tenants.models import AuditAction, Invitation, Membership, Organization, Role


class TeamError(Exception):
    """A team change that is not allowed; the message is shown to the user as is."""


def _lock_owners(organization: Organization) -> int:
    """Lock the owner rows of the organization and count them (serialises owner changes)."""
    return len(
        list(
            Membership.objects.select_for_update()
            .filter(organization=organization, role=Role.OWNER)
            .values_list("pk", flat=True)
        )
    )


def _check_seats(organization: Organization, exclude_email: str = "") -> None:
    """A pending invitation holds a seat, so inviting cannot promise more than the plan has."""
    pending = Invitation.objects.pending().filter(organization=organization)
    if exclude_email:
        pending = pending.exclude(email=exclude_email)  # a re-invitation replaces its own
    used = organization.memberships.count() + pending.count()
    try:
        quota.check(organization, "members", 1, used=used)
    except quota.QuotaExceeded as exc:
        raise TeamError(str(exc)) from None


def invite(organization: Organization, email: str, role: str, invited_by: Membership):
    """Invite `email` with `role`; returns (invitation, token) for the link."""
    email = email.strip().lower()
    if role not in Role.values:
        raise TeamError(f"Unknown role “{role}”.")
    if role == Role.OWNER and not invited_by.has_right("manage_owners"):
        raise TeamError("Only an owner can invite another owner.")
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise TeamError(f"{email} is already a member of {organization.name}.")
    _check_seats(organization, exclude_email=email)
    with transaction.atomic():
        # A fresh invitation replaces any earlier pending one for the same address.
        Invitation.objects.pending().filter(organization=organization, email=email).update(
            expires_at=timezone.now()
        )
        invitation, token = Invitation.create_for(organization, email, role, invited_by.user)
        audit.record(organization, invited_by.user, AuditAction.MEMBER_INVITED, email, role=role)
    return invitation, token


def accept_invitation(invitation: Invitation, user) -> Membership:
    """Join the invitation's organization as `user`; single use, expiring, email-bound."""
    if invitation.is_accepted:
        raise TeamError("This invitation has already been used.")
    if invitation.is_expired:
        raise TeamError("This invitation has expired. Ask for a new one.")
    if (user.email or "").lower() != invitation.email.lower():
        raise TeamError(
            f"This invitation is for {invitation.email}. Log in with that address to accept it."
        )
    organization = invitation.organization
    if Membership.objects.filter(organization=organization, user=user).exists():
        raise TeamError(f"You are already a member of {organization.name}.")
    try:  # the invitation's seat was counted when it was sent, but the plan may have shrunk
        quota.check(organization, "members", 1, used=organization.memberships.count())
    except quota.QuotaExceeded as exc:
        raise TeamError(f"{organization.name} has no free seat: {exc}") from None
    with transaction.atomic():
        # The conditional update is the single-use guarantee under concurrent clicks.
        claimed = Invitation.objects.filter(
            pk=invitation.pk, accepted_at__isnull=True, expires_at__gt=timezone.now()
        ).update(accepted_at=timezone.now(), accepted_by=user)
        if claimed != 1:
            raise TeamError("This invitation has already been used.")
        try:
            with transaction.atomic():
                membership = Membership.objects.create(
                    user=user, organization=organization, role=invitation.role
                )
        except IntegrityError:
            raise TeamError(f"You are already a member of {organization.name}.") from None
        audit.record(
            organization, user, AuditAction.MEMBER_JOINED, user.email, role=invitation.role
        )
    return membership


def revoke_invitation(invitation: Invitation, actor) -> None:
    if invitation.is_accepted:
        raise TeamError("This invitation has already been accepted.")
    with transaction.atomic():
        email = invitation.email
        invitation.delete()
        audit.record(invitation.organization, actor, AuditAction.INVITATION_REVOKED, email)


def change_role(target: Membership, new_role: str, actor: Membership) -> Membership:
    """Change `target`'s role. Only owners grant or take away ownership; one owner remains."""
    if new_role not in Role.values:
        raise TeamError(f"Unknown role “{new_role}”.")
    if target.role == new_role:
        return target
    touches_owner = Role.OWNER in (target.role, new_role)
    if touches_owner and not actor.has_right("manage_owners"):
        raise TeamError("Only an owner can grant or remove the owner role.")
    organization = target.organization
    with transaction.atomic():
        if target.role == Role.OWNER and _lock_owners(organization) <= 1:
            raise TeamError(
                "An organization must keep at least one owner: make another member an owner "
                "first, then change this role."
            )
        old_role = target.role
        target.role = new_role
        target.save(update_fields=["role"])
        audit.record(
            organization,
            actor.user,
            AuditAction.ROLE_CHANGED,
            target.user.email,
            old=old_role,
            new=new_role,
        )
    return target


def remove_member(target: Membership, actor: Membership) -> None:
    """Remove someone else from the organization."""
    if target.pk == actor.pk:
        raise TeamError("Use “Leave organization” to remove yourself.")
    if target.role == Role.OWNER and not actor.has_right("manage_owners"):
        raise TeamError("Only an owner can remove an owner.")
    organization = target.organization
    with transaction.atomic():
        if target.role == Role.OWNER and _lock_owners(organization) <= 1:
            raise TeamError("An organization must keep at least one owner.")
        email = target.user.email
        target.delete()
        audit.record(organization, actor.user, AuditAction.MEMBER_REMOVED, email)


def leave(membership: Membership) -> None:
    """The member leaves; the last owner cannot."""
    organization = membership.organization
    with transaction.atomic():
        if membership.role == Role.OWNER and _lock_owners(organization) <= 1:
            raise TeamError(
                "You are the last owner. Make someone else an owner first, or delete the "
                "organization."
            )
        membership.delete()
        audit.record(organization, membership.user, AuditAction.MEMBER_LEFT, membership.user.email)
