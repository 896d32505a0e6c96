"""The organization audit log: one function records an entry and tells live pages about it."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from tenants.groups import broadcast_to_organization
from tenants.models import AuditLogEntry, Organization

# The actor named for changes made from the command line (manage.py), which have no user.
COMMAND_LINE = "command line"


def record(organization: Organization, actor, action: str, target: str = "", **data: Any):
    """Store an audit entry and, after commit, push it to the organization's live group.

    `actor` None is a change made outside the web app (a manage.py command): the entry
    names the command line as its actor."""
    entry = AuditLogEntry.objects.create(
        organization=organization,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_email=(getattr(actor, "email", "") or "") if actor is not None else COMMAND_LINE,
        action=action,
        target=str(target)[:200],
        data=data,
    )
    message = {
        "type": "audit.entry",
        "entry": {
            "action": entry.action,
            "label": entry.get_action_display(),
            "target": entry.target,
            "actor": entry.actor_email,
            "at": entry.created_at.isoformat(),
        },
    }
    transaction.on_commit(lambda: broadcast_to_organization(organization.id, message))
    return entry
